import type { Block } from './block-io.js'
import type { BackpressurePolicy, LogFormat, ResolvedRotation } from './config.js'
import { type ControlBlock, viewControlBlock } from './control-block.js'
import type { WriterContext } from './entry-writer.js'
import type { FallbackEvent } from './fallback-event.js'
import { currentFilePath } from './file-rotation.js'
import type { FlushContext, FlushReport } from './flush-context.js'
import { type LibraryInfo, loadNativeFrom, type NativeLibrary } from './native-library.js'
import { SetFlusher } from './set-flusher.js'
import { type ShardMemoryDescriptor, viewShards, viewStaging } from './shard-memory.js'

/**
 * Everything another thread needs to write into a logger: plain, structured-cloneable data
 * (a SharedArrayBuffer, numbers and strings), to pass in `workerData` or `postMessage`.
 */
export interface LoggerHandle {
  readonly kind: 'asyncdirect.handle'
  readonly version: 1
  readonly control: SharedArrayBuffer
  readonly memory: ShardMemoryDescriptor
  /** The configured path (absolute): the file, or the name of a rotated series. */
  readonly path: string
  readonly rotate: ResolvedRotation
  /** Permission bits of files the logger creates (rotation). */
  readonly mode: number
  /** Whether O_DIRECT was asked for, for the files opened after the first. */
  readonly directIO: boolean
  readonly flushTimeout: number
  readonly flushInterval: number
  /** The longest an entry waits before the flusher writes it when its set does not fill (ms). */
  readonly writeDelay: number
  readonly backpressure: BackpressurePolicy
  /** Whether a descriptor opened after a fallback to buffered I/O gets O_DSYNC. */
  readonly dsync: boolean
  readonly format: LogFormat
  /** The native library the logger loaded, null without one. */
  readonly library: LibraryInfo | null
  /** Why the file was opened without O_DIRECT although it was asked for; null if it was not. */
  readonly fallback: FallbackEvent | null
}

/** True when `value` looks like a {@link LoggerHandle}. */
export function isLoggerHandle(value: unknown): value is LoggerHandle {
  const h = value as LoggerHandle | null
  return (
    typeof h === 'object' &&
    h !== null &&
    h.kind === 'asyncdirect.handle' &&
    h.version === 1 &&
    h.control instanceof SharedArrayBuffer &&
    typeof h.memory === 'object'
  )
}

/** A logger's shared state as seen from one thread. */
export interface ThreadView {
  readonly ctl: ControlBlock
  readonly lib: NativeLibrary | null
  readonly views: Buffer[]
  /** The lines format's staging buffer, null for framed. */
  readonly staging: Block | null
  /** This thread's set flusher (created on first use). */
  flusher(): SetFlusher
  /** A context for an entry writer in this thread. */
  writerContext(): WriterContext
}

/** Maps a logger's control block and shard memory into the calling thread. */
export function openThreadView(handle: LoggerHandle, report: (r: FlushReport) => void): ThreadView {
  const { memory } = handle
  let lib: NativeLibrary | null = null
  if (memory.kind !== 'shared') {
    const loaded = loadNativeFrom(memory.libPath)
    if (!loaded.ok) throw new Error(`asyncdirect: cannot map the logger's memory: ${loaded.reason}`)
    lib = loaded.lib
  }
  const ctl = viewControlBlock(handle.control, memory.numShards)
  const views = viewShards(lib, memory)
  const staging = viewStaging(lib, memory)
  let flusher: SetFlusher | undefined
  const view: ThreadView = {
    ctl,
    lib,
    views,
    staging,
    flusher() {
      if (!flusher) {
        const cx: FlushContext = {
          ctl,
          views,
          addresses: memory.kind === 'shared' ? null : memory.addresses,
          lib,
          get path() {
            return currentFilePath(ctl, handle.path, handle.rotate)
          },
          basePath: handle.path,
          rotate: handle.rotate,
          fileOptions: {
            directIO: handle.directIO,
            dsync: handle.dsync,
            mode: handle.mode,
            format: handle.format,
          },
          shardSize: memory.shardSize,
          flushTimeout: handle.flushTimeout,
          dsync: handle.dsync,
          format: handle.format,
          staging,
          report,
        }
        flusher = new SetFlusher(cx)
      }
      return flusher
    },
    writerContext() {
      return {
        ctl,
        format: handle.format,
        views,
        shardSize: memory.shardSize,
        backpressure: handle.backpressure,
        lib,
        flusher: () => view.flusher(),
      }
    },
  }
  return view
}

import type { BackpressurePolicy, LogFormat, ResolvedRotation } from '../config.js'
import { NativeError } from '../errors.js'
import type { Block } from './block-io.js'
import { type ControlBlock, viewControlBlock } from './control-block.js'
import {
  type LibraryInfo,
  loadNativeFrom,
  type NativeFailureCode,
  type NativeLibrary,
} from './native-library.js'
import { type ShardMemoryDescriptor, viewShards, viewStaging } from './shard-memory.js'

/** Why a logger writes with buffered I/O instead of O_DIRECT: the payload of `'fallback'`. */
export interface FallbackEvent {
  /**
   * Stable: one of the native library's failure codes (disabled, unsupported platform, missing,
   * refused as unsafe, failed to load), or ASYNCDIRECT_FS_REFUSED_DIRECT when the file system
   * refused O_DIRECT at open or on a write.
   */
  readonly code: NativeFailureCode | 'ASYNCDIRECT_FS_REFUSED_DIRECT'
  /** What happened, naming the library path or the file system's answer. */
  readonly reason: string
}

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

/** A logger's shared memory mapped into the calling thread. */
export interface ThreadMemory {
  readonly ctl: ControlBlock
  readonly lib: NativeLibrary | null
  /** Shard views, by shardIndex (shard-memory.ts). */
  readonly views: Buffer[]
  /** The lines format's staging buffer, null for framed. */
  readonly staging: Block | null
}

/**
 * Maps a logger's control block and shard memory into the calling thread.
 * @throws {NativeError} when the shards are C memory and this thread cannot load the native library.
 */
export function openThreadMemory(handle: LoggerHandle): ThreadMemory {
  const { memory } = handle
  let lib: NativeLibrary | null = null
  if (memory.kind !== 'shared') {
    const loaded = loadNativeFrom(memory.libPath)
    if (!loaded.ok)
      throw new NativeError(
        'ASYNCDIRECT_NATIVE_UNAVAILABLE',
        `asyncdirect: cannot map the logger's memory: ${loaded.reason}`,
      )
    lib = loaded.lib
  }
  const ctl = viewControlBlock(handle.control, memory.numShards)
  return { ctl, lib, views: viewShards(lib, memory), staging: viewStaging(lib, memory) }
}

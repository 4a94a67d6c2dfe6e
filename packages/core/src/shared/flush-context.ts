import type { LogFormat, ResolvedConfig, ResolvedRotation } from '../config.js'
import { errnoNumber, type IoError } from '../errors.js'
import type { Block } from './block-io.js'
import { type ControlBlock, LAST_ERRNO } from './control-block.js'
import type { NativeLibrary } from './native-library.js'

/** What a flush tells the thread that owns the logger. */
export type FlushReport =
  | { type: 'error'; error: IoError }
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number /** -1: an entry larger than a shard */; shard: number }
  | { type: 'rotate'; from: string; to: string; reason: RotateReason }

/** Why the logger moved to another file. */
export type RotateReason = 'size' | 'interval' | 'reopen'

/** What opening another file of a running logger needs to know (file/log-file.ts). */
export type NextFileOptions = Pick<ResolvedConfig, 'directIO' | 'dsync' | 'mode' | 'format'>

/** Everything a thread needs to write buffer sets to the file. */
export interface FlushContext {
  ctl: ControlBlock
  /** Shard views, by shardIndex (shard-memory.ts). */
  views: Buffer[]
  /** C addresses of the shards, same order; null for SharedArrayBuffer memory. */
  addresses: number[] | null
  lib: NativeLibrary | null
  /** The file being written now (it changes with rotation). */
  readonly path: string
  /** The configured path: the file itself without rotation, the series' name with it. */
  basePath: string
  rotate: ResolvedRotation
  /** How to open another file (rotation, reopen). */
  fileOptions: NextFileOptions
  shardSize: number
  flushTimeout: number
  dsync: boolean
  format: LogFormat
  /** The lines format's staging buffer (shared by every thread); null for framed. */
  staging: Block | null
  report(report: FlushReport): void
}

/**
 * Records a failed write, sync or file move: counted in `counter` (an f64 word: F_FLUSH_ERRORS,
 * F_ROTATION_ERRORS), its errno kept in LAST_ERRNO for the error a flush() or close() caller gets,
 * and reported to the logger's owner. Under the I/O lock, as every f64 word's change.
 */
export function recordFailure(
  cx: Pick<FlushContext, 'ctl' | 'report'>,
  counter: number,
  error: IoError,
): void {
  cx.ctl.f64[counter]! += 1
  Atomics.store(cx.ctl.i32, LAST_ERRNO, errnoNumber(error.code))
  cx.report({ type: 'error', error })
}

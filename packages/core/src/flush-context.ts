import type { Block } from './block-io.js'
import type { LogFormat } from './config.js'
import type { ControlBlock } from './control-block.js'
import type { IoError } from './errno-name.js'
import type { NativeLibrary } from './native-library.js'

/** What a flush tells the thread that owns the logger. */
export type FlushReport =
  | { type: 'error'; error: IoError }
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number; shard: number }

/** Everything a thread needs to write buffer sets to the file. */
export interface FlushContext {
  ctl: ControlBlock
  /** Shard views, index `set * numShards + shard`. */
  views: Buffer[]
  /** C addresses of the shards, same order; null for SharedArrayBuffer memory. */
  addresses: number[] | null
  lib: NativeLibrary | null
  path: string
  shardSize: number
  flushTimeout: number
  dsync: boolean
  format: LogFormat
  /** The lines format's staging buffer (shared by every thread); null for framed. */
  staging: Block | null
  report(report: FlushReport): void
}

import type { BackpressurePolicy, LogFormat } from '../config.js'
import type { ControlBlock } from '../shared/control-block.js'
import type { NativeLibrary } from '../shared/native-library.js'

/** What an entry writer needs from the thread it runs in. */
export interface WriterContext {
  ctl: ControlBlock
  format: LogFormat
  /** Shard views, by shardIndex (shard-memory.ts). */
  views: Buffer[]
  shardSize: number
  backpressure: BackpressurePolicy
  /** The native library, when the shards are C memory (the oversize slot needs it). */
  lib: NativeLibrary | null
  /**
   * This thread's set flusher, for the rare paths that write from the calling thread (no flusher
   * thread runs). Called only while holding the I/O lock.
   */
  flusher(): OwnThreadWrites
}

/**
 * What a writer asks of the set flusher (flusher/set-flusher.ts) when it must write from its own
 * thread. An interface, so that the writer side does not depend on the flusher side.
 */
export interface OwnThreadWrites {
  /** Writes every set and makes it durable; false if a write failed (reported). */
  flushAll(): boolean
  /** Writes everything logged so far, then `bytes` as `entries` entries on its own; false on failure. */
  writeOversize(bytes: Uint8Array, entries: number): boolean
}

/** Longest single wait of a blocked writer before it looks at the flusher's health again (ms). */
export const BLOCK_WAIT_MS = 50

import { BLOCK_HEADER_SIZE } from '../format/framed.js'
import {
  ACTIVE_GEN,
  ALIGNMENT,
  COUNT,
  type ControlBlock,
  DIRECT_IO,
  DROPPED,
  F_ABANDONED,
  F_BYTES_WRITTEN,
  F_DROPPED_TOTAL,
  F_ENTRIES_WRITTEN,
  F_FLUSH_BYTES_LAST,
  F_FLUSH_ERRORS,
  F_FLUSH_MS_LAST,
  F_FLUSH_MS_MAX,
  F_FLUSH_MS_TOTAL,
  F_FLUSHES,
  F_LAST_FLUSH_AT,
  F_OVERSIZE,
  F_ROTATION_ERRORS,
  F_ROTATIONS,
  F_SET_SWAPS,
  F_SHARD_WRITES,
  OFFSET_MASK,
  RESERVED,
  SWAPS,
  shardWord,
} from './control-block.js'
import type { LibraryInfo } from './native-library.js'

/** A logger's statistics. Counters are cumulative over the logger's life. */
export interface StatsSnapshot {
  /** Every log call: accepted, written as its own block, or dropped. */
  totalLogs: number
  /** Entries not accepted: after close, or under `backpressure: 'drop'` when both sets were full. */
  droppedLogs: number
  /** Bytes written to the file (blocks, headers and padding included). */
  bytesWritten: number
  /** Successful flushes (one per set written). */
  flushes: number
  /** Failed writes; the data is kept and written again. */
  flushErrors: number
  /** Times the active set was swapped for the other. */
  setSwaps: number
  /** Entries written to the file so far. */
  entriesWritten: number
  /** Entries whose writer reserved space but did not finish copying within `flushTimeout`. */
  abandonedEntries: number
  /** Entries larger than a shard, written as blocks of their own. */
  oversizeEntries: number
  /** True while the file is written with O_DIRECT. */
  directIO: boolean
  /**
   * Why the file is not written with O_DIRECT although `directIO` was asked for (the `'fallback'`
   * event's reason); null while it is, or when `directIO: false` was configured.
   */
  fallbackReason: string | null
  /** The native library loaded (path, `'prebuilt'` or `'compiled'`, ABI version); null without one. */
  library: LibraryInfo | null
  /** The alignment of every block offset and size. */
  alignment: number
  /** Moves to another file: rotations and reopen()s. */
  rotations: number
  /** Rotations, reopens, symlink updates and retention deletions that failed (each reported). */
  rotationErrors: number
}

/** Flush timings (milliseconds) and sizes. */
export interface FlushMetrics {
  totalFlushes: number
  totalFlushDuration: number
  avgFlushDuration: number
  maxFlushDuration: number
  lastFlushDuration: number
  lastFlushBytes: number
  /** Wall-clock time (ms since the epoch) of the last flush, 0 before the first. */
  lastFlushAt: number
}

/** One shard of the active set, and its writes over the logger's life. */
export interface ShardStats {
  shardId: number
  /** Entries this shard has taken (written or still buffered). */
  writeCount: number
  /** Bytes used in the active set's shard, header included. */
  bytesUsed: number
  capacity: number
  utilizationPct: number
}

/** Entries accepted into shards but not yet folded into the totals. */
function bufferedCounts(ctl: ControlBlock, shard: number): number {
  let n = 0
  for (let s = 0; s < 2; s++) n += Atomics.load(ctl.i32, shardWord(ctl.numShards, s, shard) + COUNT)
  return n
}

/** What the statistics say of O_DIRECT that the control block does not hold. */
export type DirectIOState = Pick<StatsSnapshot, 'fallbackReason' | 'library'>

export function statsSnapshot(ctl: ControlBlock, direct: DirectIOState): StatsSnapshot {
  const { i32, f64 } = ctl
  const dropped = f64[F_DROPPED_TOTAL]! + Atomics.load(i32, DROPPED)
  let accepted = 0
  for (let i = 0; i < ctl.numShards; i++) accepted += f64[F_SHARD_WRITES + i]! + bufferedCounts(ctl, i)
  return {
    totalLogs: accepted + f64[F_OVERSIZE]! + dropped,
    droppedLogs: dropped,
    bytesWritten: f64[F_BYTES_WRITTEN]!,
    flushes: f64[F_FLUSHES]!,
    flushErrors: f64[F_FLUSH_ERRORS]!,
    setSwaps: f64[F_SET_SWAPS]! + Atomics.load(i32, SWAPS),
    entriesWritten: f64[F_ENTRIES_WRITTEN]!,
    abandonedEntries: f64[F_ABANDONED]!,
    oversizeEntries: f64[F_OVERSIZE]!,
    directIO: Atomics.load(i32, DIRECT_IO) === 1,
    fallbackReason: direct.fallbackReason,
    library: direct.library,
    alignment: Atomics.load(i32, ALIGNMENT),
    rotations: f64[F_ROTATIONS]!,
    rotationErrors: f64[F_ROTATION_ERRORS]!,
  }
}

export function flushMetrics(ctl: ControlBlock): FlushMetrics {
  const { f64 } = ctl
  const total = f64[F_FLUSHES]!
  return {
    totalFlushes: total,
    totalFlushDuration: f64[F_FLUSH_MS_TOTAL]!,
    avgFlushDuration: total > 0 ? f64[F_FLUSH_MS_TOTAL]! / total : 0,
    maxFlushDuration: f64[F_FLUSH_MS_MAX]!,
    lastFlushDuration: f64[F_FLUSH_MS_LAST]!,
    lastFlushBytes: f64[F_FLUSH_BYTES_LAST]!,
    lastFlushAt: f64[F_LAST_FLUSH_AT]!,
  }
}

export function shardStats(ctl: ControlBlock, shardSize: number): ShardStats[] {
  const active = Atomics.load(ctl.i32, ACTIVE_GEN) & 1
  const out: ShardStats[] = []
  for (let i = 0; i < ctl.numShards; i++) {
    const end = Atomics.load(ctl.i32, shardWord(ctl.numShards, active, i) + RESERVED) & OFFSET_MASK
    const bytesUsed = end > BLOCK_HEADER_SIZE ? end : 0
    out.push({
      shardId: i,
      writeCount: ctl.f64[F_SHARD_WRITES + i]! + bufferedCounts(ctl, i),
      bytesUsed,
      capacity: shardSize,
      utilizationPct: (bytesUsed / shardSize) * 100,
    })
  }
  return out
}

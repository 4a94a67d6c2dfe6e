import type { LogFormat } from '../config.js'
import { BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, IN_PROGRESS, LENGTH_PENDING } from '../format/framed.js'
import {
  COMMITTED,
  COUNT,
  type ControlBlock,
  F_QUARANTINED_AT,
  OFFSET_MASK,
  RESERVED,
  SET_STATE,
  SetState,
  shardWord,
  WRITTEN,
} from '../shared/control-block.js'
import type { FlushContext } from '../shared/flush-context.js'
import { shardIndex } from '../shared/shard-memory.js'
import type { Piece } from './file-output.js'

/** A shard of a quarantined set to write now, and what became of its records. */
export interface LatePlan extends Piece {
  readonly entries: number
  /** Records given up on: their writers are presumed dead. */
  readonly abandoned: number
}

/**
 * Decides what to do with a shard that was not settled (some reservation not committed) when its
 * set was flushed. Such a shard is held back whole, and so is every newer set (set-flusher.ts),
 * because records after the unfinished one may belong to other threads whose later entries sit
 * in newer sets: writing those first would reorder them.
 *
 *  - settled now: every record is finished; the shard is written whole, as it would have been.
 *  - not settled, `abandon` false: keep waiting (null).
 *  - not settled, `abandon` true (quarantined for longer than a writer is ever descheduled, or
 *    the final flush): its writers are presumed dead and the shard's memory no longer changes.
 *    The walk writes every finished record and skips a record whose writer was copying (its
 *    length is known). A record whose length was never stored is skipped too when it is the only
 *    unfinished record left: its size is then the reserved bytes that neither the committed
 *    records nor the ones already walked account for, and the rest must be exactly the
 *    finished records COUNT says. Otherwise nothing past it can be found: the rest of the
 *    shard is given up on and counted.
 */
export function planLateShard(
  ctl: ControlBlock,
  set: number,
  shard: number,
  view: Uint8Array,
  abandon: boolean,
  format: LogFormat,
): LatePlan | null {
  const { i32, numShards } = ctl
  const w = shardWord(numShards, set, shard)
  const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
  if (Atomics.load(i32, w + COMMITTED) === end - BLOCK_HEADER_SIZE) {
    const bytes = end - BLOCK_HEADER_SIZE
    const entries = Atomics.load(i32, w + COUNT)
    return { set, shard, whole: true, runs: [BLOCK_HEADER_SIZE, end], bytes, entries, abandoned: 0 }
  }
  if (!abandon) return null
  if (format === 'lines') return walkLines(set, shard, view, end)
  const count = Atomics.load(i32, w + COUNT)
  const committed = Atomics.load(i32, w + COMMITTED)
  const runs: number[] = []
  let bytes = 0
  let entries = 0
  let abandoned = 0
  let skipped = false
  let pos = BLOCK_HEADER_SIZE
  while (pos + ENTRY_PREFIX_SIZE <= end) {
    const top = view[pos + 3]!
    const len = (view[pos]! | (view[pos + 1]! << 8) | (view[pos + 2]! << 16) | ((top & 0x7f) << 24)) >>> 0
    const next = pos + ENTRY_PREFIX_SIZE + len
    // Zero is an empty entry or a writer that died before storing anything: told apart below.
    const zero = top === 0 && len === 0
    if (top === LENGTH_PENDING || zero || next > end) {
      // A record whose length was never stored. When it is the only unfinished one, its size is
      // what the committed bytes leave unaccounted for, and the records after it are found.
      const size = skipped ? 0 : end - pos - (committed - bytes)
      if (size >= ENTRY_PREFIX_SIZE && finishedRecords(view, pos + size, end) === count - entries) {
        skipped = true
        abandoned++
        pos += size
        continue
      }
      if (!(zero && finishedRecords(view, next, end) === count - entries - 1)) {
        // Nothing past an unknown length can be found. The lost writer never counted its entry;
        // the finished ones after it did, in COUNT.
        abandoned += 1 + Math.max(0, count - entries)
        break
      }
    }
    if ((top & IN_PROGRESS) !== 0) {
      abandoned++
    } else {
      addRun(runs, pos, next)
      bytes += next - pos
      entries++
    }
    pos = next
  }
  return { set, shard, whole: false, runs, bytes, entries, abandoned }
}

/**
 * How many finished records (length stored, copy done) lie between `from` and `end`, exactly
 * filling it; -1 when that region is not such a run of records.
 */
function finishedRecords(view: Uint8Array, from: number, end: number): number {
  let n = 0
  let pos = from
  while (pos < end) {
    if (pos + ENTRY_PREFIX_SIZE > end) return -1
    const top = view[pos + 3]!
    if ((top & IN_PROGRESS) !== 0) return -1
    pos +=
      ENTRY_PREFIX_SIZE + ((view[pos]! | (view[pos + 1]! << 8) | (view[pos + 2]! << 16) | (top << 24)) >>> 0)
    n++
  }
  return pos === end ? n : -1
}

/**
 * The lines format's records are the lines themselves (no length prefix), so the walk goes from
 * newline to newline. Shard memory is zeroed before use, so a dead writer leaves the bytes it
 * copied followed by zeros up to the end of its reservation: a line holding a NUL byte is such
 * a record (left out and counted), and the next record starts after the run of zeros.
 */
function walkLines(set: number, shard: number, view: Uint8Array, end: number): LatePlan {
  const runs: number[] = []
  let bytes = 0
  let entries = 0
  let abandoned = 0
  let pos = BLOCK_HEADER_SIZE
  while (pos < end) {
    const newline = view.indexOf(0x0a, pos)
    const next = newline < 0 || newline >= end ? end : newline + 1
    const nul = view.indexOf(0, pos)
    if (nul >= 0 && nul < next) {
      abandoned++
      let after = nul
      while (after < end && view[after] === 0) after++
      pos = after
      continue
    }
    if (view[next - 1] !== 0x0a) {
      abandoned++ // cut off by the end of the reservations: not a whole line
      break
    }
    addRun(runs, pos, next)
    bytes += next - pos
    entries++
    pos = next
  }
  return { set, shard, whole: false, runs, bytes, entries, abandoned }
}

/** True once the shard of a quarantined set has been written. */
export function shardWritten(ctl: ControlBlock, set: number, shard: number): boolean {
  return Atomics.load(ctl.i32, shardWord(ctl.numShards, set, shard) + WRITTEN) === 1
}

/** True once the shard has been written and every writer inside it committed. */
export function shardDone(ctl: ControlBlock, set: number, shard: number): boolean {
  const { i32, numShards } = ctl
  const w = shardWord(numShards, set, shard)
  const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
  return Atomics.load(i32, w + WRITTEN) === 1 && Atomics.load(i32, w + COMMITTED) === end - BLOCK_HEADER_SIZE
}

/** Records whether the shard's records have been written (reset with the set). */
export function markShardWritten(ctl: ControlBlock, set: number, shard: number, written: boolean): void {
  Atomics.store(ctl.i32, shardWord(ctl.numShards, set, shard) + WRITTEN, written ? 1 : 0)
}

/**
 * A quarantined set's unfinished records are abandoned after this long (ms), or at the final
 * flush: long enough for a descheduled writer to run again, short enough to bound what a writer
 * that died mid-copy holds up.
 */
export function abandonAfter(flushTimeout: number): number {
  return Math.max(5000, 100 * flushTimeout)
}

/**
 * Hands `add` the shards of quarantined sets that can be written now (settled, or given up on
 * when `final` or once quarantined for {@link abandonAfter}). True when some shard must still be
 * waited for.
 */
export function collectLate(cx: FlushContext, final: boolean, add: (plan: LatePlan) => void): boolean {
  const { ctl, views } = cx
  const { numShards } = ctl
  const now = Date.now()
  let waiting = false
  for (let s = 0; s < 2; s++) {
    if (Atomics.load(ctl.i32, SET_STATE + s) !== SetState.QUARANTINED) continue
    const abandon = final || now - ctl.f64[F_QUARANTINED_AT + s]! > abandonAfter(cx.flushTimeout)
    for (let i = 0; i < numShards; i++) {
      if (shardWritten(ctl, s, i)) continue
      const plan = planLateShard(ctl, s, i, views[shardIndex(numShards, s, i)]!, abandon, cx.format)
      if (plan) add(plan)
      else waiting = true
    }
  }
  return waiting
}

/** Adds the bytes [pos, next) to `runs` (start, end pairs), extending the last run it continues. */
function addRun(runs: number[], pos: number, next: number): void {
  const last = runs.length - 1
  if (last > 0 && runs[last] === pos) runs[last] = next
  else runs.push(pos, next)
}

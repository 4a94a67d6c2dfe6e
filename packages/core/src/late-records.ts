import {
  COMMITTED,
  COUNT,
  type ControlBlock,
  LATE_WRITTEN,
  OFFSET_MASK,
  RESERVED,
  shardWord,
  UNFINISHED,
  UNFINISHED_SLOTS,
  WALKED,
} from './control-block.js'
import type { Piece } from './file-output.js'
import { BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE } from './framed-format.js'

/** Bit 31 of a record's length word: set while its writer is still copying (entry-writer.ts). */
const IN_PROGRESS = 0x80000000

/**
 * What to write of one shard whose writers had not all committed when its set was flushed,
 * and the walk state to keep once that write has succeeded.
 */
export interface LatePlan extends Piece {
  readonly whole: false
  readonly entries: number
  /** Records given up on (their writer never finished in time). */
  readonly abandoned: number
  readonly walked: number
  readonly unfinished: number[]
  /**
   * The walk stopped before the end of the shard: a writer has reserved but not yet stored its
   * length word (or too many records are unfinished). Records after that point, possibly of
   * other threads whose later entries are in newer sets, are not written yet.
   */
  readonly blocked: boolean
}

/**
 * Finds the records of a shard that can be written now although some writer of the shard has
 * not committed (see set-flusher.ts: a flush waits at most `flushTimeout` for commits).
 *
 * The shard's records are `length:u32 bytes[length]` from offset 8 to the sealed end. A record's
 * length word tells its state, given that writers store the word's top byte (with bit 31) before
 * its low bytes and clear bit 31 only after the copy (stores to shared memory become visible in
 * program order on the architectures Node runs on):
 *  - bit 31 clear, non-zero: finished; written now.
 *  - bit 31 set: its writer is copying; the length is known, so the walk passes over it and
 *    remembers its offset (a slot in the control block) to write it once finished.
 *  - zero: either a finished empty record or a writer that reserved but has not yet stored the
 *    word. Decidable only once the shard is settled (every reservation committed); until then
 *    the walk stops there.
 * With `abandon` (the set has been quarantined too long, or this is the final flush), records
 * still in progress are given up on and counted, so a writer that died mid-copy costs its own
 * entry only (or, for one that died before storing the length word, the rest of its shard).
 *
 * Per-thread order holds: a writer's next entry is reserved after its unfinished one finishes,
 * so by the time any later set holding that next entry is sealed and flushed, the unfinished
 * record is finished and visible, and it is written before that set.
 */
export function planLateRecords(
  ctl: ControlBlock,
  set: number,
  shard: number,
  view: Uint8Array,
  abandon: boolean,
): LatePlan {
  const { i32, numShards } = ctl
  const w = shardWord(numShards, set, shard)
  const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
  const settled = Atomics.load(i32, w + COMMITTED) === end - BLOCK_HEADER_SIZE
  const runs: number[] = []
  const unfinished: number[] = []
  let bytes = 0
  let entries = 0
  let abandoned = 0
  /** Gives up on everything from `pos` on: a record whose length is unknown cannot be walked past. */
  const abandonRest = () => {
    // The lost writer never counted its entry; the finished ones after it did (in COUNT).
    const finished = Atomics.load(i32, w + COUNT) - Atomics.load(i32, w + LATE_WRITTEN) - entries
    abandoned += 1 + Math.max(0, finished)
  }
  const take = (from: number, to: number) => {
    const last = runs.length - 1
    if (last > 0 && runs[last] === from) runs[last] = to
    else runs.push(from, to)
    bytes += to - from
    entries++
  }
  // Records passed over earlier, in offset order.
  for (let k = 0; k < UNFINISHED_SLOTS; k++) {
    const slot = Atomics.load(i32, w + UNFINISHED + k)
    if (slot === 0) continue
    const at = slot - 1
    const word = lengthWord(view, at)
    if ((word & IN_PROGRESS) === 0) take(at, at + ENTRY_PREFIX_SIZE + word)
    else if (abandon) abandoned++
    else unfinished.push(slot)
  }
  let pos = Math.max(Atomics.load(i32, w + WALKED), BLOCK_HEADER_SIZE)
  while (pos + ENTRY_PREFIX_SIZE <= end) {
    const word = lengthWord(view, pos)
    const len = word & ~IN_PROGRESS
    const next = pos + ENTRY_PREFIX_SIZE + len
    if (next > end) {
      // A length that overruns the reservations cannot be a record: nothing past it is walkable.
      abandonRest()
      pos = end
      break
    }
    if (word === 0 && !settled) {
      if (!abandon) break
      abandonRest()
      pos = end
      break
    }
    if ((word & IN_PROGRESS) === 0) {
      take(pos, next)
    } else if (abandon) {
      abandoned++
    } else if (unfinished.length < UNFINISHED_SLOTS) {
      unfinished.push(pos + 1)
    } else {
      break
    }
    pos = next
  }
  const blocked = pos + ENTRY_PREFIX_SIZE <= end
  return { set, shard, whole: false, runs, bytes, entries, abandoned, walked: pos, unfinished, blocked }
}

/** Records the walk state of a plan whose runs have been written. */
export function applyLatePlan(ctl: ControlBlock, plan: LatePlan): void {
  const w = shardWord(ctl.numShards, plan.set, plan.shard)
  Atomics.store(ctl.i32, w + WALKED, plan.walked)
  Atomics.add(ctl.i32, w + LATE_WRITTEN, plan.entries)
  for (let k = 0; k < UNFINISHED_SLOTS; k++)
    Atomics.store(ctl.i32, w + UNFINISHED + k, plan.unfinished[k] ?? 0)
}

/** True once a quarantined shard has nothing left to write and no writer inside it. */
export function lateShardDone(ctl: ControlBlock, set: number, shard: number): boolean {
  const { i32, numShards } = ctl
  const w = shardWord(numShards, set, shard)
  const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
  if (Atomics.load(i32, w + COMMITTED) !== end - BLOCK_HEADER_SIZE) return false
  if (Atomics.load(i32, w + WALKED) < end) return false
  for (let k = 0; k < UNFINISHED_SLOTS; k++) if (Atomics.load(i32, w + UNFINISHED + k) !== 0) return false
  return true
}

/** Marks a shard whose records were all written with its set (nothing late in it). */
export function markShardWritten(ctl: ControlBlock, set: number, shard: number, end: number): void {
  const w = shardWord(ctl.numShards, set, shard)
  Atomics.store(ctl.i32, w + WALKED, end)
  for (let k = 0; k < UNFINISHED_SLOTS; k++) Atomics.store(ctl.i32, w + UNFINISHED + k, 0)
}

/** Starts the walk of a shard from its first record. */
export function resetLateWalk(ctl: ControlBlock, set: number, shard: number): void {
  const w = shardWord(ctl.numShards, set, shard)
  Atomics.store(ctl.i32, w + WALKED, BLOCK_HEADER_SIZE)
  Atomics.store(ctl.i32, w + LATE_WRITTEN, 0)
  for (let k = 0; k < UNFINISHED_SLOTS; k++) Atomics.store(ctl.i32, w + UNFINISHED + k, 0)
}

function lengthWord(view: Uint8Array, at: number): number {
  return (view[at]! | (view[at + 1]! << 8) | (view[at + 2]! << 16) | (view[at + 3]! << 24)) >>> 0
}

import { alignUp, BLOCK_HEADER_SIZE } from '../format/framed.js'
import {
  ACTIVE_GEN,
  CLOSED_FOR_GOOD,
  COMMITTED,
  COUNT,
  type ControlBlock,
  DROPPED,
  F_DROPPED_TOTAL,
  F_SET_SWAPS,
  F_SHARD_WRITES,
  OFFSET_MASK,
  RESERVED,
  SEALED,
  SET_FREED,
  SET_STATE,
  SetState,
  SWAPS,
  shardWord,
} from '../shared/control-block.js'
import { shardIndex } from '../shared/shard-memory.js'
import { markShardWritten, shardDone } from './late-records.js'

/**
 * What happens to a buffer set once written, and the counters folded on the way. All of it runs
 * under the I/O lock (set-flusher.ts).
 */

/** Folds the writers' 32-bit counters into the 64-bit totals before they can wrap. */
export function foldCounters(ctl: ControlBlock): void {
  const { i32, f64 } = ctl
  f64[F_DROPPED_TOTAL]! += Atomics.exchange(i32, DROPPED, 0)
  f64[F_SET_SWAPS]! += Atomics.exchange(i32, SWAPS, 0)
}

/** Moves a shard's entry count (of a written set) into the shard's lifetime total. */
export function foldShardCount(ctl: ControlBlock, set: number, shard: number): void {
  const { i32, f64, numShards } = ctl
  f64[F_SHARD_WRITES + shard]! += Atomics.exchange(i32, shardWord(numShards, set, shard) + COUNT, 0)
}

/**
 * Zeroes what a written set used (padding must be zeros next time) and makes it FREE and
 * sealed, or ACTIVE and open again after an in-place flush. Wakes writers waiting for room.
 */
export function resetSet(
  ctl: ControlBlock,
  views: Buffer[],
  shardSize: number,
  alignment: number,
  set: number,
  mode: 'swapped' | 'in-place',
): void {
  const { i32, numShards } = ctl
  for (let i = 0; i < numShards; i++) {
    const w = shardWord(numShards, set, i)
    const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
    if (end > 0)
      views[shardIndex(numShards, set, i)]!.fill(0, 0, Math.min(alignUp(end, alignment), shardSize))
    Atomics.store(i32, w + COMMITTED, 0)
    markShardWritten(ctl, set, i, false)
    Atomics.store(i32, w + RESERVED, mode === 'in-place' ? BLOCK_HEADER_SIZE : SEALED | BLOCK_HEADER_SIZE)
  }
  Atomics.store(i32, SET_STATE + set, mode === 'in-place' ? SetState.ACTIVE : SetState.FREE)
  // In place, the caller saw the set active; a writer may have swapped it out since, and that
  // swap's PENDING store may have come before the ACTIVE above. A set left ACTIVE while another
  // is active is never written or freed again (every later flush waits for it): make it PENDING.
  if (mode === 'in-place' && (Atomics.load(i32, ACTIVE_GEN) & 1) !== set)
    Atomics.compareExchange(i32, SET_STATE + set, SetState.ACTIVE, SetState.PENDING)
  Atomics.add(i32, SET_FREED, 1)
  Atomics.notify(i32, SET_FREED)
}

/**
 * After the final flush: the set stays sealed for good, emptied so that a retry writes nothing
 * twice. A shard whose writer never committed is left as it is (and its memory is not freed).
 */
export function settleFinal(ctl: ControlBlock, set: number): void {
  const { i32, numShards } = ctl
  const quarantined = Atomics.load(i32, SET_STATE + set) === SetState.QUARANTINED
  let settled = true
  for (let i = 0; i < numShards; i++) {
    const w = shardWord(numShards, set, i)
    foldShardCount(ctl, set, i)
    if (quarantined && !shardDone(ctl, set, i)) {
      settled = false
      continue
    }
    Atomics.store(i32, w + COMMITTED, 0)
    Atomics.store(i32, w + RESERVED, SEALED | CLOSED_FOR_GOOD | BLOCK_HEADER_SIZE)
  }
  if (settled) Atomics.store(i32, SET_STATE + set, SetState.FREE)
}

/**
 * Frees every quarantined set other than `skip` whose shards are all written and settled: its
 * counts are folded, then it is settled for good (`final`) or handed to `reset`.
 */
export function releaseSettled(
  ctl: ControlBlock,
  skip: number | null,
  final: boolean,
  reset: (set: number) => void,
): void {
  const { i32, numShards } = ctl
  for (let s = 0; s < 2; s++) {
    if (s === skip || Atomics.load(i32, SET_STATE + s) !== SetState.QUARANTINED) continue
    let done = true
    for (let i = 0; i < numShards && done; i++) done = shardDone(ctl, s, i)
    if (!done) continue
    for (let i = 0; i < numShards; i++) foldShardCount(ctl, s, i)
    if (final) settleFinal(ctl, s)
    else reset(s)
  }
}

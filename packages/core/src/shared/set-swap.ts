import { BLOCK_HEADER_SIZE } from '../format/framed.js'
import {
  ACTIVE_GEN,
  type ControlBlock,
  RESERVED,
  SEALED,
  SET_FREED,
  SET_GEN,
  SET_STATE,
  SetState,
  SWAPS,
  shardWord,
  wakeFlusher,
} from './control-block.js'
import { faultHook } from './fault-points.js'

/**
 * Swaps the active set for the other one, if that one is FREE, and wakes the flusher.
 * Returns true when the active set has moved on from `gen` (by this call or another thread's),
 * false when the other set is still busy: then the caller's backpressure policy applies.
 *
 * Invariants that make this race-free without a lock:
 *  - ACTIVE_GEN only ever increases, so the compare-and-swap from `gen` succeeds for exactly one
 *    thread, and never for one that looked at an older generation (no ABA).
 *  - Only a successful swap takes a set out of FREE, so a set seen FREE before the CAS is still
 *    FREE when the CAS succeeds.
 *  - A FREE set is sealed (RESERVED = SEALED | header): a writer holding a stale generation cannot
 *    reserve in it before it becomes active. Unsealing is a CAS from exactly that value, so a set
 *    the final flush sealed for good stays sealed.
 *  - Writers that reserved in the old set before the flusher seals it are still flushed with it:
 *    the flusher waits for their commits.
 */
export function requestSwap(ctl: ControlBlock, gen: number): boolean {
  const { i32, numShards } = ctl
  const next = (gen + 1) & 1
  if (Atomics.load(i32, SET_STATE + next) !== SetState.FREE) return false
  if (Atomics.compareExchange(i32, ACTIVE_GEN, gen, gen + 1) !== gen) return true
  Atomics.store(i32, SET_STATE + (gen & 1), SetState.PENDING)
  Atomics.store(i32, SET_GEN + next, gen + 1)
  Atomics.store(i32, SET_STATE + next, SetState.ACTIVE)
  for (let i = 0; i < numShards; i++) {
    Atomics.compareExchange(
      i32,
      shardWord(numShards, next, i) + RESERVED,
      SEALED | BLOCK_HEADER_SIZE,
      BLOCK_HEADER_SIZE,
    )
    if (faultHook !== null) faultHook('swap-unsealing')
  }
  Atomics.add(i32, SWAPS, 1)
  // Writers that found the new set still sealed (this thread was between its swap and the unseal)
  // may have gone to sleep on SET_FREED: the room they wait for is there now.
  Atomics.add(i32, SET_FREED, 1)
  Atomics.notify(i32, SET_FREED)
  wakeFlusher(i32)
  return true
}

/**
 * Unseals the shards of the active set that its swap left sealed: the swapping thread unseals
 * them one by one (above) and may be terminated between two, which would leave the writers of the
 * rest waiting for room forever.
 *
 * Called under the I/O lock. Only the lock's holder makes a set FREE, so the set found ACTIVE here
 * cannot become FREE (and be sealed for reuse) before this unseals it: the unseal is the swapping
 * thread's own, late, and a compare-and-swap from exactly SEALED | header, as its is.
 */
export function finishSwap(ctl: ControlBlock): void {
  const { i32, numShards } = ctl
  const set = Atomics.load(i32, ACTIVE_GEN) & 1
  if (Atomics.load(i32, SET_STATE + set) !== SetState.ACTIVE) return
  let unsealed = false
  for (let i = 0; i < numShards; i++) {
    const w = shardWord(numShards, set, i) + RESERVED
    if (Atomics.load(i32, w) !== (SEALED | BLOCK_HEADER_SIZE)) continue
    if (
      Atomics.compareExchange(i32, w, SEALED | BLOCK_HEADER_SIZE, BLOCK_HEADER_SIZE) ===
      (SEALED | BLOCK_HEADER_SIZE)
    )
      unsealed = true
  }
  if (!unsealed) return
  Atomics.add(i32, SET_FREED, 1)
  Atomics.notify(i32, SET_FREED)
}

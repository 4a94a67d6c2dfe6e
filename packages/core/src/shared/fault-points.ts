/**
 * Named steps of the write paths at which a test can stop a thread and terminate it
 * (test/thread-death.test.ts). A thread runs its own copy of this module, so a hook set in one
 * worker stops that worker only. Unset, a step costs one load and one comparison.
 *
 * This module is not exported by the package: only the tests reach it, through dist/.
 */

/** Every step, in the order an entry passes them. */
export const FAULT_STEPS = [
  // An entry that fits a shard (entry-writer.ts).
  'reserved',
  'length-pending',
  'length-stored',
  'copied',
  'finished',
  'counted',
  'committed',
  // The swap a writer makes when its entry crosses the fill threshold (set-swap.ts).
  'swap-unsealing',
  // An entry larger than a shard, handed to the flusher thread (oversize-slot.ts).
  'oversize-slot-taken',
  'oversize-memory',
  'oversize-copied',
  'oversize-published',
  'oversize-waiting',
] as const

export type FaultStep = (typeof FAULT_STEPS)[number]

/** The hook of this thread; null outside tests. */
export let faultHook: ((step: FaultStep) => void) | null = null

/** Sets (or clears, with null) the hook called at every step this thread passes. */
export function setFaultHook(hook: ((step: FaultStep) => void) | null): void {
  faultHook = hook
}

import { existsSync, readlinkSync } from 'node:fs'
import { IO_LOCK, IO_REPAIR, SET_STATE, SetState } from './control-block.js'

/**
 * The I/O lock: whoever writes to the file, moves to another file or changes a set out of
 * FLUSHING/QUARANTINED holds it, so the file offset, those set states and the f64 statistics have
 * one writer at a time. A futex mutex in the control block's IO_LOCK word.
 */

/** How often a thread waiting for the I/O lock checks that its holder still exists (ms). */
const HOLDER_CHECK_MS = 100
/** Set in IO_LOCK while a thread sleeps waiting for it: the holder's unlock must wake one. */
const IO_WAITERS = 1 << 30
const HOLDER_MASK = IO_WAITERS - 1
/** Holder id of a thread whose Linux thread id is unknown (no /proc): never taken over. */
const UNKNOWN_HOLDER = HOLDER_MASK

/**
 * Takes the I/O lock, a futex mutex whose word is its holder's thread id. Returns false if it
 * could not be had within `timeoutMs`.
 *
 * Invariant: the lock word names its holder from the instant it is taken (one compare-and-swap
 * stores both), so a waiter can always tell whether the holder still exists. A worker thread
 * terminated while it holds the lock (`worker.terminate()` runs no `finally` block) would keep it
 * forever, and with it the flusher and close(): a waiter that finds the holder gone takes the
 * lock over (see takeOver). With the native library, writer threads do not take the lock while
 * the flusher thread runs (oversize-slot.ts), so a writer's lock is taken over only once the
 * flusher itself has stopped.
 */
export function lockIo(i32: Int32Array, timeoutMs = Number.POSITIVE_INFINITY): boolean {
  const me = threadId() || UNKNOWN_HOLDER
  if (Atomics.compareExchange(i32, IO_LOCK, 0, me) === 0) return true
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const word = Atomics.load(i32, IO_LOCK)
    if (word === 0) {
      // Taken with the waiters bit: other sleepers may remain, and the unlock must wake them.
      if (Atomics.compareExchange(i32, IO_LOCK, 0, me | IO_WAITERS) === 0) return true
      continue
    }
    if (takeOver(i32, word, me)) return true
    // Marking the lock contended before sleeping guarantees the holder's unlock wakes us.
    if ((word & IO_WAITERS) === 0 && Atomics.compareExchange(i32, IO_LOCK, word, word | IO_WAITERS) !== word)
      continue
    const left = deadline - performance.now()
    if (left <= 0) return false
    Atomics.wait(i32, IO_LOCK, word | IO_WAITERS, Math.min(left, HOLDER_CHECK_MS))
  }
}

/** Releases the I/O lock and wakes one waiter if there was contention. */
export function unlockIo(i32: Int32Array): void {
  if ((Atomics.exchange(i32, IO_LOCK, 0) & IO_WAITERS) !== 0) Atomics.notify(i32, IO_LOCK, 1)
}

/**
 * Takes the held lock over when its holder's thread no longer exists; true if this thread now
 * holds it. The dead holder may have been anywhere in a write: a set it was writing goes back to
 * PENDING (written again), and IO_REPAIR has the next write first cut off what it wrote but did
 * not record.
 */
function takeOver(i32: Int32Array, word: number, me: number): boolean {
  const holder = word & HOLDER_MASK
  if (holder === UNKNOWN_HOLDER || me === UNKNOWN_HOLDER || threadExists(holder)) return false
  if (Atomics.compareExchange(i32, IO_LOCK, word, me | IO_WAITERS) !== word) return false
  for (let s = 0; s < 2; s++) Atomics.compareExchange(i32, SET_STATE + s, SetState.FLUSHING, SetState.PENDING)
  Atomics.store(i32, IO_REPAIR, 1)
  return true
}

/** The thread id in a held I/O lock's word (tests look for a dead holder). */
export function ioLockHolder(i32: Int32Array): number {
  return Atomics.load(i32, IO_LOCK) & HOLDER_MASK
}

let ownThreadId: number | undefined

/**
 * This thread's Linux thread id (each worker thread has its own module instance), 0 if unknown.
 * Thread ids fit in 22 bits (PID_MAX_LIMIT), below IO_WAITERS.
 */
export function threadId(): number {
  if (ownThreadId === undefined) {
    try {
      ownThreadId = Number(/(\d+)$/.exec(readlinkSync('/proc/thread-self'))?.[1] ?? 0)
    } catch {
      ownThreadId = 0
    }
  }
  return ownThreadId
}

/** Whether thread `tid` of this process still exists (a syscall: slow paths only). */
export function threadExists(tid: number): boolean {
  return existsSync(`/proc/self/task/${tid}`)
}

/** What {@link tryWithIoLock} returns when the lock could not be had in time. */
export const NOT_LOCKED: unique symbol = Symbol('not locked')

/**
 * Runs `body` holding the I/O lock, released however `body` ends. Waits for the lock as long as it
 * takes: it is always had in the end, as a dead holder's lock is taken over.
 */
export function withIoLock<T>(i32: Int32Array, body: () => T): T {
  lockIo(i32)
  try {
    return body()
  } finally {
    unlockIo(i32)
  }
}

/** {@link withIoLock}, giving up after `timeoutMs`: then `NOT_LOCKED`, and `body` did not run. */
export function tryWithIoLock<T>(i32: Int32Array, timeoutMs: number, body: () => T): T | typeof NOT_LOCKED {
  if (!lockIo(i32, timeoutMs)) return NOT_LOCKED
  try {
    return body()
  } finally {
    unlockIo(i32)
  }
}

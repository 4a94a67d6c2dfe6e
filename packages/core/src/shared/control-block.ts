/**
 * The control block: every word that writers, the flusher and the owner share, in one
 * SharedArrayBuffer so that any thread holding it (and the shard memory) can take part.
 *
 * Two views over the same buffer:
 *  - `i32`, words changed with Atomics (states, reservations, counters, futex words);
 *  - `f64`, totals and metrics written only by the holder of the I/O lock and read racily
 *    by statistics (a torn read there only skews a statistic).
 *
 * Each shard's words sit on their own 64-byte line so that threads on different shards do not
 * bounce a cache line between cores.
 */

import { existsSync, readlinkSync } from 'node:fs'
import { StateError } from '../errors.js'

// --- i32 words -------------------------------------------------------------------------------
export const MAGIC = 0
/** Generation of the active set; the active set's index is `gen & 1`. Only ever increases. */
export const ACTIVE_GEN = 1
/** SET_STATE + s: state of set s (see SetState). */
export const SET_STATE = 2
/** SET_GEN + s: the generation set s holds (meaningful while ACTIVE, PENDING or FLUSHING). */
export const SET_GEN = 4
/** Futex word: incremented (and notified) whenever the flusher has something to do. */
export const FLUSHER_WAKE = 6
/**
 * Futex word: incremented (and notified) whenever a set becomes FREE, and when a swapped-in set is
 * unsealed for writing; blocked writers wait here.
 */
export const SET_FREED = 7
/**
 * The I/O lock: 0 when free, else the Linux thread id of its holder (IO_WAITERS set when another
 * thread sleeps on it). Whoever writes to the file holds it. See lockIo.
 */
export const IO_LOCK = 8
/** 1 once close() or the exit hook began: writers drop and count from then on. */
export const CLOSED = 9
/** 1 when the flusher must do a final flush and exit. */
export const STOP = 10
/** Round-robin counter that hands each writer thread its shard. */
export const NEXT_SHARD = 11
/** Entries dropped since the flusher last folded this counter into DROPPED_TOTAL. */
export const DROPPED = 12
/** Flush tickets: flush() takes FLUSH_REQUESTED + 1; FLUSH_DONE says which ticket is durable. */
export const FLUSH_REQUESTED = 13
export const FLUSH_DONE = 14
/** FlusherState of the flusher thread. */
export const FLUSHER_STATE = 15
/** Swaps since the flusher last folded this counter. */
export const SWAPS = 16
/** 1 once every shard of both sets is sealed for good (after the final flush). */
export const FINAL = 17
/** Ticket of the last flush() that failed, and the errno of the last failed write. */
export const FLUSH_FAILED = 21
export const LAST_ERRNO = 22
/** Never written: waiting on it for its value 0 is a short sleep. */
export const NAP = 23
/** A descriptor of the file without O_DIRECT (the lines format's partial tail; after a fallback). */
export const BUFFERED_FD = 25
/** Lines format: bytes of the partial last block, kept at the start of the staging buffer. */
export const TAIL_LEN = 26
/** Set by a writer that found both sets busy: the flusher must make room (in place if need be). */
export const NEED_ROOM = 24
/** 1 while the file is written with O_DIRECT; 0 after a fallback to buffered I/O. */
export const DIRECT_IO = 18
/** The alignment every block offset and length is a multiple of. */
export const ALIGNMENT = 19
/** The file descriptor blocks are written to (replaced by a buffered one after a fallback). */
export const FILE_FD = 20
/** The descriptor holding the file's lock; with FILE_FD and BUFFERED_FD, what is closed at the end. */
export const LOCK_FD = 27
/**
 * Which file is written: 0 for the configured path itself, n > 0 for file n of the rotated
 * series stamped F_FILE_STAMP (format/series.ts). Changed only under the I/O lock.
 */
export const FILE_SEQ = 28
/** reopen() tickets, as the flush tickets: REOPEN_DONE / REOPEN_FAILED say which was handled. */
export const REOPEN_REQUESTED = 29
export const REOPEN_DONE = 30
export const REOPEN_FAILED = 31
/**
 * 1 after the I/O lock was taken over from a thread that died holding it: the next write first
 * cuts the file back to the end the logger recorded (output-io.ts).
 */
export const IO_REPAIR = 33
/**
 * The oversize slot (oversize-slot.ts): the thread id of the writer that owns it (0: free), the
 * ticket of the entry it holds once published, the last tickets written and failed, and the
 * entry's C memory (address in two halves), length in bytes and number of entries.
 */
export const OVERSIZE_OWNER = 34
export const OVERSIZE_TICKET = 35
export const OVERSIZE_DONE = 36
export const OVERSIZE_FAILED = 37
export const OVERSIZE_ADDR_HI = 38
export const OVERSIZE_ADDR_LO = 39
export const OVERSIZE_LENGTH = 40
export const OVERSIZE_ENTRIES = 41

const SHARD_BASE = 48
const SHARD_STRIDE = 16
/** Offsets within a shard's line of words. */
export const RESERVED = 0
export const COMMITTED = 1
export const COUNT = 2
/**
 * 1 once the shard's records are in the file. Only meaningful for a set that was written while
 * one of its shards was not settled (QUARANTINED, late-records.ts); changed under the I/O lock.
 */
export const WRITTEN = 3

/** Index of shard `shard` of set `set`'s RESERVED word (COMMITTED and COUNT follow it). */
export function shardWord(numShards: number, set: number, shard: number): number {
  return SHARD_BASE + (set * numShards + shard) * SHARD_STRIDE
}

/**
 * A RESERVED word: bit 31 sealed (no reservation can succeed: the word is negative), bit 30
 * closed for good (set by the final flush, so a late swap cannot unseal the set again), bits 0-29
 * the end offset of the last reservation (shards are at most 512 MiB).
 */
export const SEALED = 1 << 31
export const CLOSED_FOR_GOOD = 1 << 30
export const OFFSET_MASK = 0x3fffffff

export enum SetState {
  /** Empty, zeroed and sealed: ready to become active. */
  FREE = 0,
  /** Taking reservations. */
  ACTIVE = 1,
  /** Swapped out, waiting for the flusher. */
  PENDING = 2,
  /** Being written by the holder of the I/O lock. */
  FLUSHING = 3,
  /** Written, but a writer that reserved space never committed: not reused until it does. */
  QUARANTINED = 4,
}

export enum FlusherState {
  STARTING = 0,
  RUNNING = 1,
  STOPPED = 2,
}

// --- f64 words (written under the I/O lock) --------------------------------------------------
export const F_FILE_OFFSET = 0
export const F_BYTES_WRITTEN = 1
export const F_FLUSHES = 2
export const F_FLUSH_ERRORS = 3
export const F_SET_SWAPS = 4
export const F_DROPPED_TOTAL = 5
export const F_ENTRIES_WRITTEN = 6
export const F_ABANDONED = 7
export const F_FLUSH_MS_TOTAL = 8
export const F_FLUSH_MS_MAX = 9
export const F_FLUSH_MS_LAST = 10
export const F_FLUSH_BYTES_LAST = 11
export const F_LAST_FLUSH_AT = 12
export const F_OVERSIZE = 13
/** F_QUARANTINED_AT + s: when set s was quarantined (Date.now(): every thread shares that clock). */
export const F_QUARANTINED_AT = 14
/** Files the logger moved to (rotations and reopens) and attempts that failed. */
export const F_ROTATIONS = 16
export const F_ROTATION_ERRORS = 17
/** The start (ms since the epoch) of the period the current series file is stamped with. */
export const F_FILE_STAMP = 18
/** When the current interval ends (ms since the epoch); 0 without interval rotation. */
export const F_NEXT_ROTATE_AT = 19
/** After a failed rotation, none is tried before this time (ms since the epoch). */
export const F_ROTATE_RETRY_AT = 20
/**
 * Added to Date.now() wherever rotation reads the wall clock (wallClock()). Always 0 except in
 * tests, which move a logger's clock forward instead of waiting for an hour to pass.
 */
export const F_CLOCK_SKEW = 21
/** F_SHARD_WRITES + i: entries shard i has written over the logger's life. */
export const F_SHARD_WRITES = 24

export const MAGIC_VALUE = 0x41440001

/** The two views of one control block. */
export interface ControlBlock {
  readonly sab: SharedArrayBuffer
  readonly i32: Int32Array
  readonly f64: Float64Array
  readonly numShards: number
}

function i32Words(numShards: number): number {
  return SHARD_BASE + 2 * numShards * SHARD_STRIDE
}

/** Allocates a zeroed control block for `numShards` shards per set. */
export function createControlBlock(numShards: number): ControlBlock {
  const i32Bytes = i32Words(numShards) * 4
  const f64Bytes = (F_SHARD_WRITES + numShards) * 8
  const sab = new SharedArrayBuffer(i32Bytes + f64Bytes)
  const block = viewControlBlock(sab, numShards)
  block.i32[MAGIC] = MAGIC_VALUE
  return block
}

/** Views an existing control block (in another thread). */
export function viewControlBlock(sab: SharedArrayBuffer, numShards: number): ControlBlock {
  const i32Bytes = i32Words(numShards) * 4
  const i32 = new Int32Array(sab, 0, i32Words(numShards))
  const f64 = new Float64Array(sab, i32Bytes, F_SHARD_WRITES + numShards)
  if (i32[MAGIC] !== 0 && i32[MAGIC] !== MAGIC_VALUE)
    throw new StateError('ASYNCDIRECT_BAD_HANDLE', 'asyncdirect: not a control block')
  return { sab, i32, f64, numShards }
}

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
 * lock over (see takeOver). While the flusher thread runs, writer threads never take the lock
 * (oversize-slot.ts), so a takeover only happens after the flusher itself has stopped.
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

/** Wakes the flusher thread. */
export function wakeFlusher(i32: Int32Array): void {
  Atomics.add(i32, FLUSHER_WAKE, 1)
  Atomics.notify(i32, FLUSHER_WAKE, 1)
}

/** The wall clock rotation goes by: Date.now(), plus the skew a test may have set. */
export function wallClock(ctl: ControlBlock): number {
  return Date.now() + ctl.f64[F_CLOCK_SKEW]!
}

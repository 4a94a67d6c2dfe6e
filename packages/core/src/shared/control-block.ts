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

import { StateError } from '../errors.js'
import { BLOCK_HEADER_SIZE } from '../format/framed.js'

// --- i32 words, in index order ---------------------------------------------------------------
// Indices are the protocol: every thread of a logger, and every copy of this package that
// attaches to it, reads the same word at the same index. I32_LAYOUT below lists them all, and a
// test checks that no two overlap.

/** MAGIC_VALUE once created; a control block that holds anything else is refused. */
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
 * thread sleeps on it). Whoever writes to the file holds it (io-lock.ts).
 */
export const IO_LOCK = 8
/** 1 once close() or the exit hook began: writers drop and count from then on. */
export const CLOSED = 9
/** 1 when the flusher must do a final flush and exit. */
export const STOP = 10
/** Round-robin counter that hands each writer thread its shard. */
export const NEXT_SHARD = 11
/** Entries dropped since the flusher last folded this counter into F_DROPPED_TOTAL. */
export const DROPPED = 12
/** flush() tickets (tickets.ts): the last one taken, and the last one durable. */
export const FLUSH_REQUESTED = 13
export const FLUSH_DONE = 14
/** FlusherState of the flusher thread. */
export const FLUSHER_STATE = 15
/** Swaps since the flusher last folded this counter. */
export const SWAPS = 16
/** 1 once every shard of both sets is sealed for good (after the final flush). */
export const FINAL = 17
/** 1 while the file is written with O_DIRECT; 0 after a fallback to buffered I/O. */
export const DIRECT_IO = 18
/** The alignment every block offset and length is a multiple of. */
export const ALIGNMENT = 19
/** The file descriptor blocks are written to (replaced by a buffered one after a fallback). */
export const FILE_FD = 20
/** The last flush() ticket whose flush failed. */
export const FLUSH_FAILED = 21
/** The errno of the last failed write, rotation or sync (errors name it). */
export const LAST_ERRNO = 22
/** Never written: waiting on it for its value 0 is a short sleep. */
export const NAP = 23
/** Set by a writer that found both sets busy: the flusher must make room (in place if need be). */
export const NEED_ROOM = 24
/** A descriptor of the file without O_DIRECT (the lines format's partial tail; after a fallback). */
export const BUFFERED_FD = 25
/** Lines format: bytes of the partial last block, kept at the start of the staging buffer. */
export const TAIL_LEN = 26
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

/** Where the shards' words start: after every word above, on a 64-byte line of its own. */
const SHARD_BASE = 48
/** Words per shard: one 64-byte line, so threads on different shards share no cache line. */
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

/** A word, or a run of `words` words, of the control block. */
export interface Word {
  readonly name: string
  readonly at: number
  readonly words: number
}

/** Every i32 word before the shards, in index order. */
export const I32_LAYOUT: readonly Word[] = [
  { name: 'MAGIC', at: MAGIC, words: 1 },
  { name: 'ACTIVE_GEN', at: ACTIVE_GEN, words: 1 },
  { name: 'SET_STATE', at: SET_STATE, words: 2 },
  { name: 'SET_GEN', at: SET_GEN, words: 2 },
  { name: 'FLUSHER_WAKE', at: FLUSHER_WAKE, words: 1 },
  { name: 'SET_FREED', at: SET_FREED, words: 1 },
  { name: 'IO_LOCK', at: IO_LOCK, words: 1 },
  { name: 'CLOSED', at: CLOSED, words: 1 },
  { name: 'STOP', at: STOP, words: 1 },
  { name: 'NEXT_SHARD', at: NEXT_SHARD, words: 1 },
  { name: 'DROPPED', at: DROPPED, words: 1 },
  { name: 'FLUSH_REQUESTED', at: FLUSH_REQUESTED, words: 1 },
  { name: 'FLUSH_DONE', at: FLUSH_DONE, words: 1 },
  { name: 'FLUSHER_STATE', at: FLUSHER_STATE, words: 1 },
  { name: 'SWAPS', at: SWAPS, words: 1 },
  { name: 'FINAL', at: FINAL, words: 1 },
  { name: 'DIRECT_IO', at: DIRECT_IO, words: 1 },
  { name: 'ALIGNMENT', at: ALIGNMENT, words: 1 },
  { name: 'FILE_FD', at: FILE_FD, words: 1 },
  { name: 'FLUSH_FAILED', at: FLUSH_FAILED, words: 1 },
  { name: 'LAST_ERRNO', at: LAST_ERRNO, words: 1 },
  { name: 'NAP', at: NAP, words: 1 },
  { name: 'NEED_ROOM', at: NEED_ROOM, words: 1 },
  { name: 'BUFFERED_FD', at: BUFFERED_FD, words: 1 },
  { name: 'TAIL_LEN', at: TAIL_LEN, words: 1 },
  { name: 'LOCK_FD', at: LOCK_FD, words: 1 },
  { name: 'FILE_SEQ', at: FILE_SEQ, words: 1 },
  { name: 'REOPEN_REQUESTED', at: REOPEN_REQUESTED, words: 1 },
  { name: 'REOPEN_DONE', at: REOPEN_DONE, words: 1 },
  { name: 'REOPEN_FAILED', at: REOPEN_FAILED, words: 1 },
  { name: 'IO_REPAIR', at: IO_REPAIR, words: 1 },
  { name: 'OVERSIZE_OWNER', at: OVERSIZE_OWNER, words: 1 },
  { name: 'OVERSIZE_TICKET', at: OVERSIZE_TICKET, words: 1 },
  { name: 'OVERSIZE_DONE', at: OVERSIZE_DONE, words: 1 },
  { name: 'OVERSIZE_FAILED', at: OVERSIZE_FAILED, words: 1 },
  { name: 'OVERSIZE_ADDR_HI', at: OVERSIZE_ADDR_HI, words: 1 },
  { name: 'OVERSIZE_ADDR_LO', at: OVERSIZE_ADDR_LO, words: 1 },
  { name: 'OVERSIZE_LENGTH', at: OVERSIZE_LENGTH, words: 1 },
  { name: 'OVERSIZE_ENTRIES', at: OVERSIZE_ENTRIES, words: 1 },
]

/** The words of one shard's line, in offset order. */
export const SHARD_LAYOUT: readonly Word[] = [
  { name: 'RESERVED', at: RESERVED, words: 1 },
  { name: 'COMMITTED', at: COMMITTED, words: 1 },
  { name: 'COUNT', at: COUNT, words: 1 },
  { name: 'WRITTEN', at: WRITTEN, words: 1 },
]

/** Index of shard `shard` of set `set`'s RESERVED word (COMMITTED, COUNT and WRITTEN follow it). */
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

// --- f64 words, in index order (written under the I/O lock) -------------------------------------
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
/** F_SHARD_WRITES + i: entries shard i has written over the logger's life (the last words). */
export const F_SHARD_WRITES = 24

/** Every f64 word before the per-shard totals, in index order. */
export const F64_LAYOUT: readonly Word[] = [
  { name: 'F_FILE_OFFSET', at: F_FILE_OFFSET, words: 1 },
  { name: 'F_BYTES_WRITTEN', at: F_BYTES_WRITTEN, words: 1 },
  { name: 'F_FLUSHES', at: F_FLUSHES, words: 1 },
  { name: 'F_FLUSH_ERRORS', at: F_FLUSH_ERRORS, words: 1 },
  { name: 'F_SET_SWAPS', at: F_SET_SWAPS, words: 1 },
  { name: 'F_DROPPED_TOTAL', at: F_DROPPED_TOTAL, words: 1 },
  { name: 'F_ENTRIES_WRITTEN', at: F_ENTRIES_WRITTEN, words: 1 },
  { name: 'F_ABANDONED', at: F_ABANDONED, words: 1 },
  { name: 'F_FLUSH_MS_TOTAL', at: F_FLUSH_MS_TOTAL, words: 1 },
  { name: 'F_FLUSH_MS_MAX', at: F_FLUSH_MS_MAX, words: 1 },
  { name: 'F_FLUSH_MS_LAST', at: F_FLUSH_MS_LAST, words: 1 },
  { name: 'F_FLUSH_BYTES_LAST', at: F_FLUSH_BYTES_LAST, words: 1 },
  { name: 'F_LAST_FLUSH_AT', at: F_LAST_FLUSH_AT, words: 1 },
  { name: 'F_OVERSIZE', at: F_OVERSIZE, words: 1 },
  { name: 'F_QUARANTINED_AT', at: F_QUARANTINED_AT, words: 2 },
  { name: 'F_ROTATIONS', at: F_ROTATIONS, words: 1 },
  { name: 'F_ROTATION_ERRORS', at: F_ROTATION_ERRORS, words: 1 },
  { name: 'F_FILE_STAMP', at: F_FILE_STAMP, words: 1 },
  { name: 'F_NEXT_ROTATE_AT', at: F_NEXT_ROTATE_AT, words: 1 },
  { name: 'F_ROTATE_RETRY_AT', at: F_ROTATE_RETRY_AT, words: 1 },
  { name: 'F_CLOCK_SKEW', at: F_CLOCK_SKEW, words: 1 },
]

/** Where the shards' i32 words start and how many each takes (for the layout test). */
export const SHARD_WORDS = { base: SHARD_BASE, stride: SHARD_STRIDE } as const

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

/**
 * close() and the exit hook: from now on writers drop (and count) what they log, and the flusher
 * does its final flush and exits.
 */
export function requestStop(i32: Int32Array): void {
  Atomics.store(i32, CLOSED, 1)
  Atomics.store(i32, STOP, 1)
  wakeFlusher(i32)
}

/**
 * True when every reservation of both sets has committed: no writer can still touch the shard
 * memory, which may then be freed.
 */
export function allCommitted(ctl: ControlBlock): boolean {
  const { i32, numShards } = ctl
  for (let s = 0; s < 2; s++) {
    for (let i = 0; i < numShards; i++) {
      const w = shardWord(numShards, s, i)
      const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
      if (Atomics.load(i32, w + COMMITTED) !== end - BLOCK_HEADER_SIZE) return false
    }
  }
  return true
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

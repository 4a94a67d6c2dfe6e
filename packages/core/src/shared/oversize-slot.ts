import {
  type ControlBlock,
  OVERSIZE_ADDR_HI,
  OVERSIZE_ADDR_LO,
  OVERSIZE_ENTRIES,
  OVERSIZE_LENGTH,
  OVERSIZE_OWNER,
  OVERSIZE_TICKET,
} from './control-block.js'
import { faultHook } from './fault-points.js'
import { threadExists } from './io-lock.js'
import type { NativeLibrary } from './native-library.js'
import { answerTicket, OVERSIZE_TICKETS, ticketOutcome } from './tickets.js'

/**
 * Entries larger than a shard, handed by the thread that logs them to the flusher thread, which
 * writes them after everything logged before.
 *
 * Why: user code may terminate a worker thread at any instruction. A writer that held the I/O lock
 * while writing the file could die between its write and its record of the write, leaving the
 * file and the logger's idea of it apart. So while the flusher thread runs, writer threads never
 * write the file: they copy the entry into C memory and hand it over through one slot.
 *
 * The slot is a handful of control-block words; one entry at a time goes through it:
 *  1. take: OVERSIZE_OWNER goes 0 -> the writer's thread id (one compare-and-swap).
 *  2. the writer allocates C memory, records its address, copies the entry.
 *  3. publish: OVERSIZE_LENGTH and OVERSIZE_ENTRIES, then OVERSIZE_TICKET = the next ticket.
 *  4. the flusher, under the I/O lock, writes every set, then the entry; frees the memory;
 *     answers the ticket (tickets.ts: OVERSIZE_DONE or OVERSIZE_FAILED); frees the slot.
 *
 * Invariant: an entry whose ticket is published is the flusher's and reaches the file whole
 * (or fails and is counted as dropped), whatever becomes of its writer; an entry that was not
 * published never reaches the file. A writer that dies before publishing leaves the slot owned by
 * a thread that no longer exists: the flusher frees its memory, counts its entry as abandoned
 * and frees the slot.
 */

/** What the flusher does with an entry handed over. */
export interface OversizeWriter {
  /** Writes every set, then `bytes` as `entries` entries; false if a write failed (reported). */
  writeHandedOver(bytes: Uint8Array, entries: number): boolean
  /** Counts and reports an entry given up on (its writer died before handing it over). */
  abandonOversize(): void
}

/** Takes the slot for thread `me`; false while another thread has it. */
export function takeSlot(i32: Int32Array, me: number): boolean {
  return Atomics.compareExchange(i32, OVERSIZE_OWNER, 0, me) === 0
}

/**
 * Copies `bytes` into C memory held by the slot (taken by this thread) and publishes it as
 * `entries` entries. Returns the entry's ticket, or 0 when no memory could be had (slot freed).
 */
export function publish(ctl: ControlBlock, lib: NativeLibrary, bytes: Uint8Array, entries: number): number {
  const { i32 } = ctl
  if (faultHook !== null) faultHook('oversize-slot-taken')
  const addr = lib.allocAligned(64, Math.max(bytes.length, 1))
  if (addr === 0) {
    releaseSlot(i32)
    return 0
  }
  // Recorded before the copy, so the memory of a writer that dies from here on is freed.
  storeAddress(i32, addr)
  if (faultHook !== null) faultHook('oversize-memory')
  new Uint8Array(lib.view(addr, bytes.length)).set(bytes)
  if (faultHook !== null) faultHook('oversize-copied')
  Atomics.store(i32, OVERSIZE_LENGTH, bytes.length)
  Atomics.store(i32, OVERSIZE_ENTRIES, entries)
  const ticket = Atomics.load(i32, OVERSIZE_TICKET) + 1
  Atomics.store(i32, OVERSIZE_TICKET, ticket)
  if (faultHook !== null) faultHook('oversize-published')
  return ticket
}

/**
 * The flusher's side, under the I/O lock: writes a published entry, or reclaims the slot from a
 * writer that died before publishing. False if a write failed.
 */
export function serveSlot(ctl: ControlBlock, lib: NativeLibrary | null, out: OversizeWriter): boolean {
  const { i32 } = ctl
  const owner = Atomics.load(i32, OVERSIZE_OWNER)
  if (owner === 0 || lib === null) return true
  const ticket = Atomics.load(i32, OVERSIZE_TICKET)
  if (ticketOutcome(i32, OVERSIZE_TICKETS, ticket) === 'waiting') {
    const addr = loadAddress(i32)
    const length = Atomics.load(i32, OVERSIZE_LENGTH) >>> 0
    const ok = out.writeHandedOver(
      new Uint8Array(lib.view(addr, length)),
      Atomics.load(i32, OVERSIZE_ENTRIES),
    )
    freeMemory(i32, lib)
    answerTicket(i32, OVERSIZE_TICKETS, ticket, ok)
    releaseSlot(i32)
    return ok
  }
  if (!threadExists(owner)) {
    // Re-read: the owner may have published after the first look, and only then died.
    if (Atomics.load(i32, OVERSIZE_TICKET) !== ticket) return serveSlot(ctl, lib, out)
    freeMemory(i32, lib)
    out.abandonOversize()
    releaseSlot(i32)
  }
  return true
}

/** The owner's own way out: frees its memory (if any) and the slot. */
export function giveBack(i32: Int32Array, lib: NativeLibrary): void {
  freeMemory(i32, lib)
  releaseSlot(i32)
}

/** The published entry as the owner hands it to its own writer when no flusher runs. */
export function publishedBytes(i32: Int32Array, lib: NativeLibrary): Uint8Array {
  return new Uint8Array(lib.view(loadAddress(i32), Atomics.load(i32, OVERSIZE_LENGTH) >>> 0))
}

function releaseSlot(i32: Int32Array): void {
  Atomics.store(i32, OVERSIZE_OWNER, 0)
  Atomics.notify(i32, OVERSIZE_OWNER)
}

function freeMemory(i32: Int32Array, lib: NativeLibrary): void {
  const addr = loadAddress(i32)
  if (addr === 0) return
  storeAddress(i32, 0)
  lib.free(addr)
}

// User-space addresses fit in 47 bits: two words, stored high half first and read back together.
function storeAddress(i32: Int32Array, addr: number): void {
  Atomics.store(i32, OVERSIZE_ADDR_HI, Math.floor(addr / 2 ** 32))
  Atomics.store(i32, OVERSIZE_ADDR_LO, addr >>> 0)
}

function loadAddress(i32: Int32Array): number {
  return Atomics.load(i32, OVERSIZE_ADDR_HI) * 2 ** 32 + (Atomics.load(i32, OVERSIZE_ADDR_LO) >>> 0)
}

import {
  CLOSED,
  FINAL,
  FLUSHER_STATE,
  FlusherState,
  OVERSIZE_ENTRIES,
  OVERSIZE_OWNER,
  wakeFlusher,
} from '../shared/control-block.js'
import { faultHook } from '../shared/fault-points.js'
import { threadId, withIoLock } from '../shared/io-lock.js'
import type { NativeLibrary } from '../shared/native-library.js'
import { giveBack, publish, publishedBytes, takeSlot } from '../shared/oversize-slot.js'
import { answerTicket, OVERSIZE_TICKETS, ticketOutcome, waitTicket } from '../shared/tickets.js'
import { BLOCK_WAIT_MS, type WriterContext } from './writer-context.js'

/**
 * How long an oversize entry waits for a flusher thread that is still starting (createLogger()
 * resolves before it runs) before writing from this thread. Bounded: a worker that dies while
 * starting is marked STOPPED by its owner's event loop, which may be this very thread.
 */
const START_WAIT_MS = 2000

type SlotOutcome = 'done' | 'failed' | 'no-flusher'

/**
 * Writes an entry larger than a shard, as `entries` entries: handed to the flusher thread, which
 * writes it as a block of its own after everything logged before it (so this thread's order
 * holds), while this thread waits. Only when no flusher thread runs does this thread write it,
 * holding the I/O lock. False when the write failed (the caller drops and counts the entry).
 *
 * Trap: with the native library, while the flusher thread runs, this thread must not write the
 * file itself. It may be a worker terminated at any instruction, and dying between a write and
 * its record would leave the file and the logger's idea of it apart (shared/oversize-slot.ts).
 * Without the library (the buffered fallback: no C memory to hand over) it writes the entry.
 */
export function writeOversize(cx: WriterContext, bytes: Uint8Array, entries: number): boolean {
  const i32 = cx.ctl.i32
  const lib = cx.lib
  const me = threadId()
  if (lib !== null && me > 0) {
    awaitFlusherStart(i32)
    const handed = handOver(cx, lib, me, bytes, entries)
    if (handed !== 'no-flusher') return handed === 'done'
  }
  return withIoLock(i32, () => cx.flusher().writeOversize(bytes, entries))
}

/** The writer's side of the oversize slot (shared/oversize-slot.ts). */
function handOver(
  cx: WriterContext,
  lib: NativeLibrary,
  me: number,
  bytes: Uint8Array,
  entries: number,
): SlotOutcome {
  const i32 = cx.ctl.i32
  while (!takeSlot(i32, me)) {
    if (Atomics.load(i32, FLUSHER_STATE) !== FlusherState.RUNNING) return 'no-flusher'
    if (Atomics.load(i32, CLOSED) === 1) return 'failed'
    const owner = Atomics.load(i32, OVERSIZE_OWNER)
    if (owner === 0) continue
    // The flusher frees the slot of a writer that died holding it.
    wakeFlusher(i32)
    Atomics.wait(i32, OVERSIZE_OWNER, owner, BLOCK_WAIT_MS)
  }
  if (Atomics.load(i32, FLUSHER_STATE) !== FlusherState.RUNNING) {
    giveBack(i32, lib)
    return 'no-flusher'
  }
  const ticket = publish(cx.ctl, lib, bytes, entries)
  if (ticket === 0) return 'failed'
  wakeFlusher(i32)
  if (faultHook !== null) faultHook('oversize-waiting')
  const answer = waitTicket(i32, OVERSIZE_TICKETS, ticket, BLOCK_WAIT_MS)
  return answer === 'no-flusher' ? writeOwnSlot(cx, lib, ticket) : answer
}

/** The flusher stopped before it took this thread's published entry: written from here. */
function writeOwnSlot(cx: WriterContext, lib: NativeLibrary, ticket: number): SlotOutcome {
  const i32 = cx.ctl.i32
  return withIoLock(i32, (): SlotOutcome => {
    const now = ticketOutcome(i32, OVERSIZE_TICKETS, ticket)
    if (now !== 'waiting') return now
    const ok =
      Atomics.load(i32, FINAL) === 0 &&
      cx.flusher().writeOversize(publishedBytes(i32, lib), Atomics.load(i32, OVERSIZE_ENTRIES))
    answerTicket(i32, OVERSIZE_TICKETS, ticket, ok)
    giveBack(i32, lib)
    return ok ? 'done' : 'failed'
  })
}

/** Waits (at most START_WAIT_MS) while the flusher thread is starting. */
function awaitFlusherStart(i32: Int32Array): void {
  const deadline = performance.now() + START_WAIT_MS
  for (;;) {
    const left = deadline - performance.now()
    if (left <= 0 || Atomics.load(i32, FLUSHER_STATE) !== FlusherState.STARTING) return
    Atomics.wait(i32, FLUSHER_STATE, FlusherState.STARTING, left)
  }
}

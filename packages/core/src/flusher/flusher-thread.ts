/**
 * The flusher: a worker thread (unref'd by its owner, so it never keeps the process alive) that
 * sleeps on the control block and writes buffer sets to the file.
 *
 * It wakes on FLUSHER_WAKE (a swap, a flush() ticket, close), to look at the active set (at least
 * every `writeDelay / 2`, write-delay.ts) or after at most one second, and then, holding the I/O
 * lock: writes every PENDING set; writes the active set too, and makes everything durable, when a
 * flush() ticket is open or `flushInterval` has passed since the last flush; else writes the active
 * set alone once its oldest entry may have waited `writeDelay`; returns quarantined sets once
 * their late records are written (late-records.ts). A failed write keeps its set PENDING and is
 * retried with a growing delay (10 ms to 1 s), so a full disk costs retries, not data. Between
 * writes it also moves to the next file of a rotated series at an interval boundary, and handles
 * reopen() tickets.
 */
import { parentPort, workerData } from 'node:worker_threads'
import {
  ACTIVE_GEN,
  FINAL,
  FLUSH_DONE,
  FLUSH_FAILED,
  FLUSH_REQUESTED,
  FLUSHER_STATE,
  FLUSHER_WAKE,
  FlusherState,
  NEED_ROOM,
  REOPEN_REQUESTED,
  SET_FREED,
  STOP,
} from '../shared/control-block.js'
import type { FlushReport } from '../shared/flush-context.js'
import { lockIo, unlockIo, withIoLock } from '../shared/io-lock.js'
import { type LoggerHandle, openThreadMemory } from '../shared/logger-handle.js'
import { toMessage } from '../shared/thread-messages.js'
import { answerTicket, FLUSH_TICKETS, REOPEN_TICKETS, ticketOutcome } from '../shared/tickets.js'
import { openSetFlusher } from './open-set-flusher.js'
import { WriteDelay } from './write-delay.js'

const handle = workerData as LoggerHandle
const report = (r: FlushReport) => parentPort?.postMessage(toMessage(r))
const thread = openThreadMemory(handle)
const { i32 } = thread.ctl
const flusher = openSetFlusher(handle, thread, report)
const MAX_IDLE_MS = 1000
const FINAL_ATTEMPTS = 5

function run(): void {
  let lastFlush = performance.now()
  let retryDelay = 0
  const delay = new WriteDelay(handle.writeDelay, lastFlush)
  for (;;) {
    const wake = Atomics.load(i32, FLUSHER_WAKE)
    if (Atomics.load(i32, STOP) === 1) {
      finalFlush()
      return
    }
    const requested = Atomics.load(i32, FLUSH_REQUESTED)
    const now = performance.now()
    const needRoom = Atomics.exchange(i32, NEED_ROOM, 0) === 1
    const due =
      needRoom || now - lastFlush >= handle.flushInterval || requested > Atomics.load(i32, FLUSH_DONE)
    const gen = Atomics.load(i32, ACTIVE_GEN)
    const early = delay.look(now, gen, flusher.hasData(gen & 1)) && !due
    const reopen = Atomics.load(i32, REOPEN_REQUESTED)
    let ok: boolean
    lockIo(i32)
    try {
      if (ticketOutcome(i32, REOPEN_TICKETS, reopen) === 'waiting')
        answerTicket(i32, REOPEN_TICKETS, reopen, flusher.reopen())
      ok = flusher.rotateIfDue() && flusher.flushPending()
      // Even after a failed write: a writer waits for its entry's outcome (failed: dropped, counted).
      ok = flusher.serveOversizeSlot() && ok
      if (ok && due) {
        ok = flusher.flushAll()
        lastFlush = now
        delay.written()
      } else if (ok && early) {
        ok = flusher.writeActive()
        delay.written()
      }
      ok = flusher.flushLate(false) && ok
      flusher.foldCounters()
    } finally {
      unlockIo(i32)
    }
    // Every ticket taken before this pass began is answered by it.
    if (requested > Atomics.load(i32, ok ? FLUSH_DONE : FLUSH_FAILED))
      answerTicket(i32, FLUSH_TICKETS, requested, ok)
    retryDelay = ok ? 0 : Math.min(Math.max(retryDelay * 2, 10), 1000)
    if (!ok) {
      backOff(retryDelay, requested)
      continue
    }
    const after = performance.now()
    const untilInterval = handle.flushInterval - (after - lastFlush)
    const sleep = Math.min(untilInterval, delay.sleep(after), MAX_IDLE_MS)
    Atomics.wait(i32, FLUSHER_WAKE, wake, Math.max(1, sleep))
  }
}

/**
 * After a failed write, waits `ms` before trying again. Writers that find no room keep waking the
 * flusher; on a full disk each wake-up would cost a failing write and an 'error' event, thousands
 * a second. Only close/exit (STOP) or a new flush() call cut the wait short.
 */
function backOff(ms: number, requested: number): void {
  const until = performance.now() + ms
  for (;;) {
    const wake = Atomics.load(i32, FLUSHER_WAKE)
    if (Atomics.load(i32, STOP) === 1 || Atomics.load(i32, FLUSH_REQUESTED) !== requested) return
    const left = until - performance.now()
    if (left <= 0) return
    Atomics.wait(i32, FLUSHER_WAKE, wake, left)
  }
}

/** close() or the exit hook asked for the end: write everything, a few tries if the disk fails. */
function finalFlush(): void {
  for (let attempt = 0; attempt < FINAL_ATTEMPTS && Atomics.load(i32, FINAL) !== 1; attempt++) {
    if (attempt > 0) Atomics.wait(i32, FLUSHER_WAKE, Atomics.load(i32, FLUSHER_WAKE), 100 * 2 ** attempt)
    withIoLock(i32, () => flusher.serveOversizeSlot() && flusher.flushFinal())
  }
}

Atomics.store(i32, FLUSHER_STATE, FlusherState.RUNNING)
Atomics.notify(i32, FLUSHER_STATE)
parentPort?.postMessage({ type: 'ready' })
try {
  run()
} finally {
  Atomics.store(i32, FLUSHER_STATE, FlusherState.STOPPED)
  Atomics.notify(i32, FLUSHER_STATE)
  // Writers blocked on a full buffer look at FLUSHER_STATE when woken and write themselves.
  Atomics.add(i32, SET_FREED, 1)
  Atomics.notify(i32, SET_FREED)
  Atomics.notify(i32, FLUSH_DONE)
}

import {
  FLUSH_DONE,
  FLUSH_FAILED,
  FLUSH_REQUESTED,
  FLUSHER_STATE,
  FlusherState,
  OVERSIZE_DONE,
  OVERSIZE_FAILED,
  OVERSIZE_TICKET,
  REOPEN_DONE,
  REOPEN_FAILED,
  REOPEN_REQUESTED,
  wakeFlusher,
} from './control-block.js'

/**
 * Tickets: how a thread asks the flusher thread for work (a durable flush, a reopen, the write of
 * an entry larger than a shard) and learns the outcome, through three control-block words and no
 * message or lock.
 *
 * Invariants:
 *  - `taken` holds the last ticket handed out; tickets only increase.
 *  - `done` and `failed` hold the last ticket answered either way. Answering ticket n answers
 *    every ticket up to n: the flush, reopen or write it stands for covers every request made
 *    before n was read.
 *  - Whatever the answer, the answering thread notifies `done`: it is the one futex word every
 *    waiter sleeps on, so a waiter reads `done` before it looks at the answer, and sleeps only
 *    while `done` still holds what it read (an answer in between wakes it).
 */
export interface TicketWords {
  readonly taken: number
  readonly done: number
  readonly failed: number
}

/** flush(): answered once everything logged before the ticket was taken is durable. */
export const FLUSH_TICKETS: TicketWords = { taken: FLUSH_REQUESTED, done: FLUSH_DONE, failed: FLUSH_FAILED }
/** reopen(): answered once the current file is complete and the path opened again. */
export const REOPEN_TICKETS: TicketWords = {
  taken: REOPEN_REQUESTED,
  done: REOPEN_DONE,
  failed: REOPEN_FAILED,
}
/** The oversize slot (oversize-slot.ts): answered once the handed-over entry is in the file. */
export const OVERSIZE_TICKETS: TicketWords = {
  taken: OVERSIZE_TICKET,
  done: OVERSIZE_DONE,
  failed: OVERSIZE_FAILED,
}

export type TicketOutcome = 'done' | 'failed' | 'waiting'
/** How a wait for a ticket ends: answered, or no flusher thread left to answer it. */
export type TicketAnswer = 'done' | 'failed' | 'no-flusher'

/** Takes the next ticket and wakes the flusher to answer it. */
export function takeTicket(i32: Int32Array, words: TicketWords): number {
  const ticket = Atomics.add(i32, words.taken, 1) + 1
  wakeFlusher(i32)
  return ticket
}

/** Where `ticket` stands: answered done, answered failed, or still waiting. */
export function ticketOutcome(i32: Int32Array, words: TicketWords, ticket: number): TicketOutcome {
  if (Atomics.load(i32, words.done) >= ticket) return 'done'
  if (Atomics.load(i32, words.failed) >= ticket) return 'failed'
  return 'waiting'
}

/** Answers `ticket` (and every one before it) and wakes whoever waits for it. */
export function answerTicket(i32: Int32Array, words: TicketWords, ticket: number, ok: boolean): void {
  Atomics.store(i32, ok ? words.done : words.failed, ticket)
  Atomics.notify(i32, words.done)
}

/**
 * The wait for a ticket, written once for the blocking and the asynchronous waiter: yields the
 * value of `done` to sleep on until `ticket` is answered (`settled()` counts as done), or until
 * `flusherGone()` says no flusher thread will answer it.
 */
function* ticketWait(
  i32: Int32Array,
  words: TicketWords,
  ticket: number,
  flusherGone: () => boolean,
  settled: () => boolean,
): Generator<number, TicketAnswer, void> {
  for (;;) {
    const seen = Atomics.load(i32, words.done)
    const outcome = ticketOutcome(i32, words, ticket)
    if (outcome === 'done' || settled()) return 'done'
    if (outcome === 'failed') return 'failed'
    if (flusherGone()) return 'no-flusher'
    yield seen
  }
}

/** Longest single sleep of an asynchronous waiter before it looks at the flusher's state again. */
const AWAIT_STEP_MS = 1000

/**
 * Waits for `ticket` without blocking the event loop, which it keeps alive meanwhile
 * (`Atomics.waitAsync` alone does not). `'no-flusher'` once the flusher thread has stopped: the
 * caller then does the work itself, under the I/O lock.
 */
export async function awaitTicket(
  i32: Int32Array,
  words: TicketWords,
  ticket: number,
  settled: () => boolean = () => false,
): Promise<TicketAnswer> {
  const stopped = () => Atomics.load(i32, FLUSHER_STATE) === FlusherState.STOPPED
  const keepAlive = setInterval(() => {}, 1 << 30)
  try {
    const wait = ticketWait(i32, words, ticket, stopped, settled)
    for (let step = wait.next(); ; step = wait.next()) {
      if (step.done) return step.value
      const waited = Atomics.waitAsync(i32, words.done, step.value, AWAIT_STEP_MS)
      if (waited.async) await waited.value
    }
  } finally {
    clearInterval(keepAlive)
  }
}

/**
 * Waits for `ticket` blocking the calling thread, in sleeps of at most `stepMs`. `'no-flusher'`
 * as soon as the flusher thread is not running: a writer calls this only after waiting for the
 * flusher to start, so one that is not running now may never answer.
 */
export function waitTicket(
  i32: Int32Array,
  words: TicketWords,
  ticket: number,
  stepMs: number,
): TicketAnswer {
  const notRunning = () => Atomics.load(i32, FLUSHER_STATE) !== FlusherState.RUNNING
  const wait = ticketWait(i32, words, ticket, notRunning, () => false)
  for (let step = wait.next(); ; step = wait.next()) {
    if (step.done) return step.value
    Atomics.wait(i32, words.done, step.value, stepMs)
  }
}

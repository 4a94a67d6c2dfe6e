import { EventEmitter } from 'node:events'
import type { LogFormat, ReopenSignal } from '../config.js'
import { errnoName, IoError, StateError } from '../errors.js'
import { closeDescriptors, forgetLogFile } from '../file/log-file.js'
import { currentFilePath } from '../file/rotation.js'
import {
  allCommitted,
  BUFFERED_FD,
  CLOSED,
  type ControlBlock,
  FILE_FD,
  FINAL,
  LAST_ERRNO,
  LOCK_FD,
  requestStop,
} from '../shared/control-block.js'
import { NOT_LOCKED, tryWithIoLock } from '../shared/io-lock.js'
import type { LoggerHandle } from '../shared/logger-handle.js'
import { libraryInfo, type NativeLibrary } from '../shared/native-library.js'
import { releaseShards, type ShardMemoryDescriptor } from '../shared/shard-memory.js'
import {
  type FlushMetrics,
  flushMetrics,
  type ShardStats,
  type StatsSnapshot,
  shardStats,
  statsSnapshot,
} from '../shared/stats.js'
import { type FlushMessage, fromMessage } from '../shared/thread-messages.js'
import { answerTicket, awaitTicket, FLUSH_TICKETS, REOPEN_TICKETS, takeTicket } from '../shared/tickets.js'
import { warnOnce } from '../shared/warn-once.js'
import { EntryWriter } from '../writer/entry-writer.js'
import { onExit } from './exit-hook.js'
import { announcedFallback, type FallbackEvent } from './fallback-event.js'
import { awaitFlusherStop, type FlusherThread, flusherFinished } from './flusher-start.js'
import { deliverReport, describeWarning, type LoggerWarning } from './report-delivery.js'
import { onSignal, type SignalHook } from './signal-hook.js'
import type { ThreadView } from './thread-view.js'

const LEAK_REASON = 'a writer never committed its reservation; its buffers are not freed'

/** How long the exit hook waits for a flush in progress in the flusher thread before giving up. */
const EXIT_LOCK_TIMEOUT_MS = 10_000
/** How long the exit hook waits for the flusher thread to stop before the process ends (ms). */
const EXIT_STOP_WAIT_MS = 2_000

/**
 * A file logger. Create one with {@link createLogger}; log from any thread (see {@link attach});
 * `await close()` at the end (the exit hook covers `process.exit()` and crashes).
 *
 * Events: `'error'` (an {@link IoError} with the errno name as `code`: the data is kept and the
 * write retried), `'warning'` (fallback to buffered I/O, abandoned entries), `'fallback'` (a
 * {@link FallbackEvent}: O_DIRECT is off and why; a listener added after it happened is called
 * too), `'signal'` (the signal's name: the application handles SIGTERM, SIGINT or SIGHUP itself,
 * and the logger is flushing what it holds; see `flushOnSignal`), `'close'`.
 */
export class Logger extends EventEmitter {
  /** Plain data another thread passes to {@link attach} to write into this logger. */
  readonly handle: LoggerHandle
  /** The log file's absolute path. */
  readonly path: string
  /** The file's format: `'framed'` or `'lines'`. */
  readonly format: LogFormat
  private readonly writer: EntryWriter
  private readonly ctl: ControlBlock
  private closing: Promise<void> | undefined
  private released = false
  private readonly removeExitHook: () => void

  /** @internal Use {@link createLogger}. */
  /** The reopenOnSignal listener, removed at close. */
  private readonly onSignal: (() => void) | undefined
  private readonly signal: ReopenSignal | false
  /** Flushes on SIGTERM/SIGINT/SIGHUP (signal-hook.ts); null with `flushOnSignal: false`. */
  private readonly signalHook: SignalHook | null

  constructor(
    private readonly lib: NativeLibrary | null,
    private readonly memory: ShardMemoryDescriptor,
    private readonly thread: ThreadView,
    private readonly flusher: FlusherThread,
    handle: LoggerHandle,
    reopenOnSignal: ReopenSignal | false,
    flushOnSignal = true,
  ) {
    super()
    this.handle = handle
    this.path = handle.path
    this.ctl = thread.ctl
    const writerContext = thread.writerContext()
    this.writer = new EntryWriter(writerContext)
    this.format = writerContext.format
    this.removeExitHook = onExit(() => this.flushAtExit())
    this.signalHook = flushOnSignal
      ? onSignal((signal) => {
          this.emit('signal', signal)
          // A flush that fails is reported as an 'error' event already.
          this.flush().catch(() => {})
        })
      : null
    flusher.worker.on('message', (m: FlushMessage) => {
      const report = fromMessage(m)
      if (report) deliverReport(this, report)
    })
    // A 'message' listener refs the worker's port again: once started, the flusher must never
    // keep the process alive (the exit hook writes what it has not).
    if (flusher.started && !flusher.pinned) flusher.worker.unref()
    this.signal = reopenOnSignal
    if (reopenOnSignal) {
      this.onSignal = () => {
        this.reopen().catch(() => {
          // Reported already, as an 'error' event (or a warning); the current file stays.
        })
      }
      process.on(reopenOnSignal, this.onSignal)
    }
  }

  /**
   * The file being written now: {@link Logger.path} itself, or with rotation the current file of
   * its series (`app.2026-11-25.3.log`).
   */
  get file(): string {
    return currentFilePath(this.ctl, this.handle.path, this.handle.rotate)
  }

  /**
   * Writes everything logged so far into the current file, then closes it and opens the same path
   * again: after an external `logrotate` (create mode) renamed the file away, the old file is
   * complete and the new one gets every later entry. Entries logged meanwhile are kept in memory,
   * never dropped for it. Rejects with the {@link IoError} when the path cannot be opened, also
   * reported as an `'error'` event (a process warning without a listener) and counted in
   * `rotationErrors`: the logger then goes on writing the file it had, losing nothing, and a later
   * `reopen()` tries again.
   */
  async reopen(): Promise<void> {
    const { i32 } = this.ctl
    if (Atomics.load(i32, CLOSED) === 1)
      throw new StateError('ASYNCDIRECT_CLOSED', `asyncdirect: reopen() after close(): ${this.path}`)
    const ticket = takeTicket(i32, REOPEN_TICKETS)
    const answer = await awaitTicket(i32, REOPEN_TICKETS, ticket)
    if (answer === 'failed' || (answer === 'no-flusher' && !this.reopenHere(ticket))) throw this.reopenError()
  }

  /** reopen() without a flusher thread: from this one, under the I/O lock. */
  private reopenHere(ticket: number): boolean {
    const { i32 } = this.ctl
    const ok = tryWithIoLock(i32, EXIT_LOCK_TIMEOUT_MS, () => {
      const reopened = this.thread.flusher().reopen()
      answerTicket(i32, REOPEN_TICKETS, ticket, reopened)
      return reopened
    })
    return ok === true
  }

  /**
   * Resolves when the flusher thread runs and, in a worker thread, the main thread listens for the
   * signals `flushOnSignal` covers; rejects if the flusher could not start (writers then write
   * themselves).
   */
  ready(): Promise<void> {
    if (!this.signalHook) return this.flusher.ready
    return Promise.all([this.flusher.ready, this.signalHook.ready]).then(() => {})
  }

  /**
   * Logs a string, UTF-8 encoded straight into a shard: no intermediate copy, no allocation, no
   * syscall. Returns false when the entry was dropped (counted in `droppedLogs`): after close, or
   * under `backpressure: 'drop'` when both buffer sets are full.
   * @throws {InvalidArgumentError} (a TypeError) when `text` is not a string.
   */
  log(text: string): boolean {
    return this.writer.log(text)
  }

  /**
   * Logs bytes (one copy, no allocation). Reuse the same buffer freely: it is copied before
   * this returns. Same return value as {@link Logger.log}.
   * @throws {InvalidArgumentError} (a TypeError) when `bytes` is not a Uint8Array.
   */
  logBytes(bytes: Uint8Array): boolean {
    return this.writer.logBytes(bytes)
  }

  /**
   * `'lines'` format only: logs `count` whole lines in one go, `text` holding them, each ending in
   * a newline; they count as `count` entries. For callers that gather lines anyway (a stream
   * taking chunks of them): one reservation and one copy per batch instead of per line. Keep a
   * batch under {@link Logger.maxEntryBytes}; a larger one is written on its own from this thread.
   * Same return value as {@link Logger.log}.
   * @throws {InvalidArgumentError} (a TypeError) when `text` is neither a string nor a Uint8Array, `count` is not a
   * positive integer, or the format is not `'lines'`.
   */
  logLines(text: string | Uint8Array, count: number): boolean {
    return this.writer.logLines(text, count)
  }

  /**
   * The largest entry, in bytes once encoded (with its newline in the `'lines'` format), that is
   * copied into a shard; larger ones are written from the calling thread as blocks of their own.
   */
  get maxEntryBytes(): number {
    return this.writer.maxEntry
  }

  /**
   * Resolves when everything logged before the call (from any thread) is durable in the file.
   * Rejects with the {@link IoError} of a failed write (the data stays buffered and is retried).
   */
  async flush(): Promise<void> {
    const { i32 } = this.ctl
    if (Atomics.load(i32, FINAL) === 1) return
    const ticket = takeTicket(i32, FLUSH_TICKETS)
    // The final flush makes everything durable: it answers every ticket, taken or not.
    const answer = await awaitTicket(i32, FLUSH_TICKETS, ticket, () => Atomics.load(i32, FINAL) === 1)
    if (answer === 'failed') throw this.lastError('flush')
    if (answer === 'no-flusher') this.flushHere()
  }

  /**
   * Writes everything logged before the call (from any thread) into the file from this thread,
   * and returns once it is there (durable, with `dsync`). It blocks the calling thread for the
   * write, and first for a write the flusher thread has in progress: for callers that cannot wait
   * for {@link Logger.flush}'s promise (a stream's `flushSync()`). Does nothing once closed.
   * @throws {IoError} when the write failed (the data stays buffered and is retried), or with
   * `code` `'ETIMEDOUT'` when the flusher's write in progress did not finish within 10 s.
   */
  flushSync(): void {
    const { i32 } = this.ctl
    if (this.released || Atomics.load(i32, FINAL) === 1) return
    const ok = tryWithIoLock(i32, EXIT_LOCK_TIMEOUT_MS, () => {
      const flusher = this.thread.flusher()
      return flusher.serveOversizeSlot() && flusher.flushAll()
    })
    if (ok === NOT_LOCKED)
      throw new IoError('ETIMEDOUT', 'flush', this.path, 'a flush in progress did not finish within 10 s')
    if (!ok) throw this.lastError('flush')
  }

  /**
   * The descriptor the file is written through now (it changes with rotation and reopen), for
   * `fstat` and the like; -1 once closed. Never write to it: the logger owns the file's layout.
   */
  get fd(): number {
    return this.released ? -1 : Atomics.load(this.ctl.i32, FILE_FD)
  }

  /**
   * Writes everything still buffered, closes the file and frees the buffers. Idempotent: every
   * call returns the same promise. Later log calls are dropped and counted.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  /** Counters over the logger's life, and how it writes (O_DIRECT or not, the library, the alignment). */
  getStatsSnapshot(): StatsSnapshot {
    return statsSnapshot(this.ctl, {
      fallbackReason: announcedFallback(this)?.reason ?? null,
      library: this.lib ? libraryInfo(this.lib) : null,
    })
  }

  /** Flush timings and sizes. */
  getFlushMetrics(): FlushMetrics {
    return flushMetrics(this.ctl)
  }

  /** Per-shard statistics of the active set. */
  getShardStats(): ShardStats[] {
    return shardStats(this.ctl, this.memory.shardSize)
  }

  /** True once {@link Logger.close} began (or the process is exiting). */
  get closed(): boolean {
    return Atomics.load(this.ctl.i32, CLOSED) === 1
  }

  private async shutdown(): Promise<void> {
    const { i32 } = this.ctl
    requestStop(i32)
    // The flusher writes the last sets and exits; hold the process open until it has.
    this.flusher.pinned = true
    this.flusher.worker.ref()
    await flusherFinished(this.flusher, this.ctl)
    if (Atomics.load(i32, FINAL) !== 1) this.flushHere(true)
    const complete = Atomics.load(i32, FINAL) === 1
    this.release()
    if (!complete) throw this.lastError('close')
  }

  /** Writes from this thread: when the flusher is gone (crashed, or exiting with the process). */
  private flushHere(final = false): void {
    tryWithIoLock(this.ctl.i32, EXIT_LOCK_TIMEOUT_MS, () => {
      const flusher = this.thread.flusher()
      if (!flusher.serveOversizeSlot()) return
      if (final) flusher.flushFinal()
      else flusher.flushAll()
    })
  }

  private flushAtExit(): void {
    if (this.released) return
    const { i32 } = this.ctl
    requestStop(i32)
    const locked = tryWithIoLock(i32, EXIT_LOCK_TIMEOUT_MS, () => {
      const flusher = this.thread.flusher()
      if (flusher.serveOversizeSlot()) flusher.flushFinal()
    })
    if (locked === NOT_LOCKED) {
      process.stderr.write(
        `asyncdirect: ${this.path}: a flush in progress did not finish; entries may be lost\n`,
      )
      return
    }
    awaitFlusherStop(i32, EXIT_STOP_WAIT_MS)
  }

  private release(): void {
    if (this.released) return
    this.released = true
    this.removeExitHook()
    this.signalHook?.remove()
    if (this.onSignal && this.signal) process.off(this.signal, this.onSignal)
    // The descriptors of the file written last: rotation, reopen() and a fallback to buffered
    // I/O replace them, so the control block, not the file opened at start, says which they are.
    const { i32 } = this.ctl
    closeDescriptors(
      [Atomics.load(i32, LOCK_FD), Atomics.load(i32, FILE_FD), Atomics.load(i32, BUFFERED_FD)],
      this.lib,
    )
    forgetLogFile(this.handle.path)
    // Freed only when no writer can still touch the memory: every reservation has committed.
    // A writer thread that died mid-copy leaves its reservation open: leak rather than risk a
    // use-after-free if it was only slow.
    if (allCommitted(this.ctl)) releaseShards(this.lib, this.memory)
    else {
      const leak: LoggerWarning = { type: 'leak', reason: LEAK_REASON }
      if (!this.emit('warning', leak)) warnOnce('leak', describeWarning(leak))
    }
    this.emit('close')
  }

  private lastError(
    op: string,
    detail = 'entries are still buffered; see getStatsSnapshot().flushErrors',
  ): IoError {
    const errno = Atomics.load(this.ctl.i32, LAST_ERRNO)
    const code = errno > 0 ? errnoName(errno) : 'EIO'
    return new IoError(code, op, this.path, detail)
  }

  /** A failed reopen() changed nothing: the logger is still on its file, every entry kept. */
  private reopenError(): IoError {
    return this.lastError(
      'reopen',
      `the logger goes on writing ${this.file}, every entry kept; see rotationErrors and flushErrors in getStatsSnapshot()`,
    )
  }
}

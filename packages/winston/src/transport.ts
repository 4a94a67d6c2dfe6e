import { dirname, resolve } from 'node:path'
import {
  announceFallback,
  type FallbackEvent,
  type FlushMetrics,
  type LogFormat,
  type Logger,
  type LoggerWarning,
  openLogger,
  type ResolvedConfig,
  StateError,
  type StatsSnapshot,
} from '@asyncdirect/core'
import { compareSeriesFiles, listSeries } from '@asyncdirect/core/format'
import TransportStream from 'winston-transport'
import type { FileBehaviour } from './file-options.js'
import { isHandlerEntry, type LogEntry, messageOf } from './log-entry.js'
import { type QueriedEntry, type QueryOptions, queryEntries } from './log-query.js'
import { type EntryStream, type StreamOptions, streamEntries } from './log-stream.js'
import { type AsyncDirectTransportOptions, splitOptions } from './options.js'
import { reportProblem, warningError } from './report-problem.js'
import { listArchives, RotatedArchive } from './rotated-archive.js'

/** What `query()` calls back with: an error, or the entries. */
export type QueryCallback = (error: Error | null, entries?: QueriedEntry[]) => void

/** One write of winston's batched path (`_writev`), as `logv` receives it. */
export interface WriteRequest {
  chunk: LogEntry
  encoding?: string
  callback?: (error?: Error | null) => void
}

/**
 * A winston transport that writes through an asyncdirect logger: each entry is copied into a
 * block-aligned buffer with one compare-and-swap, and a flusher thread writes full buffers with
 * `O_DIRECT | O_DSYNC`. The event loop never waits for the disk.
 *
 * ```js
 * import winston from 'winston'
 * import { AsyncDirectTransport } from '@asyncdirect/winston'
 *
 * const logger = winston.createLogger({
 *   format: winston.format.json(),
 *   transports: [new AsyncDirectTransport({ filename: '/var/log/app.log' })],
 * })
 * ```
 *
 * Nothing logged is lost to `process.exit()` or an uncaught exception: the core logger's exit
 * hook writes what is still buffered. To wait until everything is on disk: `logger.end()` then the logger's
 * `'finish'`, or `await transport.close()`; without ending: `await transport.flush()`.
 *
 * Events, besides winston's (`'logged'`, `'finish'`): `'open'` (the absolute path) once the
 * core logger's flusher thread runs; `'warn'` for a failed disk write (the entries are kept and
 * the write retried), a fallback to buffered I/O, or a flusher thread that could not start (the
 * logging thread then writes itself); `'fallback'` (the core's {@link FallbackEvent}: O_DIRECT
 * is off, with a stable `code` and the `reason`; a listener added later is called too, and
 * `stats.fallbackReason` says the same); `'error'` when the last write at `end()` fails (the
 * entries still buffered are lost). Winston re-emits both on the logger. A file that cannot be
 * opened throws from the constructor (with `lazy`, it is a `'warn'` at the entry that tried).
 *
 * winston's `logger.query()` and `logger.stream()` read the file (every file of a rotated
 * series, for `query()`) as File's do: see {@link AsyncDirectTransport.query}.
 */
export class AsyncDirectTransport extends TransportStream {
  /** The log file's absolute path. */
  readonly filename: string
  /** The log file's directory (File's property). */
  readonly dirname: string
  /** The transport's name (`name`, default `'file'`): the key of its results in `logger.query()`. */
  readonly name: string
  /** The on-disk format. */
  readonly fileFormat: LogFormat
  private readonly config: ResolvedConfig
  private readonly behaviour: FileBehaviour
  private opened: Logger | null = null
  private archive: RotatedArchive | null = null
  /** Entries dropped because a `lazy` open failed, or logged after a close that came before any open. */
  private droppedUnopened = 0
  private closing: Promise<void> | undefined
  /**
   * Set by winston's exception and rejection handlers on the transports they wait for: they
   * log the error, then wait (up to 3 s) for each transport's `'finish'` before exiting.
   */
  declare _ending?: boolean
  /** The winston logger this transport is piped from (set by winston-transport). */
  declare parent?: (NodeJS.EventEmitter & { exitOnError?: unknown }) | null

  /**
   * Checks the options and opens (or creates) and locks the file, synchronously, with the core's
   * `openLogger`: entries logged from here on go straight into the buffers, even before the
   * core logger's flusher thread runs (see {@link AsyncDirectTransport.ready}). With `lazy: true`
   * the file is opened by the first entry instead (or by `stream()`, `ready()`, `reopen()`,
   * `stats`, `currentFile` or `logger`, which need it); a transport closed before that creates
   * no file.
   * @throws {ConfigError} naming the option, for an unknown option, a missing `filename` or a
   *   value out of range.
   * @throws {FileLockedError} when another transport or asyncdirect logger, in this process or
   *   another, already writes the file.
   * @throws {IoError} when the file cannot be opened (the errno name is the `code`). With
   *   `lazy`, an entry that cannot open it is dropped (counted in `droppedLogs`) with a `'warn'`.
   */
  constructor(options: AsyncDirectTransportOptions) {
    const { core, winston, file } = splitOptions(options)
    super(winston)
    this.filename = resolve(core.path)
    this.dirname = dirname(this.filename)
    this.name = file.name
    this.fileFormat = core.format
    this.config = { ...core, path: this.filename }
    this.behaviour = file
    if (!file.lazy) this.open()
  }

  /** The core logger, opened on first use with `lazy`. */
  private get core(): Logger {
    if (this.opened) return this.opened
    if (this.closing)
      throw new StateError(
        'ASYNCDIRECT_CLOSED',
        `asyncdirect: ${this.filename}: closed before its file was opened (lazy)`,
      )
    return this.open()
  }

  private open(): Logger {
    const logger = openLogger(this.config)
    this.opened = logger
    logger.on('error', (err: Error) => reportProblem(this, err))
    // The core also gives each of these a one-time process warning.
    logger.on('warning', (w: LoggerWarning) => this.emit('warn', warningError(w)))
    logger.on('fallback', (e: FallbackEvent) => announceFallback(this, e))
    logger.ready().then(
      () => this.emit('open', logger.path),
      (err: Error) => reportProblem(this, err),
    )
    const { rotate } = this.config
    if (this.behaviour.zippedArchive && (rotate.size > 0 || rotate.interval > 0)) {
      const archive = new RotatedArchive(
        this.filename,
        rotate,
        () => logger.file,
        this.config.mode,
        (err) => reportProblem(this, err),
      )
      this.archive = archive
      logger.on('rotate', () => void archive.archiveFinished())
      // Files an earlier run rotated but did not get to compress.
      void archive.archiveFinished()
    }
    return logger
  }

  /**
   * Writes `info[MESSAGE]` (the entry as winston's formats made it) as one entry, emits
   * `'logged'` and calls back at once: the entry is in memory, the disk comes later. The
   * callback is optional (winston always passes one; code calling `log()` directly may not).
   */
  override log(info: LogEntry, callback?: () => void): void {
    this.append(messageOf(info))
    this.emit('logged', info)
    if (this._ending === true && isHandlerEntry(info)) this.finishForHandler()
    callback?.()
  }

  /**
   * winston's batched path: the writes queued while the stream was corked or busy. Applies this
   * transport's format (winston-transport leaves that to `logv`), writes every entry in order,
   * then calls back once, so the stream neither skips an entry nor finishes before it is written.
   */
  override logv(writes: WriteRequest[], callback: () => void): void {
    let formatError: unknown
    let handlerEntry = false
    for (const write of writes) {
      let info: LogEntry | boolean = write.chunk
      if (this.format) {
        try {
          info = this.format.transform(Object.assign({}, write.chunk), this.format.options)
        } catch (err) {
          formatError ??= err
          continue
        }
        if (!info || info === true) continue
      }
      this.append(messageOf(info))
      this.emit('logged', info)
      handlerEntry ||= isHandlerEntry(info)
    }
    if (this._ending === true && handlerEntry) this.finishForHandler()
    callback()
    // As winston-transport's own write path: a format that throws is the caller's error.
    if (formatError !== undefined) throw formatError
  }

  /**
   * Resolves when every entry logged before the call is durable in the file, without ending
   * the transport (winston's File transport has no equivalent).
   * Rejects with the `IoError` of a failed write (the entries stay buffered and the write is
   * retried).
   */
  flush(): Promise<void> {
    return this.opened ? this.opened.flush() : Promise.resolve()
  }

  /**
   * Writes everything still buffered, closes the file and frees the buffers. Idempotent: every
   * call returns the same promise. winston calls it when the transport is removed from its
   * logger (`logger.remove`, `logger.clear`, `logger.configure`, `logger.close`); entries logged
   * afterwards are dropped and counted. `logger.end()` calls it too, before `'finish'`.
   */
  override close(): Promise<void> {
    if (!this.closing) {
      const opened = this.opened
      // A lazy transport that never logged creates no file. With zippedArchive, the files
      // rotated up to the end are compressed before close() resolves.
      this.closing = opened
        ? opened.close().finally(() => this.archive?.archiveFinished())
        : Promise.resolve()
      // winston calls close() itself and ignores the promise: no unhandled rejection for that.
      // A failed write has its own 'warn' (the core's 'error' event); awaiting callers get it too.
      this.closing.catch(() => {})
    }
    return this.closing
  }

  /**
   * Resolves once the core logger's flusher thread runs. Not needed before logging: the file is
   * open and entries are taken from the constructor on. Rejects if the thread could not start
   * (entries are then written by the logging thread itself, at flush, close and exit).
   */
  ready(): Promise<void> {
    return this.core.ready()
  }

  /**
   * The core logger's counters: `totalLogs`, `droppedLogs`, `entriesWritten`, `bytesWritten`,
   * `flushes`, `flushErrors`, `setSwaps`, ...
   */
  getStatsSnapshot(): StatsSnapshot {
    const stats = this.core.getStatsSnapshot()
    if (this.droppedUnopened === 0) return stats
    return {
      ...stats,
      totalLogs: stats.totalLogs + this.droppedUnopened,
      droppedLogs: stats.droppedLogs + this.droppedUnopened,
    }
  }

  /**
   * Writes everything logged so far, then closes the file and opens `filename` again: for an
   * external `logrotate` in create mode (rename the file, then call this, or set
   * `reopenOnSignal: 'SIGHUP'`). The old file is complete; the new one gets every later entry.
   * Rejects with the `IoError` when the file cannot be opened (the transport goes on writing the
   * old one).
   */
  reopen(): Promise<void> {
    return this.core.reopen()
  }

  /**
   * The file written now: `filename`, or with rotation the current file of its series.
   */
  get currentFile(): string {
    return this.core.file
  }

  /** {@link AsyncDirectTransport.getStatsSnapshot}, as a property. */
  get stats(): StatsSnapshot {
    return this.getStatsSnapshot()
  }

  /** The core logger's flush timings (milliseconds) and sizes. */
  getFlushMetrics(): FlushMetrics {
    return this.core.getFlushMetrics()
  }

  /**
   * The core logger, for what the transport does not wrap: per-shard statistics, or `handle` to
   * log from worker threads with the core's `attach()`.
   */
  get logger(): Logger {
    return this.core
  }

  /**
   * winston's query API (what `logger.query(options, callback)` calls for each transport):
   * calls back with the entries that File's `query()` returns for the same lines, selected the
   * same way (see {@link QueryOptions}: `rows`/`limit`, `start`, `from`, `until`, `order`,
   * `fields`, `level`). Everything logged before the call is written first, so it is included.
   * Reads every file of a rotated series, oldest first (`.gz` archives too, in the lines
   * format), as one log; File reads only its current file. Calls back with the `SyntaxError`
   * of the first line that is not JSON, as File does.
   */
  query(options?: QueryOptions | QueryCallback, callback?: QueryCallback): void {
    const done = typeof options === 'function' ? options : (callback ?? (() => {}))
    const query = typeof options === 'function' ? {} : (options ?? {})
    this.readAll(query).then(
      (entries) => done(null, entries),
      (err: Error) => done(err),
    )
  }

  private async readAll(query: QueryOptions): Promise<QueriedEntry[]> {
    if (!this.opened) return []
    // A failed write is reported already; what the files hold is still read.
    await this.flush().catch(() => {})
    const read = async (): Promise<QueriedEntry[]> => queryEntries(await this.logFiles(), query)
    // Not while an archive is compressed: the file could be listed twice or not at all.
    return this.archive ? this.archive.exclusive(read) : read()
  }

  /** The files of the log, oldest first. */
  private async logFiles(): Promise<string[]> {
    const { rotate } = this.config
    if (rotate.size === 0 && rotate.interval === 0) return [this.filename]
    const files = listSeries(this.filename)
    if (this.fileFormat === 'lines') files.push(...(await listArchives(this.filename)))
    return files.sort(compareSeriesFiles).map((f) => f.path)
  }

  /**
   * winston's stream API (what `logger.stream(options)` calls): a stream that emits `'log'` with
   * each entry of the file (parsed; `'data'` with its line first), from line `start + 1` on
   * (File's counting; default every entry), then each entry as it reaches the file, until
   * `destroy()`. Follows the file across rotations (File's stays on the file it opened).
   */
  stream(options: StreamOptions = {}): EntryStream {
    // With lazy, the file is opened here: the follower needs it.
    void this.core
    return streamEntries(this.filename, options ?? {}, (err) => reportProblem(this, err))
  }

  /**
   * The stream's last step before `'finish'` (after `end()`, which winston's `logger.end()`
   * calls on every transport): closes the file, so `'finish'` means every entry is durable.
   */
  override _final(callback: (error?: Error | null) => void): void {
    this.close().then(() => callback(), callback)
  }

  private append(message: string): void {
    const entry = this.behaviour.suffix === '' ? message : message + this.behaviour.suffix
    // A closed core logger drops the entry and counts it.
    if (this.opened) {
      this.opened.log(entry)
      return
    }
    if (this.closing) {
      this.droppedUnopened++
      return
    }
    try {
      this.open().log(entry)
    } catch (err) {
      // `lazy`: File reports a file it cannot open as an event too; the next entry tries again.
      this.droppedUnopened++
      reportProblem(this, err as Error)
    }
  }

  /**
   * winston's exception and rejection handlers wait for `'finish'` from each transport after
   * logging the error, and exit after 3 s if it never comes. Answer as soon as the error's entry
   * is durable (the core's exit hook would write it anyway; this makes the wait short).
   */
  private finishForHandler(): void {
    this._ending = false
    // With exitOnError false the handler does not wait, and a 'finish' would make the logger
    // unpipe (and so close) this transport while the application goes on.
    if (this.parent?.exitOnError === false) return
    this.flush().then(
      () => this.emit('finish'),
      (err: Error) => {
        reportProblem(this, err)
        this.emit('finish')
      },
    )
  }
}

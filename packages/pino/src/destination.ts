import { EventEmitter } from 'node:events'
import {
  announceFallback,
  ConfigError,
  type FallbackEvent,
  type Logger,
  type LoggerConfig,
  openLogger,
} from '@asyncdirect/core'
import { writeAtExit } from './exit-fallback.js'
import { LineBatch } from './line-batch.js'
import { type CoreOptions, toCoreConfig } from './options.js'

/** Options of {@link destination}. */
export interface DestinationOptions extends CoreOptions {
  /** The log file (required). Created when missing; an existing file is appended to. */
  dest: string
}

type Callback = (err?: Error | null) => void

/** Longest batch of lines (UTF-16 code units) the destination gathers before handing it over. */
const BATCH_CHARS = 16 * 1024
/** Worst case of UTF-8 bytes per UTF-16 code unit: a batch must fit a shard once encoded. */
const UTF8_BYTES_PER_UNIT = 3

/**
 * An in-process pino destination: `pino(destination({ dest }))`, no worker hop. Create it with
 * {@link destination}.
 *
 * In the `'lines'` format (the default) the lines written during one turn of the event loop are
 * gathered (up to 16 Ki characters) and encoded straight into a shard together, once per batch:
 * no syscall, no buffer of our own, and per line only the small string node that joins it to the
 * batch (line-batch.ts says why this beats encoding each line). Each string is written as given,
 * as `pino.destination()` does. In the `'framed'` format each write is one entry, logged at once.
 *
 * The file is opened, locked and the buffers allocated before `destination()` returns, so lines
 * are taken from the first one on; `'ready'` says the flusher thread runs (nothing has to wait
 * for it). During a `reopen()`, lines wait in memory, in order, for the new logger.
 *
 * Events: `'ready'` (the flusher runs; again after each `reopen()`), `'error'` (a `reopen()` could
 * not open the file; a write failed, when someone listens: the data is kept and retried, and
 * without a listener a one-time process warning replaces the event, so the host never crashes),
 * `'warning'` (the core's: fallback to buffered I/O, abandoned entries), `'fallback'` (the core's
 * {@link FallbackEvent}: O_DIRECT is off and why; a listener added later is called too),
 * `'finish'` and `'close'`
 * (after `end()`, once everything is durable and the file closed).
 */
export class AsyncDirectDestination extends EventEmitter {
  /** The logger `write` logs to; undefined while lines must wait for a reopen. */
  private core: Logger | undefined
  /** The logger opened last: the one a reopen or end closes. */
  private current: Logger
  /** Lines written during reopens, oldest first: one queue per reopen still to complete. */
  private readonly waiting: WaitingLines[] = []
  /** The reopen and close steps, one after the other. */
  private steps: Promise<void> = Promise.resolve()
  private config: LoggerConfig
  private ending = false
  private closed = false
  /** Set when a reopen failed: lines are dropped until the next reopen. */
  private openError: Error | undefined
  /** Lines format: this turn's lines, not yet in the core. */
  private readonly batch: LineBatch | undefined

  /** @internal Use {@link destination}. */
  constructor(options: DestinationOptions | string) {
    super()
    this.config = toCoreConfig(typeof options === 'string' ? { dest: options } : options, 'dest')
    this.current = this.open(this.config)
    this.core = this.current
    if (this.config.format === 'lines') {
      const maxChars = Math.min(BATCH_CHARS, Math.floor(this.current.maxEntryBytes / UTF8_BYTES_PER_UNIT))
      this.batch = new LineBatch(this.take, maxChars)
      // Ahead of the core's own exit hook, which writes what is in the shards by then.
      process.prependListener('exit', this.drainAtExit)
    }
  }

  /** The core logger (for its statistics): the one opened last. */
  get logger(): Logger {
    return this.current
  }

  /** The file being written (after `reopen(file)`, the new one). */
  get path(): string {
    return this.config.path
  }

  /**
   * True until `end()`, as for a Node stream. Pino also reads it: `pino(stream)` with the stream
   * as its only argument takes it for a stream (and not for options) by this property.
   */
  get writable(): boolean {
    return !this.ending
  }

  /**
   * Logs one line pino serialized (one entry of the core). Returns true: a write never has to wait
   * for a `'drain'`, since backpressure is the core's policy (`'block'` waits for the flusher,
   * `'drop'` counts). Lines written after `end()` are dropped and counted (`droppedLogs`).
   */
  write(line: string): boolean {
    if (this.batch !== undefined && !this.ending) this.batch.add(line)
    else this.take(line, 1)
    return true
  }

  /** Hands lines to the logger, or to the queue of a reopen in progress. */
  private readonly take = (text: string, count: number): void => {
    const core = this.core
    if (core !== undefined) {
      if (this.batch !== undefined) core.logLines(text, count)
      else core.log(text)
    } else if (!this.ending && this.openError === undefined) this.waiting.at(-1)?.lines.push(text)
  }

  private readonly drainAtExit = (): void => {
    this.batch?.drain()
  }

  /** Calls back once everything written so far is durable in the file (this is `logger.flush(cb)`). */
  flush(cb?: Callback): void {
    this.batch?.drain()
    this.steps
      .then(() => {
        if (this.openError) throw this.openError
        return this.current.flush()
      })
      .then(
        () => cb?.(),
        (err: Error) => (cb ? cb(err) : this.fail(err)),
      )
  }

  /**
   * Asks the flusher to write what is buffered, and returns without waiting: the core has no
   * synchronous flush. Pino calls this after a `fatal` log and on exit paths; there, the core's
   * exit hook already writes everything logged before the process ends, however it ends
   * (`process.exit()`, an uncaught exception, the end of the program).
   */
  flushSync(): void {
    this.batch?.drain()
    if (this.core !== undefined && !this.ending) this.core.flush().catch((err: Error) => this.fail(err))
  }

  /**
   * Writes everything, then closes the file: `'finish'` and `'close'` follow when it is durable.
   * Idempotent. Later writes are dropped and counted.
   */
  end(): void {
    if (this.ending) return
    this.batch?.drain()
    this.ending = true
    this.steps = this.steps.then(async () => {
      try {
        await closeLogger(this.current)
      } catch (err) {
        this.fail(err as Error)
      }
      this.closed = true
      process.off('exit', this.onExit).off('exit', this.drainAtExit)
      this.emit('finish')
      this.emit('close')
    })
  }

  /**
   * Closes the file and opens it again (or `file`, when given), as after log rotation:
   * `logrotate` renames the file, then `reopen()` starts a new one at the path. The new logger can
   * only open once the old one has closed (the path stays locked until then): lines written
   * meanwhile wait, in order; `'ready'` follows.
   * @throws {Error} after `end()`.
   * @throws {ConfigError} when `file` is not a non-empty string.
   */
  reopen(file?: string): void {
    if (this.ending) throw new Error('asyncdirect: reopen() after end()')
    if (file !== undefined) {
      if (typeof file !== 'string' || file.length === 0)
        throw new ConfigError('file', `reopen(file) expects a non-empty path, got ${typeof file}`)
      this.config = { ...this.config, path: file }
    }
    // If the process exits before the new logger opens, the waiting lines are written on the way
    // out, after the old logger's own exit hook (registered earlier) wrote its entries.
    process.off('exit', this.onExit).on('exit', this.onExit)
    this.batch?.drain()
    const queue: WaitingLines = { config: this.config, lines: [] }
    this.waiting.push(queue)
    this.core = undefined
    this.openError = undefined
    this.steps = this.steps.then(async () => {
      try {
        await closeLogger(this.current)
      } catch (err) {
        this.fail(err as Error)
      }
      let core: Logger
      try {
        core = this.open(queue.config)
      } catch (err) {
        this.settled(queue)
        this.openError = err as Error
        this.fail(err as Error)
        return
      }
      this.current = core
      for (const line of queue.lines) core.log(line)
      this.settled(queue)
      // A reopen() since this one began has a newer queue: later lines wait for its logger.
      if (this.waiting.length === 0) this.core = core
    })
  }

  /** Opens a core logger and relays its events. */
  private open(config: LoggerConfig): Logger {
    const core = openLogger(config)
    // Listening to the core's 'error' replaces its own handling, so it is repeated here: an event
    // when someone listens, else one process warning per kind of error; never a crash.
    const report = (err: Error & { code?: string }): void => {
      if (this.listenerCount('error') > 0) this.emit('error', err)
      else warnOnce(`error:${err.code}`, `asyncdirect: ${err.message} (data kept, write retried)`)
    }
    core.on('error', report)
    core.on('warning', (w: unknown) => this.emit('warning', w))
    core.on('fallback', (e: FallbackEvent) => announceFallback(this, e))
    // A flusher that failed to start does not stop the logger (writers then write themselves).
    core.ready().then(() => this.closed || this.emit('ready'), report)
    return core
  }

  private settled(queue: WaitingLines): void {
    const at = this.waiting.indexOf(queue)
    if (at >= 0) this.waiting.splice(at, 1)
  }

  /** An 'error' event, outside any promise chain: unhandled, it is an uncaught exception. */
  private fail(err: Error): void {
    process.nextTick(() => this.emit('error', err))
  }

  private readonly onExit = (): void => {
    for (const { config, lines } of this.waiting.splice(0)) {
      if (lines.length === 0) continue
      try {
        writeAtExit(config, lines)
      } catch (err) {
        // The process is exiting: stderr is the only place left to say so.
        process.stderr.write(
          `asyncdirect: ${config.path}: ${lines.length} lines logged during a reopen are lost: ${(err as Error).message}\n`,
        )
      }
    }
  }
}

/**
 * Closes a core logger once its flusher runs. The core unrefs the flusher thread when it starts;
 * a close() begun before that would lose its hold on the event loop, and the process could end
 * (the exit hook writing everything) before 'close' is emitted and awaited code runs.
 */
async function closeLogger(core: Logger): Promise<void> {
  await core.ready().catch(() => {})
  await core.close()
}

const warned = new Set<string>()

function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { code: 'ASYNCDIRECT_WARNING' })
}

/** Lines written during a reopen, for the logger that will write `config`'s file. */
interface WaitingLines {
  readonly config: LoggerConfig
  readonly lines: string[]
}

/**
 * An in-process pino destination writing through the core logger, for `pino(destination(...))`
 * or as one stream of `pino.multistream()`.
 *
 * ```js
 * import pino from 'pino'
 * import { destination } from '@asyncdirect/pino'
 * const logger = pino(destination({ dest: '/var/log/app.log' }))
 * ```
 * @param options `{ dest, ...coreOptions }`, or the path alone.
 * @throws {ConfigError} naming the option: `dest` missing, an unknown option, an invalid value.
 * @throws {IoError} when the file cannot be opened (the errno name is the `code`).
 * @throws {FileLockedError} when another logger, in this process or another, writes the file.
 */
export function destination(options: DestinationOptions | string): AsyncDirectDestination {
  return new AsyncDirectDestination(options)
}

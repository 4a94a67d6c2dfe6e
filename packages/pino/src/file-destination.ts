import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import {
  announceFallback,
  ConfigError,
  type FallbackEvent,
  type Logger,
  type LoggerConfig,
  openLogger,
  resolveConfig,
} from '@asyncdirect/core'
import type { ResolvedSonicOptions } from './destination-options.js'
import { HeldWrites } from './held-writes.js'
import { LineBatch } from './line-batch.js'
import { DestinationClosedError, DestinationNotOpenError, InvalidArgumentError } from './stream-errors.js'

type Callback = (err?: Error | null) => void

/** Longest batch of lines (UTF-16 code units) the destination gathers before handing it over. */
const BATCH_CHARS = 16 * 1024
/** Worst case of UTF-8 bytes per UTF-16 code unit: a batch must fit a shard once encoded. */
const UTF8_BYTES_PER_UNIT = 3

/**
 * An in-process pino destination over the core logger, with `pino.destination()`'s (SonicBoom's)
 * API: `pino(destination({ dest }))`, no worker hop. Create it with {@link destination}.
 *
 * In the `'lines'` format (the default) the lines written during one turn of the event loop are
 * gathered (up to 16 Ki characters) and encoded straight into a shard together, once per batch
 * (line-batch.ts says why). Each string is written as given, as SonicBoom does.
 *
 * `write()` returns false once the characters written since the last flush this destination ran
 * reach the high-water mark (one shard, or `maxLength / 2` when smaller; at least `minLength`):
 * it then starts a flush, and `'drain'` follows when it is done. Pino ignores the return value;
 * the core's `backpressure` policy is what holds a fast producer back.
 *
 * Events: `'ready'` (the flusher runs; again after each `reopen()`), `'error'` (the file could
 * not be opened: from the constructor's next tick, or a `reopen()`, after which the old file is
 * still written; a failed write, when someone listens: the data is kept and retried, and without
 * a listener a one-time process warning replaces the event), `'drain'` (after each flush this
 * destination ran), `'write'` (bytes made durable by such a flush), `'drop'` (a write refused by
 * `maxLength`, counted in {@link AsyncDirectDestination.droppedLogs}), `'warning'` and
 * `'fallback'` (the core's), `'finish'` (after `end()`) and `'close'`.
 */
export class AsyncDirectDestination extends EventEmitter {
  /** The logger writes go to; undefined when the file never opened. */
  private core: Logger | undefined
  /** Why the file could not be opened at the start (until a reopen() succeeds). */
  private openError: Error | undefined
  private config: LoggerConfig
  private readonly batch: LineBatch | undefined
  private readonly held = new HeldWrites()
  /** Loggers a reopen(file) left, still closing: end() waits for them. */
  private readonly leaving = new Set<Promise<void>>()
  private ending = false
  private closedDone = false
  private pendingChars = 0
  private pendingBytes = 0
  private countBytes: boolean
  private needDrain = false
  private flushesRunning = 0
  private ownDrops = 0
  private readonly highWater: number
  private readonly timer: NodeJS.Timeout | undefined
  /** True once `destroy()` ran or the destination closed: every call but `destroy()` then throws. */
  destroyed = false
  readonly minLength: number
  readonly maxLength: number
  readonly maxWrite: number
  readonly sync: boolean
  readonly append: boolean
  readonly mkdir: boolean
  /** The `mode` option as given (undefined: 0o666 less the umask). */
  readonly mode: number | string | undefined
  readonly retryEAGAIN: ResolvedSonicOptions['retryEAGAIN']
  readonly contentMode: 'utf8' | 'buffer'

  /** @internal Use {@link destination}. */
  constructor(config: LoggerConfig, sonic: ResolvedSonicOptions) {
    super()
    this.config = config
    this.minLength = sonic.minLength
    this.maxLength = sonic.maxLength
    this.maxWrite = sonic.maxWrite
    this.sync = sonic.sync
    this.append = sonic.append
    this.mkdir = sonic.mkdir
    this.mode = sonic.mode
    this.retryEAGAIN = sonic.retryEAGAIN
    this.contentMode = sonic.contentMode
    this.countBytes = this.maxLength > 0 || this.sync
    try {
      this.core = this.open(config)
    } catch (err) {
      // As SonicBoom: a sync stream throws, an async one reports on its next tick.
      if (err instanceof ConfigError || this.sync) throw err
      this.openError = err as Error
      process.nextTick(() => this.emit('error', err))
    }
    // Valid here: an invalid configuration threw above.
    const resolved = resolveConfig(config)
    const shard = resolved.bufferSize / resolved.numShards
    this.highWater = Math.max(
      this.minLength,
      this.maxLength > 0 ? Math.min(shard, this.maxLength / 2) : shard,
    )
    if (resolved.format === 'lines' && !this.sync && this.core !== undefined) {
      const maxChars = Math.min(BATCH_CHARS, Math.floor(this.core.maxEntryBytes / UTF8_BYTES_PER_UNIT))
      this.batch = new LineBatch(this.take, maxChars)
    }
    // Ahead of the core's own exit hook, which writes what is in the shards by then.
    if (this.core !== undefined) process.prependListener('exit', this.drainAtExit)
    if (sonic.periodicFlush > 0) {
      this.timer = setInterval(() => {
        if (this.pendingChars > 0 && this.core !== undefined && !this.ending) this.flush()
      }, sonic.periodicFlush).unref()
    }
    this.on('newListener', (event) => {
      if (event === 'write') this.countBytes = true
    })
  }

  /** The core logger (for its statistics). @throws the open error when the file never opened. */
  get logger(): Logger {
    if (this.core === undefined) throw new DestinationNotOpenError('logger', this.config.path, this.openError)
    return this.core
  }

  /** The file being written (after `reopen(file)`, the new one). */
  get path(): string {
    return this.config.path
  }

  /** As SonicBoom's: the file's path once it is open, null while it never was. */
  get file(): string | null {
    return this.core === undefined ? null : this.config.path
  }

  /** The descriptor the core writes the file through; -1 before it opened and once closed. */
  get fd(): number {
    return this.core === undefined || this.closedDone ? -1 : this.core.fd
  }

  /** True while a flush this destination started is in progress. */
  get writing(): boolean {
    return this.flushesRunning > 0
  }

  /** True until `end()` or `destroy()` (pino takes a lone argument with it for a stream). */
  get writable(): boolean {
    return !this.ending && !this.destroyed
  }

  /** Writes not taken: the core's `droppedLogs`, plus `maxLength` drops and writes with no file open. */
  get droppedLogs(): number {
    return this.ownDrops + (this.core?.getStatsSnapshot().droppedLogs ?? 0)
  }

  /**
   * Takes one write: a string (or, in `contentMode: 'buffer'`, a Uint8Array), written as given.
   * With `sync: true`, it is durable when this returns. Returns false at the high-water mark.
   * @throws {DestinationClosedError} after `destroy()` or `'close'`, as SonicBoom throws.
   */
  write(data: string | Uint8Array): boolean {
    if (this.destroyed) throw new DestinationClosedError('write', this.config.path)
    const bytes = this.contentMode === 'buffer' && data instanceof Uint8Array ? data : undefined
    const text = bytes === undefined ? (typeof data === 'string' ? data : `${data}`) : ''
    if (this.countBytes) {
      const n = bytes?.length ?? Buffer.byteLength(text)
      if (this.maxLength > 0 && this.pendingBytes + n > this.maxLength) {
        this.ownDrops++
        this.emit('drop', data)
        return this.pendingChars < this.highWater
      }
      this.pendingBytes += n
    }
    this.pendingChars += bytes?.length ?? text.length
    if (this.core === undefined) this.ownDrops++
    else if (bytes !== undefined) {
      this.batch?.drain()
      this.take(bytes, 1)
    } else if (this.batch !== undefined && !this.ending) this.batch.add(text)
    else this.take(text, 1)
    if (this.sync) {
      this.syncFlush()
      return true
    }
    if (this.pendingChars < this.highWater) return true
    this.needDrain = true
    if (this.flushesRunning === 0) this.runFlush().catch(this.report)
    return false
  }

  /** Hands a write (or a batch of `count` lines) to the logger, unless a reopen holds it. */
  private readonly take = (data: string | Uint8Array, count: number): void => {
    if (this.held.holding) this.held.add(data, count)
    else this.put(data, count)
  }

  private readonly put = (data: string | Uint8Array, count: number): void => {
    if (typeof data !== 'string') this.core?.logBytes(data)
    else if (this.batch !== undefined) this.core?.logLines(data, count)
    else this.core?.log(data)
  }

  /** Everything taken so far into the core's shards: the gathered batch, the held writes. */
  private handOver(): void {
    this.batch?.drain()
    this.held.release(this.put)
  }

  private readonly drainAtExit = (): void => {
    this.handOver()
  }

  /**
   * Calls back once everything written so far is durable in the file (`logger.flush(cb)`), then
   * emits `'drain'`. Without a callback a failed write is reported as for a write.
   * @throws {InvalidArgumentError} when `cb` is given and not a function (at once, as SonicBoom).
   * @throws {DestinationClosedError} after `destroy()` or `'close'`, without a callback (with one,
   * `cb` gets it).
   */
  flush(cb?: Callback | null): void {
    if (cb != null && typeof cb !== 'function')
      throw new InvalidArgumentError('flush(cb)', `cb must be a function, got ${typeof cb}`)
    if (this.destroyed) {
      const err = new DestinationClosedError('flush', this.config.path)
      if (!cb) throw err
      cb(err)
      return
    }
    if (this.core === undefined) {
      const err = new DestinationNotOpenError('flush', this.config.path, this.openError)
      if (!cb) throw err
      process.nextTick(cb, err)
      return
    }
    this.runFlush().then(
      () => cb?.(),
      (err: Error) => (cb ? cb(err) : this.report(err)),
    )
  }

  /** One flush of the core; settles the accounting, `'write'` and `'drain'`. */
  private async runFlush(): Promise<void> {
    // Counted before the first await: the writes that follow in the same tick see a flush running
    // and start none of their own (a burst past the high-water mark would start one per write).
    this.flushesRunning++
    let chars: number
    let bytes: number
    try {
      this.batch?.drain()
      await this.held.idle
      chars = this.pendingChars
      bytes = this.pendingBytes
      await Promise.all([...this.leaving, this.core?.flush()])
    } finally {
      this.flushesRunning--
    }
    this.settle(chars, bytes)
  }

  private settle(chars: number, bytes: number): void {
    this.pendingChars -= chars
    this.pendingBytes -= bytes
    if (bytes > 0 && this.countBytes) this.emit('write', bytes)
    if (this.pendingChars < this.highWater) {
      this.needDrain = false
      this.emit('drain')
    } else if (this.needDrain && this.flushesRunning === 0) this.runFlush().catch(this.report)
  }

  /**
   * Writes everything written so far into the file and returns once it is durable (the core's
   * synchronous flush, from this thread). Pino calls it after `fatal` and on its exit paths.
   * @throws {DestinationClosedError} after `destroy()` or `'close'`.
   * @throws {DestinationNotOpenError} when the file could not be opened.
   * @throws {IoError} when the write failed (the data stays buffered and is retried).
   */
  flushSync(): void {
    if (this.destroyed) throw new DestinationClosedError('flushSync', this.config.path)
    if (this.core === undefined)
      throw new DestinationNotOpenError('flushSync', this.config.path, this.openError)
    this.handOver()
    this.core.flushSync()
    this.pendingChars = 0
    this.pendingBytes = 0
  }

  /** `sync: true`: the write just taken, durable now; a failure is reported, the data kept. */
  private syncFlush(): void {
    const bytes = this.pendingBytes
    try {
      this.core?.flushSync()
    } catch (err) {
      this.report(err as Error)
      return
    }
    this.pendingChars = 0
    this.pendingBytes = 0
    if (bytes > 0) this.emit('write', bytes)
  }

  /**
   * Writes everything, then closes the file: `'finish'` and `'close'` follow once it is durable.
   * A write in the same turn as `end()` is still written (as SonicBoom's); later ones are dropped
   * and counted until `'close'`, after which they throw.
   * @throws {DestinationClosedError} after `destroy()` or `'close'`, as SonicBoom throws.
   */
  end(): void {
    if (this.destroyed) throw new DestinationClosedError('end', this.config.path)
    this.close(true)
  }

  /**
   * Closes at once: later calls throw. Unlike SonicBoom's, which drops what it has not written,
   * what was written before is still made durable (the core writes its buffers as it closes);
   * `'close'` follows, without `'finish'`.
   */
  destroy(): void {
    if (this.destroyed) return
    this.destroyed = true
    this.close(false)
  }

  private close(finish: boolean): void {
    if (this.ending) return
    this.handOver()
    this.ending = true
    if (this.timer) clearInterval(this.timer)
    const core = this.core
    Promise.all([...this.leaving, core ? closeLogger(core) : undefined])
      .catch(this.report)
      .then(() => {
        this.closedDone = true
        this.destroyed = true
        // What the last flushes made durable, as SonicBoom reports its last writes.
        if (this.countBytes && this.pendingBytes > 0) this.emit('write', this.pendingBytes)
        this.pendingBytes = 0
        process.off('exit', this.drainAtExit)
        if (finish) this.emit('finish')
        this.emit('close')
      })
  }

  /**
   * Reopens the file in place (after `logrotate` renamed it away), or moves to `file`. Writes go
   * on being taken meanwhile and go to the new file (held-writes.ts); `'ready'` follows. When the file cannot be opened, the current one
   * goes on being written and the error is reported (`'error'`, or without a listener a process
   * warning, code `ASYNCDIRECT_REOPEN_FAILED`). After `end()` it does nothing, as SonicBoom's.
   * @throws {DestinationClosedError} after `destroy()` or `'close'`.
   * @throws {InvalidArgumentError} when `file` is given and not a non-empty string.
   */
  reopen(file?: string): void {
    if (this.destroyed) throw new DestinationClosedError('reopen', this.config.path)
    if (file !== undefined && (typeof file !== 'string' || file.length === 0))
      throw new InvalidArgumentError('reopen(file)', `file must be a non-empty path, got ${typeof file}`)
    if (this.ending) return
    this.batch?.drain()
    const path = file ?? this.config.path
    const old = this.core
    if (old !== undefined && resolve(path) === resolve(this.config.path)) {
      const reopened = old.reopen()
      this.held.track(reopened, this.put)
      reopened.then(
        () => this.emit('ready'),
        (err: Error) => this.reopenFailed(err),
      )
      return
    }
    let core: Logger
    try {
      // As documented: a reopen() never truncates, whatever append says.
      core = this.open({ ...this.config, path, truncate: false })
    } catch (err) {
      process.nextTick(() => this.reopenFailed(err as Error))
      return
    }
    this.config = { ...this.config, path }
    this.core = core
    this.openError = undefined
    if (old === undefined) return
    const leaving = closeLogger(old).catch(this.report)
    this.leaving.add(leaving)
    void leaving.then(() => this.leaving.delete(leaving))
  }

  private reopenFailed(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else
      process.emitWarning(`asyncdirect: reopen() failed, still writing the previous file: ${err.message}`, {
        code: 'ASYNCDIRECT_REOPEN_FAILED',
      })
  }

  /** Opens a core logger and relays its events. */
  private open(config: LoggerConfig): Logger {
    const core = openLogger(config)
    core.on('error', this.report)
    core.on('warning', (w: unknown) => this.emit('warning', w))
    core.on('fallback', (e: FallbackEvent) => announceFallback(this, e))
    // A flusher that failed to start does not stop the logger (writers then write themselves).
    core.ready().then(() => this.closedDone || this.emit('ready'), this.report)
    return core
  }

  /**
   * A write error: the core keeps the data and retries. An event when someone listens, else one
   * process warning per kind of error: never a crash of the host.
   */
  private readonly report = (err: Error & { code?: string }): void => {
    if (this.listenerCount('error') > 0) this.emit('error', err)
    else warnOnce(`error:${err.code}`, `asyncdirect: ${err.message} (data kept, write retried)`)
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

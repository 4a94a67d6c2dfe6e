/**
 * Following a growing log file, as `tail -F` does, for both formats: poll its size, decode the new
 * complete entries only, and follow the log across rotation (see `followed-file.ts` for what the
 * path names: a regular file replaced by logrotate, a series symlink moved on, or the newest file
 * of a series) and truncation, with no entry lost or printed twice.
 *
 * Polling rather than `fs.watch`: the writer's direct-I/O writes and some file systems (network,
 * overlay) do not reliably raise change events, and a 200 ms poll is one `fstat` and one `stat`
 * (and, for a series without symlink, one directory listing).
 */

import type { Stats } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { FileShrankError } from '../errors.js'
import type { ProblemListener } from '../format/problem.js'
import { type ChunkedFile, openChunked, type ProgressListener } from './chunked-file.js'
import {
  type FollowedFile,
  filesBetween,
  isEarlierInSeries,
  isSameFile,
  resolveFollowed,
} from './followed-file.js'
import { detectFileFormat, type LogFileFormat } from './format-detect.js'
import { createDecoder, readEntries } from './read-entries.js'

/** Options of {@link followEntries}. */
export interface FollowOptions {
  /** Stops following; the iteration then ends normally (following has no other end). */
  signal: AbortSignal
  /** How many of the entries already in the file to yield first. Default: all of them. */
  last?: number
  /** Milliseconds between checks for growth and rotation. Default 200. */
  pollInterval?: number
  /** Lines files: lines longer than this are reported as `long-line` and skipped. Default 64 MiB. */
  maxLineBytes?: number
  /** Told about damage met while following (each place once). */
  onProblem?: ProblemListener
  /** Told about rotation, truncation and the file going missing, in words for a person. */
  onNotice?: (message: string) => void
  /** Told how far reading the existing content got (the first pass over a big file takes a while). */
  onProgress?: ProgressListener
  /** Called once the existing content has been read, before its last entries are yielded. */
  onCaughtUp?: () => void
}

const DEFAULT_POLL_INTERVAL = 200

/**
 * Yields the last `last` entries already in the file, then every entry appended to it, until
 * `signal` aborts. Only complete entries are yielded: a framed block cut short by the end of the
 * file, or a line without its `'\n'` yet, waits for the rest.
 *
 * `path` may be a regular file, a symlink (a rotated series' `symlink: true`), or the configured
 * path of a series that has no symlink: then the newest file of the series is followed.
 *
 * When the path comes to name another file (renamed away and recreated by logrotate, the symlink
 * moved on, a newer series file), the old file is read to its end, then any series files between
 * the two (a writer that rotated twice between polls), then the new one from its start. The
 * switch waits until the new file holds data: logrotate creates the new file before the
 * application reopens, and entries written to the old file meanwhile must not be lost. A path
 * that comes to name an older file of the same series is ignored. When the file shrinks
 * (truncated in place), it is read again from its start. A path that disappears is waited for.
 *
 * @throws An error naming `path` (with the errno `code`) if it cannot be opened at the start, or a
 *   read fails for a reason other than the file changing under the reader.
 */
export async function* followEntries(path: string, options: FollowOptions): AsyncGenerator<Buffer> {
  const follower = new Follower(path, options)
  try {
    yield* follower.run()
  } catch (error) {
    if (!options.signal.aborted) throw error
  } finally {
    await follower.close()
  }
}

class Follower {
  private file: ChunkedFile | null = null
  /** The open file's `fstat`: the file read, whatever the path has come to name since. */
  private identity: Stats | null = null
  /** What the path named when the open file was resolved; null if it was opened by the path. */
  private current: FollowedFile | null = null
  private offset = 0
  private format: LogFileFormat = 'empty'
  private missing = false

  constructor(
    private readonly path: string,
    private readonly options: FollowOptions,
  ) {}

  async *run(): AsyncGenerator<Buffer> {
    const { signal } = this.options
    signal.throwIfAborted()
    const first = await resolveFollowed(this.path)
    // Nothing to resolve: opening the path itself fails with the error a user expects (ENOENT).
    this.file = await openChunked(first?.path ?? this.path, this.options.onProgress)
    this.identity = await this.file.fh.stat()
    this.current = first
    if (first?.newestOfSeries) {
      this.notice(`${this.path} does not exist; following the newest file of its series, ${first.path}`)
    }
    yield* this.lastExisting(this.options.last ?? Number.POSITIVE_INFINITY)
    const interval = this.options.pollInterval ?? DEFAULT_POLL_INTERVAL
    while (!signal.aborted) {
      try {
        await sleep(interval, undefined, { signal })
      } catch {
        return
      }
      yield* this.poll()
    }
  }

  async close(): Promise<void> {
    await this.file?.close()
    this.file = null
  }

  /** The existing content: only the last `count` entries are kept (a ring) and yielded. */
  private async *lastExisting(count: number): AsyncGenerator<Buffer> {
    if (count === Number.POSITIVE_INFINITY) {
      yield* this.drain(true)
      this.caughtUp()
      return
    }
    const ring: Buffer[] = []
    let next = 0
    for await (const entry of this.drain(true)) {
      if (count === 0) continue
      if (ring.length < count) ring.push(entry)
      else ring[next] = entry
      next = (next + 1) % count
    }
    this.caughtUp()
    if (ring.length < count) yield* ring
    else for (let i = 0; i < count; i++) yield ring[(next + i) % count]!
  }

  private async *poll(): AsyncGenerator<Buffer> {
    const file = this.file!
    const { size } = await file.fh.stat()
    const named = this.acceptable(await resolveFollowed(this.path))
    if (named === null) {
      if (!this.missing) this.notice(`${this.path} has become inaccessible; still reading the open file`)
      this.missing = true
    } else if (isSameFile(named.stats, this.identity!)) {
      if (this.missing) this.notice(`${this.path} has reappeared`)
      this.missing = false
    } else if (this.current === null || !isEarlierInSeries(named, this.current)) {
      const between = this.current === null ? [] : filesBetween(this.current, named)
      // A new file still empty may have been created ahead of its writer (logrotate's `create`,
      // before the application's reopen()): the old file may still get entries, so it stays the
      // one read until the new file has some. Files in between mean the writer has moved on.
      if (named.stats.size > 0 || between.length > 0) {
        if (yield* this.switchTo(named, between)) return
      }
    }
    if (size < this.offset) {
      this.notice(`${this.path}: file truncated; reading it from the start`)
      this.offset = 0
    } else if (size === file.size) {
      return
    }
    file.resize(size)
    yield* this.drain(true)
  }

  /**
   * `named`, unless it is a series' newest file found while a file outside any series is read: a
   * regular `app.log` renamed away by logrotate must not be taken over by files left from an
   * earlier rotation setup, which are older than what was being read.
   */
  private acceptable(named: FollowedFile | null): FollowedFile | null {
    if (named?.newestOfSeries && !this.current?.series) return null
    return named
  }

  /**
   * Finishes the open file, reads the `between` files whole, then the new file from its start.
   * False, with the old file left open, when the new one cannot be opened yet (retried at the
   * next poll).
   */
  private async *switchTo(named: FollowedFile, between: string[]): AsyncGenerator<Buffer, boolean> {
    const next = await this.openNew(named.path)
    if (next === null) return false
    const old = this.file!
    // Finish the old file. Its size is taken now, after the new file was seen with data: the
    // writer's last flush to the old file came before that, so it is included (a size from
    // earlier in the poll could miss it). Its trailing partial line or torn block will never
    // complete now: report it.
    old.resize((await old.fh.stat()).size)
    yield* this.drain(false)
    await old.close()
    this.file = next
    for (const path of between) yield* this.readFinished(path)
    this.identity = await next.fh.stat()
    this.current = named
    this.offset = 0
    this.missing = false
    this.notice(
      named.series === null
        ? `${this.path} has been replaced; following the new file`
        : `${this.path} has moved on to ${named.path}; following it`,
    )
    yield* this.drain(true)
    return true
  }

  /** A series file the writer has finished with, read whole; one that has gone is reported and passed over. */
  private async *readFinished(path: string): AsyncGenerator<Buffer> {
    const { signal, onProblem, maxLineBytes } = this.options
    this.notice(`${this.path}: reading ${path}, written since the last look`)
    try {
      yield* readEntries(path, { signal, onProblem, maxLineBytes })
    } catch (error) {
      if (signal.aborted) throw error
      this.notice(`${this.path}: cannot read ${path}, skipped: ${(error as Error).message}`)
    }
  }

  /** Opens the file the path now names, or says once why it cannot and returns null (retried next poll). */
  private async openNew(path: string): Promise<ChunkedFile | null> {
    try {
      return await openChunked(path)
    } catch (error) {
      if (!this.missing) {
        this.notice(`${this.path} was replaced, but the new file cannot be read: ${(error as Error).message}`)
      }
      this.missing = true
      return null
    }
  }

  /** Decodes `[offset, size)` of the current file and moves `offset` past what was complete. */
  private async *drain(live: boolean): AsyncGenerator<Buffer> {
    const file = this.file!
    if (file.size <= this.offset) return
    // Detected at the start of every file (after rotation or truncation it may differ), and not
    // on every poll: that would read the file's first chunk again each time it grows.
    if (this.offset === 0 || this.format === 'empty') this.format = await detectFileFormat(file)
    const decoder = createDecoder(file, this.format, {
      withData: true,
      start: this.offset,
      live,
      signal: this.options.signal,
      onProblem: this.options.onProblem,
      maxLineBytes: this.options.maxLineBytes,
    })
    try {
      yield* decoder.decode()
    } catch (error) {
      // The file shrank while being read: the next poll sees the smaller size and starts over.
      if (!(error instanceof FileShrankError)) throw error
    } finally {
      this.offset = decoder.resumeAt
    }
  }

  /** The first pass is over: later reads are a poll's few new bytes, not worth a progress report. */
  private caughtUp(): void {
    if (this.file) this.file.onProgress = undefined
    this.options.onCaughtUp?.()
  }

  private notice(message: string): void {
    this.options.onNotice?.(message)
  }
}

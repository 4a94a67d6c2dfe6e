/**
 * Following a growing log file, as `tail -F` does, for both formats: poll its size, decode the new
 * complete entries only, and survive rotation (the file renamed away and recreated, or truncated in
 * place) by reopening it and reading the new file from its start.
 *
 * Polling rather than `fs.watch`: the writer's direct-I/O writes and some file systems (network,
 * overlay) do not reliably raise change events, and a 200 ms poll is one `fstat` and one `stat`.
 */

import { type Stats, stat } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { type ChunkedFile, FileShrankError, openChunked, type ProgressListener } from './chunked-file.js'
import { detectFileFormat, type LogFileFormat } from './format-detect.js'
import type { ProblemListener } from './format-problem.js'
import { createDecoder } from './read-entries.js'

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
 * When the path comes to name another file (rotation: renamed away and recreated), the rest of the
 * old file is read, then the new one from its start; when the file shrinks (truncated in place),
 * it is read again from its start. A path that disappears is waited for.
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
  private identity: Stats | null = null
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
    this.file = await openChunked(this.path, this.options.onProgress)
    this.identity = await this.file.fh.stat()
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
    const named = await statOrNull(this.path)
    const { size } = await file.fh.stat()
    if (named === null) {
      if (!this.missing) this.notice(`${this.path} has become inaccessible; still reading the open file`)
      this.missing = true
    } else if (named.ino !== this.identity?.ino || named.dev !== this.identity?.dev) {
      const next = await this.openNew()
      if (next !== null) {
        // Rotated: finish the old file (the writer may have added to it before it moved on), then
        // switch. Its trailing partial line or torn block will never complete now: report it.
        file.resize(size)
        yield* this.drain(false)
        await file.close()
        this.file = next
        this.identity = await next.fh.stat()
        this.offset = 0
        this.missing = false
        this.notice(`${this.path} has been replaced; following the new file`)
        yield* this.drain(true)
        return
      }
    } else if (this.missing) {
      this.notice(`${this.path} has reappeared`)
      this.missing = false
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

  /** Opens the file the path now names, or says once why it cannot and returns null (retried next poll). */
  private async openNew(): Promise<ChunkedFile | null> {
    try {
      return await openChunked(this.path)
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

function statOrNull(path: string): Promise<Stats | null> {
  return new Promise((resolve) => stat(path, (error, stats) => resolve(error ? null : stats)))
}

/**
 * Streaming reader for the lines format (NDJSON): each entry is one line ending in `'\n'`, with no
 * headers and no padding. Memory is one read window plus the line being returned, and a line is
 * never buffered past a bound: a longer one is reported and skipped.
 */

import type { FormatProblem, LinesProblemKind, ProblemListener } from '../format/problem.js'
import { CHUNK_SIZE, type ChunkedFile, openChunked, type ProgressListener } from './chunked-file.js'
import type { VerifyReport } from './framed-reader.js'

/** The default bound on one line: longer lines are reported as `long-line` and skipped. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024

const NEWLINE = 0x0a

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /** Stops the iteration: the next step rejects with the signal's reason. */
  signal?: AbortSignal
  /** Lines longer than this many bytes are reported and skipped. Default {@link DEFAULT_MAX_LINE_BYTES}. */
  maxLineBytes?: number
  /** Told about each problem: NUL bytes, a partial last line, an over-long line. */
  onProblem?: ProblemListener
  /** Told how far reading got after each read from the disk. */
  onProgress?: ProgressListener
}

/** Options of a {@link LinesDecoder}. */
export interface LinesDecodeOptions {
  /** Yield line bytes; without, only count them. */
  withData: boolean
  /** Where to start: 0 or the start of a line (a previous live decode's `resumeAt`). */
  start?: number
  /**
   * Decoding a file that is still being written: a last line without its `'\n'` is not reported
   * (the rest is on its way) and {@link LinesDecoder.resumeAt} is left at its start.
   */
  live?: boolean
  maxLineBytes?: number
  signal?: AbortSignal
  onProblem?: ProblemListener
}

/**
 * The decoder behind {@link readLines}, the lines side of `readEntries`/`verify`, and following a
 * lines file. Yields complete lines without their `'\n'`, each a fresh copy the caller may keep.
 */
export class LinesDecoder {
  /** Complete lines within the bound: the entries. */
  entries = 0
  /** Bytes of those lines, `'\n'` not included. */
  entryBytes = 0
  /** After `decode()` ends: the start of the first line not yet complete (the end of the file if none). */
  resumeAt: number
  private readonly withData: boolean
  private readonly live: boolean
  private readonly maxLineBytes: number
  private readonly signal: AbortSignal | undefined
  private readonly onProblem: ProblemListener | undefined

  constructor(
    private readonly file: ChunkedFile,
    options: LinesDecodeOptions,
  ) {
    this.withData = options.withData
    this.live = options.live ?? false
    this.maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES
    this.signal = options.signal
    this.onProblem = options.onProblem
    this.resumeAt = options.start ?? 0
  }

  async *decode(): AsyncGenerator<Buffer, void> {
    const { size } = this.file
    let pos = this.resumeAt
    let lineStart = pos
    // The current line's bytes from earlier chunks (copies: the window is reused).
    let pieces: Buffer[] = []
    let overlong = false
    let firstNul = -1
    try {
      while (pos < size) {
        this.step()
        const chunk = await this.file.view(pos, Math.min(CHUNK_SIZE, size - pos))
        // The next NUL at or after the scan position, searched for lazily so that a chunk is scanned
        // for NULs once in all, however many lines it holds.
        let nextNul = chunk.indexOf(0)
        let i = 0
        while (i < chunk.length) {
          this.step()
          const nl = chunk.indexOf(NEWLINE, i)
          const segmentEnd = nl === -1 ? chunk.length : nl
          if (nextNul !== -1 && nextNul < i) nextNul = chunk.indexOf(0, i)
          if (firstNul === -1 && nextNul !== -1 && nextNul < segmentEnd) firstNul = pos + nextNul
          const lineLength = pos + segmentEnd - lineStart
          if (!overlong && lineLength > this.maxLineBytes) {
            overlong = true
            pieces = []
          }
          if (nl === -1) {
            if (!overlong && this.withData) pieces.push(Buffer.from(chunk.subarray(i)))
            break
          }
          if (overlong) {
            this.problem(
              lineStart,
              'long-line',
              `line at ${lineStart} has ${lineLength} bytes, more than the ${this.maxLineBytes}-byte bound; skipped`,
            )
          }
          // After the line's own problem, whose offset (the line's start) comes first in the file.
          this.reportNul(lineStart, firstNul)
          if (!overlong) {
            this.entries++
            this.entryBytes += lineLength
            if (this.withData) {
              const last = chunk.subarray(i, nl)
              yield pieces.length === 0 ? Buffer.from(last) : Buffer.concat([...pieces, last], lineLength)
            }
          }
          pieces = []
          overlong = false
          firstNul = -1
          lineStart = pos + nl + 1
          i = nl + 1
        }
        pos += chunk.length
      }
      if (lineStart < size && !this.live) {
        this.problem(
          lineStart,
          'partial-line',
          `the last line, at ${lineStart}, has ${size - lineStart} bytes and no '\\n' (cut short, or still being written)`,
        )
        this.reportNul(lineStart, firstNul)
      }
    } finally {
      this.resumeAt = lineStart
    }
  }

  private reportNul(lineStart: number, firstNul: number): void {
    if (firstNul === -1) return
    this.problem(
      firstNul,
      'nul-byte',
      `line at ${lineStart} holds NUL bytes, the first at ${firstNul} (text has none: a zero-filled range, as a crash can leave)`,
    )
  }

  private step(): void {
    this.signal?.throwIfAborted()
  }

  private problem(offset: number, kind: LinesProblemKind, message: string): void {
    this.onProblem?.({ offset, kind, message })
  }
}

/**
 * Checks an opened lines file: entries are its complete lines; problems are NUL bytes, a partial
 * last line and over-long lines. `blocks` and `paddingBytes` are 0: the format has neither.
 */
export async function verifyLinesFile(
  file: ChunkedFile,
  options?: { signal?: AbortSignal; maxLineBytes?: number },
): Promise<VerifyReport> {
  const problems: FormatProblem[] = []
  const decoder = new LinesDecoder(file, {
    withData: false,
    signal: options?.signal,
    maxLineBytes: options?.maxLineBytes,
    onProblem: (p) => problems.push(p),
  })
  for await (const _ of decoder.decode()) {
    // counting only: nothing is yielded without data
  }
  return {
    ok: problems.length === 0,
    entries: decoder.entries,
    blocks: 0,
    bytes: file.size,
    entryBytes: decoder.entryBytes,
    paddingBytes: 0,
    problems,
  }
}

/**
 * Yields every complete line of a lines (NDJSON) file, without its `'\n'`, in file order, reading
 * in chunks with constant memory. A last line without `'\n'` is not yielded: it is reported to
 * `onProblem` as `partial-line` (a follower waits for the rest instead). A line longer than
 * `maxLineBytes` is reported as `long-line` and skipped.
 *
 * @throws An error naming `path` (with the errno `code`, e.g. `ENOENT`) if the file cannot be opened.
 */
export async function* readLines(path: string, options?: ReadLinesOptions): AsyncGenerator<Buffer> {
  const signal = options?.signal
  signal?.throwIfAborted()
  const file = await openChunked(path, options?.onProgress)
  try {
    yield* new LinesDecoder(file, {
      withData: true,
      signal,
      maxLineBytes: options?.maxLineBytes,
      onProblem: options?.onProblem,
    }).decode()
  } finally {
    await file.close()
  }
}

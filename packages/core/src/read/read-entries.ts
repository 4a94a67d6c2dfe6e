/**
 * Reading either file format: the format is detected from the file's first bytes (see
 * `format-detect.ts`), then the framed or the lines decoder runs on the same open file.
 */

import type { ProblemListener } from '../format/problem.js'
import { type ChunkedFile, openChunked, type ProgressListener } from './chunked-file.js'
import { detectFileFormat, type LogFileFormat } from './format-detect.js'
import { FramedDecoder, type VerifyReport as FramedVerifyReport, verifyFramedFile } from './framed-reader.js'
import { LinesDecoder, verifyLinesFile } from './lines-reader.js'

/** Options of {@link readEntries}. */
export interface ReadEntriesOptions {
  /** Stops the iteration: the next step rejects with the signal's reason. */
  signal?: AbortSignal
  /** Told about each problem as it is found (readEntries otherwise skips damage silently). */
  onProblem?: ProblemListener
  /** Told how far reading got after each read from the disk (for progress indicators). */
  onProgress?: ProgressListener
  /** Lines files: lines longer than this are reported as `long-line` and skipped. Default 64 MiB. */
  maxLineBytes?: number
}

/** Options of {@link verify}. */
export type VerifyOptions = Omit<ReadEntriesOptions, 'onProblem'>

/**
 * The result of {@link verify}: the framed report's counts plus the format found. For a lines
 * file, entries are its complete lines, `blocks` and `paddingBytes` are 0, and problems are
 * `nul-byte`, `partial-line` or `long-line`.
 */
export interface VerifyReport extends FramedVerifyReport {
  /** The format detected from the file's bytes; `'empty'` for an empty file. */
  format: LogFileFormat
}

/** A decoder of either format, as the follower drives it. */
export interface EntryDecoder {
  decode(): AsyncGenerator<Buffer, void>
  /** After `decode()` ends: where the next decode of the grown file starts. */
  readonly resumeAt: number
}

/** Options of {@link createDecoder}. */
export interface CreateDecoderOptions {
  withData: boolean
  start?: number
  live?: boolean
  signal?: AbortSignal
  onProblem?: ProblemListener
  maxLineBytes?: number
}

/** A decoder for an opened file of a known format (`'empty'` decodes as framed: nothing to yield). */
export function createDecoder(
  file: ChunkedFile,
  format: LogFileFormat,
  options: CreateDecoderOptions,
): EntryDecoder {
  return format === 'lines' ? new LinesDecoder(file, options) : new FramedDecoder(file, options)
}

/**
 * Yields the bytes of every intact entry of a log file of either format, in file order. Framed:
 * every entry of every intact block, damage skipped. Lines: every complete line without its
 * `'\n'`; a last line without `'\n'` is not an entry yet. The file is read in chunks, so memory
 * stays constant whatever its size; each Buffer is a fresh copy the caller may keep.
 *
 * @param path - The log file; its format is detected from its bytes, not its name.
 * @param options - `signal` stops the iteration with the signal's reason; `onProblem` hears of damage.
 * @throws An error naming `path` (with the errno `code`, e.g. `ENOENT`) if the file cannot be opened.
 */
export async function* readEntries(path: string, options?: ReadEntriesOptions): AsyncGenerator<Buffer> {
  const signal = options?.signal
  signal?.throwIfAborted()
  const file = await openChunked(path, options?.onProgress)
  try {
    const format = await detectFileFormat(file)
    yield* createDecoder(file, format, {
      withData: true,
      signal,
      onProblem: options?.onProblem,
      maxLineBytes: options?.maxLineBytes,
    }).decode()
  } finally {
    await file.close()
  }
}

/**
 * Checks a log file's integrity. Framed: counts entries, blocks and padding and lists every problem
 * with its offset (torn blocks, overrunning lengths, bad headers, trailing garbage). Lines: says so
 * in `format`, counts lines, and reports NUL bytes, a partial last line and over-long lines.
 * Corrupt or hostile content is reported, never thrown.
 *
 * @returns The report; `ok` is true when `problems` is empty. An empty file is ok with 0 entries.
 * @throws An error naming `path` (with the errno `code`, e.g. `ENOENT`) if the file cannot be opened.
 */
export async function verify(path: string, options?: VerifyOptions): Promise<VerifyReport> {
  const signal = options?.signal
  signal?.throwIfAborted()
  const file = await openChunked(path, options?.onProgress)
  try {
    const format = await detectFileFormat(file)
    const report =
      format === 'lines'
        ? await verifyLinesFile(file, { signal, maxLineBytes: options?.maxLineBytes })
        : await verifyFramedFile(file, signal)
    return { format, ...report }
  } finally {
    await file.close()
  }
}

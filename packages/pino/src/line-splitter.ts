import type { Logger } from '@asyncdirect/core'

const NEWLINE = 0x0a
/** Most bytes handed to the core in one `logLines` call: well inside a shard of any sane size. */
const BATCH_BYTES = 64 * 1024
/** Most UTF-8 bytes one UTF-16 code unit encodes to: a text run's limit in code units. */
const UTF8_BYTES_PER_UNIT = 3

/**
 * Cuts what pino's worker receives into lines and logs them, newlines included, without parsing
 * anything. The chunk boundaries thread-stream chooses do not follow lines: a line cut by one is
 * carried over and logged whole with the next chunk.
 *
 * In the `'lines'` format a run of whole lines is one `logLines` call (up to 64 KiB: one
 * reservation and one copy for all of them, each line still counted as an entry); in `'framed'`
 * each line is its own entry. Text (what thread-stream's worker decodes) is encoded once, straight
 * into the shard (a slice of a flat string is a view, not a copy); bytes are copied once.
 */
export class LineSplitter {
  /** The start of a line whose end has not arrived yet. */
  private partial: Buffer | null = null
  /** Largest run of lines per `logLines` call; 0 in the framed format (a call per line). */
  private readonly batchBytes: number

  constructor(private readonly logger: Logger) {
    this.batchBytes = logger.format === 'lines' ? Math.min(BATCH_BYTES, logger.maxEntryBytes) : 0
  }

  /** Logs every line `chunk` completes and keeps the unfinished one. */
  write(chunk: Buffer | string): void {
    if (typeof chunk === 'string') this.writeText(chunk)
    else this.writeBytes(chunk)
  }

  /** Logs a last line that never got its newline (pino always writes one; other sources may not). */
  end(): void {
    // logBytes, in both formats: the lines format gives the last line its newline.
    if (this.partial !== null) this.logger.logBytes(this.partial)
    this.partial = null
  }

  private writeText(text: string): void {
    let start = 0
    if (this.partial !== null) {
      const nl = text.indexOf('\n')
      if (nl === -1) {
        this.carry(Buffer.from(text))
        return
      }
      this.writeBytes(Buffer.from(text.slice(0, nl + 1)))
      start = nl + 1
    }
    const end = this.logRuns(
      start,
      Math.floor(this.batchBytes / UTF8_BYTES_PER_UNIT),
      (at) => text.indexOf('\n', at),
      (from, to, count) => this.logRun(text.slice(from, to), count),
    )
    if (end < text.length) this.carry(Buffer.from(text.slice(end)))
  }

  private writeBytes(chunk: Buffer): void {
    let start = 0
    if (this.partial !== null) {
      const nl = chunk.indexOf(NEWLINE)
      if (nl === -1) {
        this.carry(chunk)
        return
      }
      this.logRun(Buffer.concat([this.partial, chunk.subarray(0, nl + 1)]), 1)
      this.partial = null
      start = nl + 1
    }
    const end = this.logRuns(
      start,
      this.batchBytes,
      (at) => chunk.indexOf(NEWLINE, at),
      (from, to, count) => this.logRun(chunk.subarray(from, to), count),
    )
    if (end < chunk.length) this.carry(chunk.subarray(end))
  }

  /**
   * Finds the whole lines from `start` and hands them to `log` in runs of at most `limit` units
   * (a single longer line is a run of its own; with a limit of 0 every line is). Returns where
   * the unfinished line begins.
   */
  private logRuns(
    start: number,
    limit: number,
    nextNewline: (from: number) => number,
    log: (from: number, to: number, count: number) => void,
  ): number {
    let from = start
    let at = start
    let count = 0
    for (let nl = nextNewline(at); nl !== -1; nl = nextNewline(at)) {
      if (count > 0 && nl + 1 - from > limit) {
        log(from, at, count)
        from = at
        count = 0
      }
      count++
      at = nl + 1
    }
    if (count > 0) log(from, at, count)
    return at
  }

  private logRun(lines: Buffer | string, count: number): void {
    if (this.batchBytes > 0) this.logger.logLines(lines, count)
    else if (typeof lines === 'string') this.logger.log(lines)
    else this.logger.logBytes(lines)
  }

  private carry(bytes: Buffer): void {
    // A copy: the caller's chunk is not ours to keep past this call (concat copies too).
    this.partial = this.partial === null ? Buffer.from(bytes) : Buffer.concat([this.partial, bytes])
  }
}

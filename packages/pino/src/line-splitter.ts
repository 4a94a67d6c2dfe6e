import type { Logger } from '@asyncdirect/core'

const NEWLINE = 0x0a
/** Most bytes handed to the core in one `logLines` call: well inside a shard of any sane size. */
const BATCH_BYTES = 64 * 1024

/**
 * Cuts the bytes pino's worker receives into lines and logs them, newlines included, without
 * decoding, parsing or re-encoding anything. The chunk boundaries thread-stream chooses do not
 * follow lines: a line cut by one is carried over and logged whole with the next chunk.
 *
 * In the `'lines'` format a run of whole lines is one `logLines` call (up to 64 KiB: one
 * reservation and one copy for all of them, each line still counted as an entry); in `'framed'`
 * each line is its own entry, one `logBytes` each.
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

  /**
   * Text, as thread-stream's worker decodes it: encoded once, straight into the shard, batch by
   * batch (a slice of a flat string is a view, not a copy).
   */
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
    const end = this.batchBytes > 0 ? this.logTextBatches(text, start) : this.logTextEach(text, start)
    if (end < text.length) this.carry(Buffer.from(text.slice(end)))
  }

  /** Lines format: as logBatches, for text (the limit in UTF-16 units, 3 bytes each at most). */
  private logTextBatches(text: string, start: number): number {
    const limit = Math.floor(this.batchBytes / 3)
    let from = start
    let at = start
    let count = 0
    for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', at)) {
      if (count > 0 && nl + 1 - from > limit) {
        this.logger.logLines(text.slice(from, at), count)
        from = at
        count = 0
      }
      count++
      at = nl + 1
    }
    if (count > 0) this.logger.logLines(text.slice(from, at), count)
    return at
  }

  /** Framed format: as logEach, for text. */
  private logTextEach(text: string, start: number): number {
    let at = start
    for (let nl = text.indexOf('\n', at); nl !== -1; nl = text.indexOf('\n', at)) {
      this.logger.log(text.slice(at, nl + 1))
      at = nl + 1
    }
    return at
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
    const end = this.batchBytes > 0 ? this.logBatches(chunk, start) : this.logEach(chunk, start)
    if (end < chunk.length) this.carry(chunk.subarray(end))
  }

  /** Logs a last line that never got its newline (pino always writes one; other sources may not). */
  end(): void {
    // logBytes, in both formats: the lines format gives the last line its newline.
    if (this.partial !== null) this.logger.logBytes(this.partial)
    this.partial = null
  }

  /** Lines format: runs of whole lines from `start`; returns where the unfinished line begins. */
  private logBatches(chunk: Buffer, start: number): number {
    let from = start
    let at = start
    let count = 0
    for (let nl = chunk.indexOf(NEWLINE, at); nl !== -1; nl = chunk.indexOf(NEWLINE, at)) {
      if (count > 0 && nl + 1 - from > this.batchBytes) {
        this.logger.logLines(chunk.subarray(from, at), count)
        from = at
        count = 0
      }
      count++
      at = nl + 1
    }
    if (count > 0) this.logger.logLines(chunk.subarray(from, at), count)
    return at
  }

  /** Framed format: one entry per line from `start`; returns where the unfinished line begins. */
  private logEach(chunk: Buffer, start: number): number {
    let at = start
    for (let nl = chunk.indexOf(NEWLINE, at); nl !== -1; nl = chunk.indexOf(NEWLINE, at)) {
      this.logger.logBytes(chunk.subarray(at, nl + 1))
      at = nl + 1
    }
    return at
  }

  private logRun(bytes: Buffer, count: number): void {
    if (this.batchBytes > 0) this.logger.logLines(bytes, count)
    else this.logger.logBytes(bytes)
  }

  private carry(bytes: Buffer): void {
    // A copy: the caller's chunk is not ours to keep past this call (concat copies too).
    this.partial = this.partial === null ? Buffer.from(bytes) : Buffer.concat([this.partial, bytes])
  }
}

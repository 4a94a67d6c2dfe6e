import type { Logger } from '@asyncdirect/core'

const NEWLINE = 0x0a

/**
 * Cuts the bytes pino's worker receives into lines and logs each one, newline included, as one
 * core entry: `logBytes` of a view into the chunk, so a line is copied once (into the shard) and
 * never decoded, parsed or re-encoded. The chunk boundaries thread-stream chooses do not follow
 * lines: a line cut by one is carried over and logged whole with the next chunk.
 */
export class LineSplitter {
  /** The start of a line whose end has not arrived yet. */
  private partial: Buffer | null = null

  constructor(private readonly logger: Logger) {}

  /** Logs every line `chunk` completes and keeps the unfinished one. */
  write(chunk: Buffer): void {
    const logger = this.logger
    let start = 0
    let nl = chunk.indexOf(NEWLINE)
    if (nl === -1) {
      this.carry(chunk)
      return
    }
    if (this.partial !== null) {
      logger.logBytes(Buffer.concat([this.partial, chunk.subarray(0, nl + 1)]))
      this.partial = null
      start = nl + 1
      nl = chunk.indexOf(NEWLINE, start)
    }
    while (nl !== -1) {
      logger.logBytes(chunk.subarray(start, nl + 1))
      start = nl + 1
      nl = chunk.indexOf(NEWLINE, start)
    }
    if (start < chunk.length) this.carry(chunk.subarray(start))
  }

  /** Logs a last line that never got its newline (pino always writes one; other sources may not). */
  end(): void {
    if (this.partial !== null) this.logger.logBytes(this.partial)
    this.partial = null
  }

  private carry(bytes: Buffer): void {
    // A copy: the caller's chunk is not ours to keep past this call (concat copies too).
    this.partial = this.partial === null ? Buffer.from(bytes) : Buffer.concat([this.partial, bytes])
  }
}

/**
 * Where the `asyncdirect` commands write: stdout with batching and backpressure, stderr messages
 * prefixed with the tool's name, and error reasons a person can act on.
 */

import { once } from 'node:events'

/** Batches are written once they reach this size, or at the end of the current event-loop turn. */
const BATCH_BYTES = 64 * 1024
const NEWLINE = Buffer.from('\n')

/**
 * Buffered, backpressured output to a stream (stdout). Entries are batched so that `cat` of a
 * million small entries is not a million writes, and flushed at the end of each event-loop turn so
 * that `tail -f` shows new entries at once. Awaiting {@link Output.entry} waits for the stream to
 * drain when it is full, so memory stays bounded however slow the reader of the pipe is.
 */
export class Output {
  private pending: Buffer[] = []
  private pendingBytes = 0
  private scheduled = false

  constructor(private readonly stream: NodeJS.WritableStream) {}

  /** Writes one entry on its own line: a `'\n'` is added unless the entry already ends in one. */
  async entry(bytes: Uint8Array): Promise<void> {
    this.push(bytes)
    if (bytes.length === 0 || bytes[bytes.length - 1] !== 0x0a) this.push(NEWLINE)
    if (this.pendingBytes >= BATCH_BYTES) await this.flush()
    else this.schedule()
  }

  /** Writes text as it is. */
  async text(text: string): Promise<void> {
    this.push(Buffer.from(text))
    await this.flush()
  }

  /** Writes what is pending; resolves once the stream has room again. */
  async flush(): Promise<void> {
    if (this.pendingBytes === 0) return
    const batch =
      this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes)
    this.pending = []
    this.pendingBytes = 0
    if (!this.stream.write(batch)) await once(this.stream, 'drain')
  }

  private push(bytes: Uint8Array): void {
    this.pending.push(bytes as Buffer)
    this.pendingBytes += bytes.length
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      void this.flush()
    })
  }
}

/** Prints `asyncdirect: message` on stderr. */
export function warn(message: string): void {
  process.stderr.write(`asyncdirect: ${message}\n`)
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  EIO: 'input/output error',
  ENXIO: 'no such device',
  ESTALE: 'stale file handle',
}

/**
 * `ENOENT (no such file)`: the errno name and what it means, or the error's message when it has no
 * errno name (this package's own `ASYNCDIRECT_` codes name a case, not what happened to the file).
 */
export function describeError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code
  if (typeof code === 'string' && !code.startsWith('ASYNCDIRECT_'))
    return REASONS[code] ? `${code} (${REASONS[code]})` : code
  return (error as Error)?.message ?? String(error)
}

/** Prints `asyncdirect: cannot read PATH: ENOENT (no such file)` on stderr. */
export function reportReadError(path: string, error: unknown): void {
  warn(`cannot read ${path}: ${describeError(error)}`)
}

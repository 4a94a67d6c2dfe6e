import type { LineSplitter } from './line-splitter.js'

/**
 * Chunks at least this large are logged on the next turn of the event loop (see ChunkRelay);
 * smaller ones at once. thread-stream hands over up to its whole buffer (4 MiB) at a time;
 * pino's `targets` worker writes one line at a time, and deferring each line would cost it a
 * turn of the event loop per line.
 */
const DEFER_BYTES = 64 * 1024

/**
 * Overlaps the two halves of the transport's work. thread-stream refills its shared buffer only
 * after this worker has taken the previous chunk, so logging a chunk inside `write` would make
 * the main thread wait for it. Instead a large chunk is taken at once, which hands the buffer back,
 * and logged on the next turn while the main thread copies the next one in. One chunk is held at
 * most: the one after it waits (its callback is not called) until the held one is logged, so the
 * order is kept and memory is bounded.
 */
export class ChunkRelay {
  private held: Buffer | string | null = null
  private next: (() => void) | null = null

  constructor(private readonly lines: LineSplitter) {}

  /** `_transform`: takes `chunk`; `done` says when the stream may send the next one. */
  accept(chunk: Buffer | string, done: () => void): void {
    if (this.held !== null) {
      this.next = () => this.accept(chunk, done)
      return
    }
    if (chunk.length < DEFER_BYTES) {
      this.lines.write(chunk)
    } else {
      this.held = chunk
      setImmediate(this.logHeld)
    }
    done()
  }

  /** Logs what is held now: before a flush, and at the end. */
  settle(): void {
    while (this.held !== null) this.logHeld()
  }

  private readonly logHeld = (): void => {
    const chunk = this.held
    if (chunk === null) return // settled already
    this.held = null
    this.lines.write(chunk)
    const next = this.next
    this.next = null
    next?.()
  }
}

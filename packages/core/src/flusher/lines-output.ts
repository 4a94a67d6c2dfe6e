import { StateError } from '../errors.js'
import type { FileRotation } from '../file/rotation.js'
import type { Block } from '../shared/block-io.js'
import { F_FILE_OFFSET, TAIL_LEN } from '../shared/control-block.js'
import type { FlushContext } from '../shared/flush-context.js'
import { shardIndex } from '../shared/shard-memory.js'
import type { FileOutput, Piece } from './file-output.js'
import type { OutputIo } from './output-io.js'

const NEWLINE = 0x0a

/**
 * Writes the lines format (NDJSON): each entry as it was logged, plus a newline when it lacks
 * one; nothing else, so `tail -f`, `grep` and log shippers read the file as it is.
 *
 * Invariant: the file is `F_FILE_OFFSET` bytes of whole aligned blocks followed by `TAIL_LEN`
 * bytes of a partial block, and those tail bytes are also at the start of the staging buffer.
 * A flush copies the shards' lines after them into the staging buffer, writes every whole block
 * with O_DIRECT (the first one rewrites the old partial block: identical bytes plus new ones)
 * and the new partial block with a buffered write, so after each flush the file ends with a
 * complete entry, never holds padding, and ends at its exact length (between the two writes it
 * ends at a block boundary, usually inside an entry).
 *
 * Retrying a failed write is safe: the state moves only after both writes succeed, and the same
 * pieces produce the same bytes at the same offset.
 *
 * With a rotation size, the staged bytes are cut after the last newline that still fits the
 * current file; the file is made durable, the logger moves to the next one, and the rest of the
 * lines follow there (see {@link LinesOutput.commitWithinSize}).
 */
export class LinesOutput implements FileOutput {
  private readonly staging: Block
  private tailUnsynced = false

  constructor(
    private readonly cx: FlushContext,
    private readonly io: OutputIo,
    private readonly rotation: FileRotation,
  ) {
    if (!cx.staging)
      throw new StateError('ASYNCDIRECT_INTERNAL', 'asyncdirect: the lines format needs a staging buffer')
    this.staging = cx.staging
  }

  write(pieces: readonly Piece[]): boolean {
    const { ctl, views } = this.cx
    const staging = this.staging
    let out = Atomics.load(ctl.i32, TAIL_LEN)
    // Shards hold the lines themselves (entry-writer.ts): one large copy per run, after the tail.
    for (const p of pieces) {
      const view = views[shardIndex(ctl.numShards, p.set, p.shard)]!
      for (let r = 0; r < p.runs.length; r += 2) {
        staging.view.set(view.subarray(p.runs[r]!, p.runs[r + 1]!), out)
        out += p.runs[r + 1]! - p.runs[r]!
      }
    }
    return this.commitWithinSize(out)
  }

  writeEntry(bytes: Uint8Array): boolean {
    // One entry larger than a shard: into a file of its own when the current one has no room.
    const { f64, i32 } = this.cx.ctl
    const used = f64[F_FILE_OFFSET]! + Atomics.load(i32, TAIL_LEN)
    if (used > 0 && used + bytes.length + 1 > this.rotation.sizeLimit() && !this.nextFile()) return false
    const tail = Atomics.load(this.cx.ctl.i32, TAIL_LEN)
    const newline = bytes.length === 0 || bytes[bytes.length - 1] !== NEWLINE ? 1 : 0
    const size = tail + bytes.length + newline
    // Too large for the staging buffer: a buffer of its own, starting with the same tail bytes.
    const buffer = size <= this.staging.view.length ? this.staging : this.io.alloc(size)
    try {
      if (buffer !== this.staging) buffer.view.set(this.staging.view.subarray(0, tail), 0)
      buffer.view.set(bytes, tail)
      if (newline) buffer.view[tail + bytes.length] = NEWLINE
      return this.commit(buffer, size)
    } finally {
      if (buffer !== this.staging) this.io.free(buffer)
    }
  }

  /**
   * The partial block was written through the page cache without O_DSYNC (it is rewritten by
   * the next flush, often milliseconds later): one fdatasync makes it durable when it must be.
   */
  sync(): boolean {
    if (!this.cx.dsync || !this.tailUnsynced) return true
    if (!this.io.syncBuffered()) return false
    this.tailUnsynced = false
    return true
  }

  /**
   * Commits `staging[0, length)`, moving to the next file wherever the current one would pass
   * the rotation size. Each file gets whole lines only; a single line larger than the size gets a
   * file to itself. When the move fails (reported; no retry for a while) the rest goes into the
   * current file: a file larger than the size is better than lost lines.
   */
  private commitWithinSize(staged: number): boolean {
    const { i32, f64 } = this.cx.ctl
    const view = this.staging.view
    let length = staged
    for (;;) {
      const offset = f64[F_FILE_OFFSET]!
      const limit = this.rotation.sizeLimit()
      if (offset + length <= limit) return this.commit(this.staging, length)
      const tail = Atomics.load(i32, TAIL_LEN)
      const room = limit - offset
      // After the last newline that fits; `tail` bytes are in the file already.
      let cut = room > tail ? view.lastIndexOf(NEWLINE, room - 1) + 1 : 0
      if (cut <= tail) {
        if (offset + tail > 0)
          cut = tail // no more room: the file is complete as it is
        else cut = view.indexOf(NEWLINE) + 1 || length // an empty file: one line, however long
        if (cut > length) cut = length
      }
      if (cut > tail && !this.commit(this.staging, cut)) return false
      if (cut === length) return true
      if (!this.nextFile()) return false
      // The front of the staging buffer holds the tail of the file now written (none when it is a
      // new one); the rest of the lines, still at `cut`, go after it.
      const kept = Atomics.load(i32, TAIL_LEN)
      view.copyWithin(kept, cut, length)
      length = kept + (length - cut)
    }
  }

  /** Makes the current file durable and moves to the next one; false only if the sync failed. */
  private nextFile(): boolean {
    if (!this.sync()) return false
    this.rotation.next('size')
    return true
  }

  /** Writes `buffer[0, length)` at F_FILE_OFFSET: whole blocks direct, the partial one buffered. */
  private commit(buffer: Block, length: number): boolean {
    const { i32, f64 } = this.cx.ctl
    const offset = f64[F_FILE_OFFSET]!
    const alignment = this.io.alignment()
    const whole = length - (length % alignment)
    if (
      whole > 0 &&
      this.io.write([{ addr: buffer.addr, view: buffer.view.subarray(0, whole) }], offset) < 0
    ) {
      return false
    }
    const tail = length - whole
    if (
      tail > 0 &&
      this.io.write([{ addr: 0, view: buffer.view.subarray(whole, length) }], offset + whole, true) < 0
    ) {
      return false
    }
    if (tail > 0) this.tailUnsynced = true
    if (buffer === this.staging) this.staging.view.copyWithin(0, whole, length)
    else this.staging.view.set(buffer.view.subarray(whole, length), 0)
    f64[F_FILE_OFFSET] = offset + whole
    Atomics.store(i32, TAIL_LEN, tail)
    return true
  }
}

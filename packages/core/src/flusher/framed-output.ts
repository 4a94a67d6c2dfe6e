import type { FileRotation } from '../file/rotation.js'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, writeBlockHeader } from '../format/framed.js'
import type { Block } from '../shared/block-io.js'
import { F_FILE_OFFSET } from '../shared/control-block.js'
import type { FlushContext } from '../shared/flush-context.js'
import { shardIndex } from '../shared/shard-memory.js'
import type { FileOutput, Piece } from './file-output.js'
import type { OutputIo } from './output-io.js'

/**
 * Writes the framed format: each piece becomes one block at the end of the file. A whole shard
 * is its own block in place (the records are already the block's entries and the shard's first
 * 8 bytes are kept for the header): zero copy. Runs of a shard a writer had not finished with
 * are copied into a block of their own.
 *
 * With a rotation size, a block that would take the file past it goes to the next file instead;
 * a shard larger than the size is cut into blocks of whole entries that fit (one entry larger
 * than the size gets a block, and a file, to itself). A block is never split across files.
 */
export class FramedOutput implements FileOutput {
  constructor(
    private readonly cx: FlushContext,
    private readonly io: OutputIo,
    private readonly rotation: FileRotation,
  ) {}

  write(pieces: readonly Piece[]): boolean {
    return Number.isFinite(this.rotation.sizeLimit())
      ? this.writeWithinSize(pieces)
      : this.writeBlocks(pieces)
  }

  private writeBlocks(pieces: readonly Piece[]): boolean {
    const { views, addresses, ctl } = this.cx
    const alignment = this.io.alignment()
    const blocks: Block[] = []
    const copies: Block[] = []
    try {
      for (const p of pieces) {
        const k = shardIndex(ctl.numShards, p.set, p.shard)
        const capacity = alignUp(BLOCK_HEADER_SIZE + p.bytes, alignment)
        if (p.whole) {
          const view = views[k]!
          writeBlockHeader(view, 0, capacity, p.bytes)
          blocks.push({ addr: addresses ? addresses[k]! : 0, view: view.subarray(0, capacity) })
          continue
        }
        if (p.bytes === 0) continue
        const block = this.io.alloc(capacity)
        copies.push(block)
        writeBlockHeader(block.view, 0, capacity, p.bytes)
        let out = BLOCK_HEADER_SIZE
        for (let r = 0; r < p.runs.length; r += 2) {
          block.view.set(views[k]!.subarray(p.runs[r]!, p.runs[r + 1]!), out)
          out += p.runs[r + 1]! - p.runs[r]!
        }
        blocks.push(block)
      }
      return this.append(blocks)
    } finally {
      for (const b of copies) this.io.free(b)
    }
  }

  writeEntry(bytes: Uint8Array): boolean {
    const size = alignUp(BLOCK_HEADER_SIZE + ENTRY_PREFIX_SIZE + bytes.length, this.io.alignment())
    this.nextFileIfPast(size)
    const block = this.io.alloc(size)
    try {
      writeBlockHeader(block.view, 0, size, ENTRY_PREFIX_SIZE + bytes.length)
      new DataView(block.view.buffer, block.view.byteOffset).setUint32(BLOCK_HEADER_SIZE, bytes.length, true)
      block.view.set(bytes, BLOCK_HEADER_SIZE + ENTRY_PREFIX_SIZE)
      return this.append([block])
    } finally {
      this.io.free(block)
    }
  }

  /** Every block went out with O_DIRECT | O_DSYNC (or an O_DSYNC descriptor): nothing to do. */
  sync(): boolean {
    return true
  }

  /**
   * As writeBlocks, moving to the next file before a block that would take the current one past
   * the rotation size: the blocks that fit the current file go out together, in one write.
   */
  private writeWithinSize(pieces: readonly Piece[]): boolean {
    const { views, addresses, ctl } = this.cx
    const limit = this.rotation.sizeLimit()
    const blocks: Block[] = []
    const copies: Block[] = []
    let pending = 0
    const flush = (): boolean => {
      const ok = this.append(blocks)
      for (const b of copies) this.io.free(b)
      blocks.length = 0
      copies.length = 0
      pending = 0
      return ok
    }
    try {
      for (const p of pieces) {
        if (p.bytes === 0 && !p.whole) continue
        const k = shardIndex(ctl.numShards, p.set, p.shard)
        const capacity = alignUp(BLOCK_HEADER_SIZE + p.bytes, this.io.alignment())
        if (capacity > limit) {
          if (!flush() || !this.writeInGroups(views[k]!, p.runs)) return false
          continue
        }
        const offset = ctl.f64[F_FILE_OFFSET]! + pending
        if (offset > 0 && offset + capacity > limit) {
          if (!flush()) return false
          this.rotation.next('size')
        }
        if (p.whole) {
          const view = views[k]!
          writeBlockHeader(view, 0, capacity, p.bytes)
          blocks.push({ addr: addresses ? addresses[k]! : 0, view: view.subarray(0, capacity) })
        } else {
          const copy = this.copyBlock(views[k]!, p.runs)
          if (!copy) continue
          copies.push(copy)
          blocks.push(copy)
        }
        pending += capacity
      }
      return flush()
    } finally {
      for (const b of copies) this.io.free(b)
    }
  }

  /** A shard larger than the rotation size: blocks of as many whole entries as fit the size. */
  private writeInGroups(view: Buffer, runs: readonly number[]): boolean {
    const alignment = this.io.alignment()
    const limit = this.rotation.sizeLimit()
    let group: number[] = []
    let bytes = 0
    const flush = (): boolean => {
      if (group.length === 0) return true
      this.nextFileIfPast(alignUp(BLOCK_HEADER_SIZE + bytes, alignment))
      const ok = this.appendCopy(view, group)
      group = []
      bytes = 0
      return ok
    }
    for (let r = 0; r < runs.length; r += 2) {
      for (let at = runs[r]!; at < runs[r + 1]!; ) {
        const size = ENTRY_PREFIX_SIZE + view.readUInt32LE(at)
        if (bytes > 0 && alignUp(BLOCK_HEADER_SIZE + bytes + size, alignment) > limit && !flush())
          return false
        // Adjacent records extend the last run instead of adding one.
        if (group.length > 0 && group[group.length - 1] === at) group[group.length - 1] = at + size
        else group.push(at, at + size)
        bytes += size
        at += size
      }
    }
    return flush()
  }

  /**
   * Moves to the next file first when a block of `capacity` would take this one past the size. A
   * failed move (reported, not retried for a while) leaves the block to the current file.
   */
  private nextFileIfPast(capacity: number): void {
    const offset = this.cx.ctl.f64[F_FILE_OFFSET]!
    if (offset > 0 && offset + capacity > this.rotation.sizeLimit()) this.rotation.next('size')
  }

  /** One block holding copies of the records in `runs` of a shard. */
  private appendCopy(view: Buffer, runs: readonly number[]): boolean {
    const block = this.copyBlock(view, runs)
    if (!block) return true
    try {
      return this.append([block])
    } finally {
      this.io.free(block)
    }
  }

  /** A block (to free) holding copies of the records in `runs` of a shard; null when they are empty. */
  private copyBlock(view: Buffer, runs: readonly number[]): Block | null {
    let bytes = 0
    for (let r = 0; r < runs.length; r += 2) bytes += runs[r + 1]! - runs[r]!
    if (bytes === 0) return null
    const capacity = alignUp(BLOCK_HEADER_SIZE + bytes, this.io.alignment())
    const block = this.io.alloc(capacity)
    writeBlockHeader(block.view, 0, capacity, bytes)
    let out = BLOCK_HEADER_SIZE
    for (let r = 0; r < runs.length; r += 2) {
      block.view.set(view.subarray(runs[r]!, runs[r + 1]!), out)
      out += runs[r + 1]! - runs[r]!
    }
    return block
  }

  private append(blocks: Block[]): boolean {
    if (blocks.length === 0) return true
    const { f64 } = this.cx.ctl
    const n = this.io.write(blocks, f64[F_FILE_OFFSET]!)
    if (n < 0) return false
    f64[F_FILE_OFFSET]! += n
    return true
  }
}

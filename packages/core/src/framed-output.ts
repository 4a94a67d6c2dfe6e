import type { Block } from './block-io.js'
import { F_FILE_OFFSET } from './control-block.js'
import type { FileOutput, Piece } from './file-output.js'
import type { FlushContext } from './flush-context.js'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, writeBlockHeader } from './framed-format.js'
import type { OutputIo } from './output-io.js'

/**
 * Writes the framed format: each piece becomes one block at the end of the file. A whole shard
 * is its own block in place (the records are already the block's entries and the shard's first
 * 8 bytes are kept for the header): zero copy. Runs of a shard a writer had not finished with
 * are copied into a block of their own.
 */
export class FramedOutput implements FileOutput {
  constructor(
    private readonly cx: FlushContext,
    private readonly io: OutputIo,
  ) {}

  write(pieces: readonly Piece[]): boolean {
    const { views, addresses, ctl } = this.cx
    const alignment = this.io.alignment()
    const blocks: Block[] = []
    const copies: Block[] = []
    try {
      for (const p of pieces) {
        const k = p.set * ctl.numShards + p.shard
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

  private append(blocks: Block[]): boolean {
    if (blocks.length === 0) return true
    const { f64 } = this.cx.ctl
    const n = this.io.write(blocks, f64[F_FILE_OFFSET]!)
    if (n < 0) return false
    f64[F_FILE_OFFSET]! += n
    return true
  }
}

import { writevSync } from 'node:fs'
import { IoError } from '../errors.js'
import type { NativeLibrary } from './native-library.js'

/** One contiguous piece of a write: C memory at `addr` (0 when there is none) seen as `view`. */
export interface Block {
  addr: number
  view: Uint8Array
}

/**
 * Writes a list of blocks at a file offset, the whole list or an error:
 *  - direct: one `pwritev` through the native library (the memory is C memory, aligned);
 *  - buffered: `fs.writevSync`, resumed after partial writes, the fallback that needs no native code.
 */
export class BlockIo {
  private iov = new BigUint64Array(64)

  constructor(
    private readonly lib: NativeLibrary | null,
    private readonly path: string,
  ) {}

  /** @throws {IoError} with the errno name when the write fails. */
  write(fd: number, direct: boolean, blocks: readonly Block[], offset: number): number {
    return direct && this.lib
      ? this.writeNative(this.lib, fd, blocks, offset)
      : this.writeFs(fd, blocks, offset)
  }

  private writeNative(lib: NativeLibrary, fd: number, blocks: readonly Block[], offset: number): number {
    if (this.iov.length < blocks.length * 2) this.iov = new BigUint64Array(blocks.length * 2)
    let total = 0
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!
      this.iov[2 * i] = BigInt(b.addr)
      this.iov[2 * i + 1] = BigInt(b.view.length)
      total += b.view.length
    }
    const r = lib.writeBlocks(fd, this.iov, blocks.length, offset)
    if (r < 0) throw IoError.fromErrno(r, 'pwritev', this.path)
    if (r !== total) throw new IoError('EIO', 'pwritev', this.path, `wrote ${r} of ${total} bytes`)
    return r
  }

  private writeFs(fd: number, blocks: readonly Block[], offset: number): number {
    let views = blocks.map((b) => b.view)
    let position = offset
    let total = 0
    while (views.length > 0) {
      let n: number
      try {
        n = writevSync(fd, views, position)
      } catch (err) {
        throw IoError.fromNode(err, 'writev', this.path)
      }
      if (n === 0) throw new IoError('EIO', 'writev', this.path, 'no progress')
      total += n
      position += n
      // Drop what was written, trimming the view the write stopped inside.
      while (views.length > 0 && n >= views[0]!.length) {
        n -= views[0]!.length
        views = views.slice(1)
      }
      if (n > 0) views = [views[0]!.subarray(n), ...views.slice(1)]
    }
    return total
  }
}

import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync } from 'node:fs'
import { IoError, NativeError } from '../errors.js'
import { nativeOpen } from '../file/log-file.js'
import { type Block, BlockIo } from '../shared/block-io.js'
import {
  ALIGNMENT,
  BUFFERED_FD,
  DIRECT_IO,
  F_BYTES_WRITTEN,
  F_FILE_OFFSET,
  F_FLUSH_ERRORS,
  FILE_FD,
  IO_REPAIR,
  TAIL_LEN,
} from '../shared/control-block.js'
import { type FlushContext, recordFailure } from '../shared/flush-context.js'
import { OPEN_DSYNC } from '../shared/native-library.js'

/** The reason given when the file system refuses an O_DIRECT write after the file was opened. */
export const DIRECT_WRITE_REFUSED = 'the file system refused an O_DIRECT write (EINVAL)'

/**
 * Writes blocks to the log file for a {@link FileOutput}: with O_DIRECT while the file system
 * takes it, buffered after it refused (EINVAL on a write, once: from then on every thread writes
 * buffered), and reports failures (event, `flushErrors`, the errno kept for flush() callers).
 */
export class OutputIo {
  private readonly io: BlockIo

  constructor(private readonly cx: FlushContext) {
    this.io = new BlockIo(cx.lib, cx.path)
  }

  /** The alignment block offsets and direct-write lengths are multiples of. */
  alignment(): number {
    return Atomics.load(this.cx.ctl.i32, ALIGNMENT)
  }

  /** True while writes go out with O_DIRECT. */
  direct(): boolean {
    return Atomics.load(this.cx.ctl.i32, DIRECT_IO) === 1
  }

  /**
   * Writes `blocks` at `offset`, with O_DIRECT unless `buffered` or the file fell back.
   * Returns the bytes written, or -1 after reporting the failure.
   */
  write(blocks: readonly Block[], offset: number, buffered = false): number {
    const { i32, f64 } = this.cx.ctl
    if (Atomics.load(i32, IO_REPAIR) === 1 && !this.repairEnd()) return -1
    for (;;) {
      const direct = !buffered && this.direct()
      const fd = Atomics.load(i32, direct ? FILE_FD : BUFFERED_FD)
      try {
        const n = this.io.write(fd, direct, blocks, offset)
        f64[F_BYTES_WRITTEN]! += n
        return n
      } catch (err) {
        const error = err instanceof IoError ? err : IoError.fromNode(err, 'write', this.cx.path)
        if (direct && error.code === 'EINVAL' && this.fallBackToBuffered()) continue
        recordFailure(this.cx, F_FLUSH_ERRORS, error)
        return -1
      }
    }
  }

  /**
   * After the I/O lock was taken over from a thread that died holding it (shared/io-lock.ts): that
   * thread may have written bytes it never recorded. Cuts the file back to the recorded end
   * (framed: F_FILE_OFFSET; lines: F_FILE_OFFSET plus the partial block, TAIL_LEN bytes) and, for
   * lines, reloads the partial block into the staging buffer, which that thread may have moved on.
   * False (reported) on failure: tried again before the next write.
   */
  private repairEnd(): boolean {
    const { i32, f64 } = this.cx.ctl
    const tail = Atomics.load(i32, TAIL_LEN)
    const end = f64[F_FILE_OFFSET]! + tail
    try {
      const fd = Atomics.load(i32, FILE_FD)
      if (fstatSync(fd).size > end) ftruncateSync(fd, end)
      const staging = this.cx.staging
      if (staging && tail > 0) {
        const reader = openSync(this.cx.path, 'r')
        try {
          readSync(reader, staging.view, 0, tail, f64[F_FILE_OFFSET]!)
        } finally {
          closeSync(reader)
        }
      }
      Atomics.store(i32, IO_REPAIR, 0)
      return true
    } catch (err) {
      recordFailure(this.cx, F_FLUSH_ERRORS, IoError.fromNode(err, 'ftruncate', this.cx.path))
      return false
    }
  }

  /** fdatasync of the buffered descriptor; false (reported) on failure. */
  syncBuffered(): boolean {
    const { i32 } = this.cx.ctl
    const fd = Atomics.load(i32, BUFFERED_FD)
    if (fd < 0) return true
    try {
      fdatasyncSync(fd)
      return true
    } catch (err) {
      recordFailure(this.cx, F_FLUSH_ERRORS, IoError.fromNode(err, 'fdatasync', this.cx.path))
      return false
    }
  }

  /** Memory for a block: C memory aligned for O_DIRECT when writes are direct. */
  alloc(size: number): Block {
    const { lib } = this.cx
    if (lib && this.direct()) {
      const addr = lib.allocAligned(Math.max(this.alignment(), 4096), size)
      if (addr === 0)
        throw new NativeError('ASYNCDIRECT_NO_MEMORY', `asyncdirect: cannot allocate a ${size}-byte block`)
      return { addr, view: new Uint8Array(lib.view(addr, size)) }
    }
    return { addr: 0, view: new Uint8Array(size) }
  }

  free(block: Block): void {
    if (block.addr !== 0) this.cx.lib?.free(block.addr)
  }

  /** The file system took O_DIRECT at open but refuses the writes: go on buffered. */
  private fallBackToBuffered(): boolean {
    const { i32 } = this.cx.ctl
    try {
      let fd = Atomics.load(i32, BUFFERED_FD)
      if (fd < 0) {
        const { lib } = this.cx
        fd = lib
          ? nativeOpen(lib, this.cx.path, this.cx.dsync ? OPEN_DSYNC : 0)
          : openSync(this.cx.path, constants.O_WRONLY | (this.cx.dsync ? constants.O_DSYNC : 0))
        Atomics.store(i32, BUFFERED_FD, fd)
      }
      Atomics.store(i32, FILE_FD, fd)
      Atomics.store(i32, DIRECT_IO, 0)
      this.cx.report({ type: 'fallback', reason: DIRECT_WRITE_REFUSED })
      return true
    } catch {
      return false
    }
  }
}

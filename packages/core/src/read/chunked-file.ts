/**
 * A log file read through one reusable window: the framed and lines decoders and format detection
 * all read through it, so that memory stays at one window whatever the file size and whatever the
 * file contains, and the disk sees chunk-sized reads.
 */

import { type FileHandle, open } from 'node:fs/promises'
import { FileShrankError, IoError } from '../errors.js'

/** Bytes of the read window: large enough that reads are few, small enough to hold for any file. */
export const CHUNK_SIZE = 1024 * 1024

/** The smallest window allocated, so that a small file that later grows does not reallocate often. */
const MIN_WINDOW = 64 * 1024

/** Called after each read from the disk with how far the reading got, for progress indicators. */
export type ProgressListener = (position: number, size: number) => void

/** A file opened for decoding, with its size as of the last `fstat` (or {@link ChunkedFile.resize}). */
export class ChunkedFile {
  private window: Buffer
  private start = 0
  private length = 0

  constructor(
    /** The open file; {@link ChunkedFile.close} closes it. */
    readonly fh: FileHandle,
    /** The path it was opened by, for error messages. */
    readonly path: string,
    private currentSize: number,
    /** Told after each read from the disk; may be replaced or removed at any time. */
    public onProgress?: ProgressListener,
  ) {
    this.window = Buffer.allocUnsafe(windowSizeFor(currentSize))
  }

  /** The size every read is checked against. */
  get size(): number {
    return this.currentSize
  }

  /**
   * Sets a new size after the file grew or shrank (following a live file). The window is dropped:
   * bytes already read may have been rewritten since (a lines writer rewrites its partial tail).
   */
  resize(size: number): void {
    this.currentSize = size
    this.length = 0
    if (this.window.length < windowSizeFor(size)) this.window = Buffer.allocUnsafe(windowSizeFor(size))
  }

  /**
   * A view of `[offset, offset + length)`, valid until the next call. The caller keeps the range
   * inside the file and `length <= CHUNK_SIZE`.
   */
  async view(offset: number, length: number): Promise<Buffer> {
    if (offset < this.start || offset + length > this.start + this.length) {
      const want = Math.min(this.window.length, this.currentSize - offset)
      this.length = await this.readInto(this.window, want, offset)
      this.start = offset
      this.onProgress?.(offset + this.length, this.currentSize)
    }
    return this.window.subarray(offset - this.start, offset - this.start + length)
  }

  /** The u32 little-endian at `offset`. */
  async u32(offset: number): Promise<number> {
    return (await this.view(offset, 4)).readUInt32LE(0)
  }

  /** A fresh copy the caller may keep; only called with a length already checked against the file. */
  async copy(offset: number, length: number): Promise<Buffer> {
    if (length <= this.window.length) return Buffer.from(await this.view(offset, length))
    const out = Buffer.allocUnsafe(length)
    await this.readInto(out, length, offset)
    return out
  }

  /** Closes the file handle. */
  close(): Promise<void> {
    return this.fh.close()
  }

  private async readInto(target: Buffer, length: number, position: number): Promise<number> {
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.fh.read(target, done, length - done, position + done)
      // Sizes come from fstat: a short read means the file shrank under us (truncated or rewritten).
      if (bytesRead === 0) throw new FileShrankError(this.path, position + done)
      done += bytesRead
    }
    return done
  }
}

function windowSizeFor(size: number): number {
  return Math.min(CHUNK_SIZE, Math.max(MIN_WINDOW, size))
}

/**
 * Opens `path` for reading and takes its size.
 *
 * @throws {IoError} naming `path`, the errno name as `code` (`ENOENT`, `EACCES`, `EISDIR`, ...).
 */
export async function openChunked(path: string, onProgress?: ProgressListener): Promise<ChunkedFile> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (cause) {
    throw namedError(path, cause)
  }
  try {
    const stat = await fh.stat()
    // Opening a directory for reading succeeds on Linux; say so now rather than fail at the first read.
    if (stat.isDirectory()) {
      const error = new IoError('EISDIR', 'read', path)
      error.message = 'EISDIR: illegal operation on a directory, read'
      throw error
    }
    return new ChunkedFile(fh, path, stat.size, onProgress)
  } catch (cause) {
    await fh.close()
    throw namedError(path, cause)
  }
}

/** The error of an open that failed: the cause's errno name as `code`, `path` in the message. */
function namedError(path: string, cause: unknown): IoError {
  const error = new IoError((cause as NodeJS.ErrnoException)?.code ?? 'EIO', 'open', path, undefined, {
    cause,
  })
  error.message = `cannot open log ${path}: ${(cause as Error)?.message}`
  return error
}

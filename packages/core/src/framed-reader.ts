/**
 * Streaming decoder for the framed format (see `framed-format.ts`): yields entries and checks
 * integrity with memory bounded by one read chunk plus the entry being returned, whatever the
 * file size, and whatever the file contains.
 */

import { type FileHandle, open } from 'node:fs/promises'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, MIN_BLOCK_ALIGNMENT } from './framed-format.js'

/** What kind of damage {@link verify} found. */
export type FormatProblemKind = 'torn-block' | 'length-overrun' | 'bad-header' | 'trailing-garbage'

/** One place where a framed file does not decode cleanly. */
export interface FormatProblem {
  /** Byte offset in the file where the damage starts (a block header or an entry's length prefix). */
  offset: number
  kind: FormatProblemKind
  /** Human-readable description, including the offsets involved. */
  message: string
}

/** The result of {@link verify}. */
export interface VerifyReport {
  /** True when the file decoded without any problem. */
  ok: boolean
  /** Intact entries, as {@link readEntries} would yield them. */
  entries: number
  /** Blocks with a plausible header, torn and damaged ones included. */
  blocks: number
  /** The file's size in bytes. */
  bytes: number
  /** Payload bytes of the intact entries (length prefixes not included). */
  entryBytes: number
  /** Zero bytes between blocks: each block's unused capacity plus skipped all-zero runs. */
  paddingBytes: number
  /** Every problem found, in file order. */
  problems: FormatProblem[]
}

/** Options of {@link readEntries}. */
export interface ReadEntriesOptions {
  /** Stops the iteration: the next step rejects with the signal's reason. */
  signal?: AbortSignal
}

/** Large enough that reads are few, small enough to hold whatever the file size. */
const CHUNK_SIZE = 1024 * 1024

/**
 * Reads the file through one reusable window, so that decoding touches the disk in chunk-sized
 * reads whichever way the walk moves (the walk is mostly sequential; resync moves forward too).
 */
class ChunkedFile {
  private readonly window = Buffer.allocUnsafe(CHUNK_SIZE)
  private start = 0
  private length = 0

  constructor(
    private readonly fh: FileHandle,
    private readonly path: string,
    readonly size: number,
  ) {}

  /** A view of `[offset, offset + length)`, valid until the next call; `length <= CHUNK_SIZE`. */
  async view(offset: number, length: number): Promise<Buffer> {
    if (offset < this.start || offset + length > this.start + this.length) {
      this.length = await this.readInto(this.window, 0, Math.min(CHUNK_SIZE, this.size - offset), offset)
      this.start = offset
    }
    return this.window.subarray(offset - this.start, offset - this.start + length)
  }

  async u32(offset: number): Promise<number> {
    return (await this.view(offset, 4)).readUInt32LE(0)
  }

  /** A fresh copy the caller may keep; only called with a length already checked against the file. */
  async copy(offset: number, length: number): Promise<Buffer> {
    if (length <= CHUNK_SIZE) return Buffer.from(await this.view(offset, length))
    const out = Buffer.allocUnsafe(length)
    await this.readInto(out, 0, length, offset)
    return out
  }

  private async readInto(target: Buffer, at: number, length: number, position: number): Promise<number> {
    let done = 0
    while (done < length) {
      const { bytesRead } = await this.fh.read(target, at + done, length - done, position + done)
      // Sizes were checked against fstat at open: a short read means the file shrank under us.
      if (bytesRead === 0)
        throw new Error(`${this.path}: file shrank while reading at offset ${position + done}`)
      done += bytesRead
    }
    return done
  }
}

interface Header {
  capacity: number
  validBytes: number
}

function isPlausible({ capacity, validBytes }: Header): boolean {
  return capacity > 0 && capacity % MIN_BLOCK_ALIGNMENT === 0 && BLOCK_HEADER_SIZE + validBytes <= capacity
}

/**
 * The one decoder behind {@link readEntries} and {@link verify}. `decode()` yields intact entries
 * (only when `withData`, so that verify allocates nothing per entry) and fills in the counters and
 * problems as it goes. Every step moves `offset` forward by at least one 512-byte step or ends,
 * and no length is used for allocation before it was checked against the block and the file.
 */
class FramedDecoder {
  entries = 0
  blocks = 0
  entryBytes = 0
  paddingBytes = 0
  readonly problems: FormatProblem[] = []

  constructor(
    private readonly file: ChunkedFile,
    private readonly withData: boolean,
  ) {}

  async *decode(signal?: AbortSignal): AsyncGenerator<Buffer> {
    const { size } = this.file
    let offset = 0
    while (offset < size) {
      signal?.throwIfAborted()
      if (size - offset < BLOCK_HEADER_SIZE) {
        await this.tail(offset)
        return
      }
      const header = await this.header(offset)
      if (header.capacity === 0 && header.validBytes === 0) {
        // A hole or the padding of a torn tail: the seed's readers pass over it the same way.
        const next = Math.min(offset + MIN_BLOCK_ALIGNMENT, size)
        this.paddingBytes += next - offset
        offset = next
        continue
      }
      if (!isPlausible(header)) {
        offset = await this.resync(offset)
        continue
      }
      this.blocks++
      const blockEnd = offset + header.capacity
      const validEnd = offset + BLOCK_HEADER_SIZE + header.validBytes
      yield* this.walk(offset, validEnd, signal)
      if (blockEnd <= size) {
        this.paddingBytes += blockEnd - validEnd
        offset = blockEnd
        continue
      }
      this.problem(
        offset,
        'torn-block',
        `block at ${offset} (capacity ${header.capacity}, validBytes ${header.validBytes}) runs past the end of the file at ${size}`,
      )
      if (validEnd >= size) return
      // Cut short in its padding: what follows is zeros if only the tail is missing, and walking on
      // from the next boundary also recovers blocks should the capacity itself have been damaged.
      const resume = Math.min(alignUp(validEnd, MIN_BLOCK_ALIGNMENT), size)
      this.paddingBytes += resume - validEnd
      offset = resume
    }
  }

  /**
   * Yields the block's intact entries up to the first damage, so a damaged block's good entries
   * still come out. A torn block's walk stops quietly at the end of the file: the torn-block
   * report covers that.
   */
  private async *walk(blockOffset: number, validEnd: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const { size } = this.file
    let p = blockOffset + BLOCK_HEADER_SIZE
    while (p < validEnd) {
      signal?.throwIfAborted()
      if (p + ENTRY_PREFIX_SIZE > validEnd) {
        this.problem(
          p,
          'length-overrun',
          `${validEnd - p} stray bytes at ${p} are too few for a length prefix`,
        )
        return
      }
      if (p + ENTRY_PREFIX_SIZE > size) return
      const length = await this.file.u32(p)
      const end = p + ENTRY_PREFIX_SIZE + length
      if (end > validEnd) {
        this.problem(
          p,
          'length-overrun',
          `entry at ${p} claims ${length} bytes, past the block's valid bytes ending at ${validEnd}`,
        )
        return
      }
      if (end > size) return
      this.entries++
      this.entryBytes += length
      if (this.withData) yield await this.file.copy(p + ENTRY_PREFIX_SIZE, length)
      p = end
    }
  }

  /**
   * Finds where decoding can go on after an implausible header at `offset`: the next 512-byte
   * boundary holding an all-zero header or a plausible header whose entries fill its validBytes
   * exactly. The skipped range is reported once; with nothing to resume at, it is trailing garbage.
   */
  private async resync(offset: number): Promise<number> {
    const { size } = this.file
    for (let s = offset + MIN_BLOCK_ALIGNMENT; s + BLOCK_HEADER_SIZE <= size; s += MIN_BLOCK_ALIGNMENT) {
      const candidate = await this.header(s)
      const zero = candidate.capacity === 0 && candidate.validBytes === 0
      if (zero || (isPlausible(candidate) && (await this.walksCleanly(s, candidate)))) {
        this.problem(
          offset,
          'bad-header',
          `implausible block header at ${offset}; skipped ${s - offset} bytes to ${s}`,
        )
        return s
      }
    }
    await this.tail(offset)
    return size
  }

  /** A torn candidate (cut by the end of the file) qualifies if its entries walk cleanly that far. */
  private async walksCleanly(blockOffset: number, { validBytes }: Header): Promise<boolean> {
    const validEnd = blockOffset + BLOCK_HEADER_SIZE + validBytes
    const limit = Math.min(validEnd, this.file.size)
    let p = blockOffset + BLOCK_HEADER_SIZE
    while (p + ENTRY_PREFIX_SIZE <= limit) p += ENTRY_PREFIX_SIZE + (await this.file.u32(p))
    return validEnd > this.file.size ? p <= validEnd : p === validEnd
  }

  /** The bytes from `offset` to the end of the file, where no block can start: padding or garbage. */
  private async tail(offset: number): Promise<void> {
    const { size } = this.file
    for (let p = offset; p < size; p += CHUNK_SIZE) {
      const view = await this.file.view(p, Math.min(CHUNK_SIZE, size - p))
      const nonZero = view.findIndex((byte) => byte !== 0)
      if (nonZero !== -1) {
        this.problem(
          offset,
          'trailing-garbage',
          `${size - offset} bytes from ${offset} to the end of the file do not form a block (non-zero at ${p + nonZero})`,
        )
        return
      }
    }
    this.paddingBytes += size - offset
  }

  private async header(offset: number): Promise<Header> {
    const view = await this.file.view(offset, BLOCK_HEADER_SIZE)
    return { capacity: view.readUInt32LE(0), validBytes: view.readUInt32LE(4) }
  }

  private problem(offset: number, kind: FormatProblemKind, message: string): void {
    this.problems.push({ offset, kind, message })
  }
}

async function openFramed(path: string): Promise<{ fh: FileHandle; file: ChunkedFile }> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code
    const error: NodeJS.ErrnoException = new Error(
      `cannot open framed log ${path}: ${(cause as Error).message}`,
      { cause },
    )
    if (code !== undefined) error.code = code
    throw error
  }
  try {
    const { size } = await fh.stat()
    return { fh, file: new ChunkedFile(fh, path, size) }
  } catch (error) {
    await fh.close()
    throw error
  }
}

/**
 * Yields the bytes of every intact entry of a framed file, in file order. Damaged regions are
 * skipped silently (use {@link verify} to learn what and where); the file is read in chunks, so
 * memory stays constant whatever its size. Each yielded Buffer is a fresh copy the caller may keep.
 *
 * @param path - The framed log file.
 * @param options - `signal` stops the iteration with the signal's reason.
 * @throws An error naming `path` (with the errno `code`, e.g. `ENOENT`) if the file cannot be opened.
 */
export async function* readEntries(path: string, options?: ReadEntriesOptions): AsyncGenerator<Buffer> {
  const signal = options?.signal
  signal?.throwIfAborted()
  const { fh, file } = await openFramed(path)
  try {
    yield* new FramedDecoder(file, true).decode(signal)
  } finally {
    await fh.close()
  }
}

/**
 * Checks a framed file's integrity: counts its entries, blocks and padding and lists every
 * problem with its offset. Corrupt or hostile content is reported, never thrown.
 *
 * @param path - The framed log file.
 * @returns The report; `ok` is true when `problems` is empty. An empty file is ok with 0 entries.
 * @throws An error naming `path` (with the errno `code`, e.g. `ENOENT`) if the file cannot be opened.
 */
export async function verify(path: string): Promise<VerifyReport> {
  const { fh, file } = await openFramed(path)
  try {
    const decoder = new FramedDecoder(file, false)
    for await (const _ of decoder.decode()) {
      // verify decodes without data, so nothing is yielded
    }
    const { entries, blocks, entryBytes, paddingBytes, problems } = decoder
    return {
      ok: problems.length === 0,
      entries,
      blocks,
      bytes: file.size,
      entryBytes,
      paddingBytes,
      problems,
    }
  } finally {
    await fh.close()
  }
}

/**
 * Streaming decoder for the framed format (see `format/framed.ts`): yields entries and checks
 * integrity with memory bounded by one read chunk plus the entry being returned, whatever the
 * file size, and whatever the file contains. Work is linear in the file size too: every step moves
 * forward, and checking a resynchronisation candidate walks a bounded number of entries.
 */

import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, MIN_BLOCK_ALIGNMENT } from '../format/framed.js'
import type { FormatProblem, FormatProblemKind, ProblemListener } from '../format/problem.js'
import type { ChunkedFile } from './chunked-file.js'

/** What verifying a file found (the package's `verify` adds the format it detected). */
export interface VerifyReport {
  /** True when the file decoded without any problem. */
  ok: boolean
  /** Intact entries, as the package's `readEntries` yields them. */
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

/** Options of a {@link FramedDecoder}. */
export interface FramedDecodeOptions {
  /** Yield entry bytes (readEntries); without, only count them (verify allocates nothing per entry). */
  withData: boolean
  /** Where to start: 0 or a block boundary a previous live decode stopped at. */
  start?: number
  /**
   * Decoding a file that is still being written: stop, without reporting, at the first block or
   * header cut short by the end of the file, and leave {@link FramedDecoder.resumeAt} there so that
   * the next decode, once the file has grown, picks it up whole.
   */
  live?: boolean
  signal?: AbortSignal
  onProblem?: ProblemListener
}

/**
 * A resynchronisation candidate whose first this-many entries chain cleanly is accepted without
 * walking further: random bytes fail within a step or two (a random length overruns), text cannot
 * hold a header at all, and the bound keeps resynchronisation linear in the file size instead of
 * walking every candidate's whole claimed length.
 */
const MAX_CANDIDATE_STEPS = 256

interface Header {
  capacity: number
  validBytes: number
}

/**
 * True when a header could start a block: a non-zero capacity that is a multiple of 512, with its
 * valid bytes fitting after the header. (An all-zero header is padding, not a block.)
 */
export function isPlausibleHeader(capacity: number, validBytes: number): boolean {
  return capacity > 0 && capacity % MIN_BLOCK_ALIGNMENT === 0 && BLOCK_HEADER_SIZE + validBytes <= capacity
}

const isPlausible = ({ capacity, validBytes }: Header): boolean => isPlausibleHeader(capacity, validBytes)
const isZero = ({ capacity, validBytes }: Header): boolean => capacity === 0 && validBytes === 0

/**
 * The one decoder behind the package's `readEntries` and `verify` and following a framed file.
 * `decode()` yields intact entries (only when `withData`) and fills in the counters as it goes.
 * Every step moves forward by at least one 512-byte step or ends, and no length is used for
 * allocation before it was checked against the block and the file.
 */
export class FramedDecoder {
  entries = 0
  blocks = 0
  entryBytes = 0
  paddingBytes = 0
  /** After `decode()` ends: where decoding stopped; the end of the file unless `live` stopped early. */
  resumeAt: number
  private readonly withData: boolean
  private readonly live: boolean
  private readonly signal: AbortSignal | undefined
  private readonly onProblem: ProblemListener | undefined
  /** Problems held back while a block is walked (see `decode`), or null. */
  private held: FormatProblem[] | null = null

  constructor(
    private readonly file: ChunkedFile,
    options: FramedDecodeOptions,
  ) {
    this.withData = options.withData
    this.live = options.live ?? false
    this.signal = options.signal
    this.onProblem = options.onProblem
    this.resumeAt = options.start ?? 0
  }

  async *decode(): AsyncGenerator<Buffer, void> {
    const { size } = this.file
    let offset = this.resumeAt
    try {
      while (offset < size) {
        this.step()
        if (size - offset < BLOCK_HEADER_SIZE) {
          if (this.live) return
          await this.tail(offset)
          offset = size
          return
        }
        const header = await this.header(offset)
        if (isZero(header)) {
          // A hole or the padding of a torn tail: passed 512 bytes at a time, as a reader that
          // steps to the next 512-byte boundary does.
          if (this.live && offset + MIN_BLOCK_ALIGNMENT > size) return
          const next = Math.min(offset + MIN_BLOCK_ALIGNMENT, size)
          this.paddingBytes += next - offset
          offset = next
          continue
        }
        if (!isPlausible(header)) {
          const next = await this.resync(offset)
          if (next === null) return
          offset = next
          continue
        }
        const blockEnd = offset + header.capacity
        const validEnd = offset + BLOCK_HEADER_SIZE + header.validBytes
        let inside: number | null = null
        if (blockEnd > size && this.live) {
          // Still being written, unless its valid bytes are all there and a block already follows
          // them inside the claimed capacity: then the capacity is damaged and waiting would be forever.
          inside = validEnd <= size ? await this.headerInside(offset, validEnd, size) : null
          if (inside === null) return
        }
        this.blocks++
        // The walk's problems lie after the block's own (at its header): held back so that the
        // problems come out in file order.
        this.held = []
        const stoppedAt = yield* this.walk(offset, validEnd)
        // A clean walk leaves only the padding to look at. A walk that failed may have stepped
        // over a block by a damaged length: look at all of it.
        const scanFrom = stoppedAt === validEnd ? validEnd : offset
        inside ??= await this.headerInside(offset, scanFrom, Math.min(blockEnd, size))
        const walkProblems = this.held
        this.held = null
        if (inside !== null) {
          this.problem(
            offset,
            'bad-header',
            `block at ${offset} claims capacity ${header.capacity} (to ${blockEnd}), but a block starts inside it at ${inside}; continuing there`,
          )
          // A failure the walk met past that block is the damaged header's doing, not the block's.
          for (const p of walkProblems) if (p.offset < inside) this.problem(p.offset, p.kind, p.message)
          this.paddingBytes += Math.max(0, inside - validEnd)
          offset = inside
          continue
        }
        if (blockEnd > size) {
          this.problem(
            offset,
            'torn-block',
            `block at ${offset} (capacity ${header.capacity}, validBytes ${header.validBytes}) runs past the end of the file at ${size}`,
          )
        }
        for (const p of walkProblems) this.problem(p.offset, p.kind, p.message)
        if (blockEnd <= size) {
          this.paddingBytes += blockEnd - validEnd
          offset = blockEnd
          continue
        }
        if (validEnd >= size) {
          offset = size
          return
        }
        // Cut short in its padding: what follows is zeros if only the tail is missing, and walking on
        // from the next boundary also recovers blocks should the capacity itself have been damaged.
        const resume = Math.min(alignUp(validEnd, MIN_BLOCK_ALIGNMENT), size)
        this.paddingBytes += resume - validEnd
        offset = resume
      }
    } finally {
      this.resumeAt = offset
    }
  }

  /**
   * Yields the block's intact entries up to the first damage, so a damaged block's good entries
   * still come out, and returns where the walk stopped (`validEnd` when the block is clean). A torn
   * block's walk stops quietly at the end of the file: the torn-block report covers that.
   */
  private async *walk(blockOffset: number, validEnd: number): AsyncGenerator<Buffer, number> {
    const { size } = this.file
    let p = blockOffset + BLOCK_HEADER_SIZE
    while (p < validEnd) {
      this.step()
      if (p + ENTRY_PREFIX_SIZE > validEnd) {
        this.problem(
          p,
          'length-overrun',
          `${validEnd - p} stray bytes at ${p} are too few for a length prefix`,
        )
        return p
      }
      if (p + ENTRY_PREFIX_SIZE > size) return p
      const length = await this.file.u32(p)
      const end = p + ENTRY_PREFIX_SIZE + length
      if (end > validEnd) {
        this.problem(
          p,
          'length-overrun',
          `entry at ${p} claims ${length} bytes, past the block's valid bytes ending at ${validEnd}`,
        )
        return p
      }
      if (end > size) return p
      this.entries++
      this.entryBytes += length
      if (this.withData) yield await this.file.copy(p + ENTRY_PREFIX_SIZE, length)
      p = end
    }
    return p
  }

  /**
   * A block boundary in `[from, limit)` of the block at `blockOffset` holding a plausible header
   * that walks cleanly, or null. Our padding is zeros, so a real header there means the enclosing
   * block's capacity is wrong: stepping over it by capacity would silently drop intact blocks.
   */
  private async headerInside(blockOffset: number, from: number, limit: number): Promise<number | null> {
    const first = Math.max(alignUp(from, MIN_BLOCK_ALIGNMENT), blockOffset + MIN_BLOCK_ALIGNMENT)
    for (let s = first; s + BLOCK_HEADER_SIZE <= limit; s += MIN_BLOCK_ALIGNMENT) {
      this.step()
      const candidate = await this.header(s)
      if (isPlausible(candidate) && (await this.walksCleanly(s, candidate))) return s
    }
    return null
  }

  /**
   * Finds where decoding can go on after an implausible header at `offset`: the next 512-byte
   * boundary holding an all-zero header or a plausible header whose entries chain cleanly. The
   * skipped range is reported once; with nothing to resume at, it is trailing garbage, or, live,
   * null: the file may yet grow a block to resume at.
   */
  private async resync(offset: number): Promise<number | null> {
    const { size } = this.file
    for (let s = offset + MIN_BLOCK_ALIGNMENT; s + BLOCK_HEADER_SIZE <= size; s += MIN_BLOCK_ALIGNMENT) {
      this.step()
      const candidate = await this.header(s)
      if (isZero(candidate) || (isPlausible(candidate) && (await this.walksCleanly(s, candidate)))) {
        this.problem(
          offset,
          'bad-header',
          `implausible block header at ${offset}; skipped ${s - offset} bytes to ${s}`,
        )
        return s
      }
    }
    if (this.live) return null
    await this.tail(offset)
    return size
  }

  /**
   * True when the candidate's entries fill its validBytes exactly, or chain cleanly for
   * {@link MAX_CANDIDATE_STEPS} entries. A torn candidate (cut by the end of the file) qualifies
   * if its entries walk cleanly that far.
   */
  private async walksCleanly(blockOffset: number, { validBytes }: Header): Promise<boolean> {
    const validEnd = blockOffset + BLOCK_HEADER_SIZE + validBytes
    const limit = Math.min(validEnd, this.file.size)
    let p = blockOffset + BLOCK_HEADER_SIZE
    for (let steps = 0; p + ENTRY_PREFIX_SIZE <= limit; steps++) {
      if (steps === MAX_CANDIDATE_STEPS) return true
      this.step()
      p += ENTRY_PREFIX_SIZE + (await this.file.u32(p))
    }
    return validEnd > this.file.size ? p <= validEnd : p === validEnd
  }

  /** The bytes from `offset` to the end of the file, where no block can start: padding or garbage. */
  private async tail(offset: number): Promise<void> {
    const { size } = this.file
    for (let p = offset; p < size; ) {
      this.step()
      const view = await this.file.view(p, Math.min(64 * 1024, size - p))
      const nonZero = view.findIndex((byte) => byte !== 0)
      if (nonZero !== -1) {
        this.problem(
          offset,
          'trailing-garbage',
          `${size - offset} bytes from ${offset} to the end of the file do not form a block (non-zero at ${p + nonZero})`,
        )
        return
      }
      p += view.length
    }
    this.paddingBytes += size - offset
  }

  private async header(offset: number): Promise<Header> {
    const view = await this.file.view(offset, BLOCK_HEADER_SIZE)
    return { capacity: view.readUInt32LE(0), validBytes: view.readUInt32LE(4) }
  }

  /** One unit of work: the abort point, and what a test counts to prove the decoder terminates. */
  private step(): void {
    this.signal?.throwIfAborted()
  }

  private problem(offset: number, kind: FormatProblemKind, message: string): void {
    if (this.held) this.held.push({ offset, kind, message })
    else this.onProblem?.({ offset, kind, message })
  }
}

/**
 * Verifies an already opened framed file (the package's `verify`, read-entries.ts, detects the
 * format and calls this for a framed one).
 */
export async function verifyFramedFile(file: ChunkedFile, signal?: AbortSignal): Promise<VerifyReport> {
  const problems: FormatProblem[] = []
  const decoder = new FramedDecoder(file, { withData: false, signal, onProblem: (p) => problems.push(p) })
  for await (const _ of decoder.decode()) {
    // verify decodes without data, so nothing is yielded
  }
  const { entries, blocks, entryBytes, paddingBytes } = decoder
  return { ok: problems.length === 0, entries, blocks, bytes: file.size, entryBytes, paddingBytes, problems }
}

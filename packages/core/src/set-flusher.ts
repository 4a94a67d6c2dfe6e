import { openSync } from 'node:fs'
import { type Block, BlockIo } from './block-io.js'
import {
  ACTIVE_GEN,
  ALIGNMENT,
  CLOSED_FOR_GOOD,
  COMMITTED,
  COUNT,
  type ControlBlock,
  DIRECT_IO,
  DROPPED,
  F_ABANDONED,
  F_BYTES_WRITTEN,
  F_DROPPED_TOTAL,
  F_ENTRIES_WRITTEN,
  F_FILE_OFFSET,
  F_FLUSH_BYTES_LAST,
  F_FLUSH_ERRORS,
  F_FLUSH_MS_LAST,
  F_FLUSH_MS_MAX,
  F_FLUSH_MS_TOTAL,
  F_FLUSHES,
  F_LAST_FLUSH_AT,
  F_OVERSIZE,
  F_SET_SWAPS,
  F_SHARD_WRITES,
  FILE_FD,
  FINAL,
  LAST_ERRNO,
  NAP,
  OFFSET_MASK,
  RESERVED,
  SEALED,
  SET_FREED,
  SET_GEN,
  SET_STATE,
  SetState,
  SWAPS,
  shardWord,
} from './control-block.js'
import { errnoNumber, IoError } from './errno-name.js'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, writeBlockHeader } from './framed-format.js'
import type { NativeLibrary } from './native-library.js'
import { requestSwap } from './set-swap.js'

/** What a flush tells the thread that owns the logger. */
export type FlushReport =
  | { type: 'error'; error: IoError }
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number; shard: number }

/** Everything a thread needs to write buffer sets to the file. */
export interface FlushContext {
  ctl: ControlBlock
  /** Shard views, index `set * numShards + shard`. */
  views: Buffer[]
  /** C addresses of the shards, same order; null for SharedArrayBuffer memory. */
  addresses: number[] | null
  lib: NativeLibrary | null
  path: string
  shardSize: number
  flushTimeout: number
  report(report: FlushReport): void
}

/**
 * Writes buffer sets to the file. Any thread may use one, but only while holding the I/O lock
 * (control-block.ts): the lock is what makes the file offset, the set states it changes and the
 * f64 statistics single-writer.
 *
 * Invariant: a set is written only after every shard's RESERVED word is sealed and every
 * reservation below the sealed end has committed (or been given up on after `flushTimeout`),
 * so the bytes written are exactly the entries logged into that set, each one whole.
 */
export class SetFlusher {
  private readonly io: BlockIo
  private readonly ends: Int32Array
  private readonly complete: Uint8Array
  private readonly numShards: number

  constructor(private readonly cx: FlushContext) {
    this.io = new BlockIo(cx.lib, cx.path)
    this.numShards = cx.ctl.numShards
    this.ends = new Int32Array(this.numShards)
    this.complete = new Uint8Array(this.numShards)
  }

  /** Writes every PENDING set, oldest generation first. False if a write failed. */
  flushPending(): boolean {
    const { i32 } = this.cx.ctl
    for (;;) {
      let oldest = -1
      for (let s = 0; s < 2; s++) {
        if (Atomics.load(i32, SET_STATE + s) !== SetState.PENDING) continue
        if (oldest < 0 || Atomics.load(i32, SET_GEN + s) < Atomics.load(i32, SET_GEN + oldest)) oldest = s
      }
      if (oldest < 0) return true
      if (!this.flushSet(oldest, 'swapped')) return false
    }
  }

  /**
   * Makes everything logged so far durable: pending sets, then the active one (swapped out when
   * the other set is free, so writers go on meanwhile; written in place otherwise).
   */
  flushAll(): boolean {
    if (!this.flushPending()) return false
    this.reclaimQuarantined()
    const { i32 } = this.cx.ctl
    const gen = Atomics.load(i32, ACTIVE_GEN)
    const set = gen & 1
    if (!this.hasData(set)) return true
    if (requestSwap(this.cx.ctl, gen) && Atomics.load(i32, ACTIVE_GEN) !== gen) return this.flushPending()
    return this.flushSet(set, 'in-place')
  }

  /**
   * The last flush: seals every shard of both sets for good (a swap that races with it cannot
   * unseal them again), then writes both, older generation first.
   */
  flushFinal(): boolean {
    const { i32 } = this.cx.ctl
    if (Atomics.load(i32, FINAL) === 1) return true
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < this.numShards; i++) {
        Atomics.or(i32, shardWord(this.numShards, s, i) + RESERVED, SEALED | CLOSED_FOR_GOOD)
      }
    }
    const active = Atomics.load(i32, ACTIVE_GEN) & 1
    let ok = true
    for (const s of [active ^ 1, active]) {
      const state = Atomics.load(i32, SET_STATE + s)
      if (state === SetState.QUARANTINED || !this.hasSealedData(s)) continue
      ok = this.flushSet(s, 'final') && ok
    }
    this.foldCounters()
    if (ok) Atomics.store(i32, FINAL, 1)
    return ok
  }

  /** True when some shard of `set` holds an entry. */
  hasData(set: number): boolean {
    const { i32 } = this.cx.ctl
    for (let i = 0; i < this.numShards; i++) {
      const r = Atomics.load(i32, shardWord(this.numShards, set, i) + RESERVED)
      if (r >= 0 && r > BLOCK_HEADER_SIZE) return true
    }
    return false
  }

  private hasSealedData(set: number): boolean {
    const { i32 } = this.cx.ctl
    for (let i = 0; i < this.numShards; i++) {
      if (
        (Atomics.load(i32, shardWord(this.numShards, set, i) + RESERVED) & OFFSET_MASK) >
        BLOCK_HEADER_SIZE
      ) {
        return true
      }
    }
    return false
  }

  /**
   * Writes one entry too large for a shard as a block of its own, after everything logged
   * before it (so the calling thread's order holds).
   */
  writeOversize(bytes: Uint8Array): boolean {
    if (!this.flushAll()) return false
    const size = alignUp(BLOCK_HEADER_SIZE + ENTRY_PREFIX_SIZE + bytes.length, this.alignment())
    const block = this.allocBlock(size)
    try {
      writeBlockHeader(block.view, 0, size, ENTRY_PREFIX_SIZE + bytes.length)
      new DataView(block.view.buffer, block.view.byteOffset).setUint32(BLOCK_HEADER_SIZE, bytes.length, true)
      block.view.set(bytes, BLOCK_HEADER_SIZE + ENTRY_PREFIX_SIZE)
      if (!this.writeAtEnd([block])) return false
      this.cx.ctl.f64[F_ENTRIES_WRITTEN]! += 1
      this.cx.ctl.f64[F_OVERSIZE]! += 1
      return true
    } finally {
      this.freeBlock(block)
    }
  }

  /** Folds the writers' 32-bit counters into the 64-bit totals before they can wrap. */
  foldCounters(): void {
    const { i32, f64 } = this.cx.ctl
    f64[F_DROPPED_TOTAL]! += Atomics.exchange(i32, DROPPED, 0)
    f64[F_SET_SWAPS]! += Atomics.exchange(i32, SWAPS, 0)
  }

  /** Returns quarantined sets to FREE once their late writers have committed. */
  reclaimQuarantined(): void {
    const { i32 } = this.cx.ctl
    for (let s = 0; s < 2; s++) {
      if (Atomics.load(i32, SET_STATE + s) !== SetState.QUARANTINED) continue
      let done = true
      for (let i = 0; i < this.numShards; i++) {
        const w = shardWord(this.numShards, s, i)
        const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
        if (Atomics.load(i32, w + COMMITTED) !== end - BLOCK_HEADER_SIZE) done = false
      }
      if (!done) continue
      // Late entries were accepted by log() but left out of the file: counted in F_ABANDONED too.
      for (let i = 0; i < this.numShards; i++) {
        this.cx.ctl.f64[F_SHARD_WRITES + i]! += Atomics.exchange(
          i32,
          shardWord(this.numShards, s, i) + COUNT,
          0,
        )
      }
      this.reset(s, 'swapped')
    }
  }

  private alignment(): number {
    return Atomics.load(this.cx.ctl.i32, ALIGNMENT)
  }

  private flushSet(set: number, mode: 'swapped' | 'in-place' | 'final'): boolean {
    const { ctl, views, addresses } = this.cx
    const { i32, f64 } = ctl
    const started = performance.now()
    Atomics.store(i32, SET_STATE + set, SetState.FLUSHING)
    // Seal: from here no reservation in this set can succeed; `ends` is where each shard stops.
    for (let i = 0; i < this.numShards; i++) {
      const old = Atomics.or(i32, shardWord(this.numShards, set, i) + RESERVED, SEALED)
      this.ends[i] = old & OFFSET_MASK
    }
    const allComplete = this.waitForCommits(set)
    const alignment = this.alignment()
    const blocks: Block[] = []
    const bounces: Block[] = []
    let entries = 0
    for (let i = 0; i < this.numShards; i++) {
      const end = this.ends[i]!
      if (end <= BLOCK_HEADER_SIZE) continue
      const k = set * this.numShards + i
      const view = views[k]!
      if (this.complete[i]) {
        const capacity = alignUp(end, alignment)
        writeBlockHeader(view, 0, capacity, end - BLOCK_HEADER_SIZE)
        blocks.push({ addr: addresses ? addresses[k]! : 0, view: view.subarray(0, capacity) })
        entries += Atomics.load(i32, shardWord(this.numShards, set, i) + COUNT)
      } else {
        const compacted = this.compact(view, end, alignment, i)
        if (compacted) {
          blocks.push(compacted.block)
          bounces.push(compacted.block)
          entries += compacted.entries
        }
      }
    }
    let ok = true
    try {
      if (blocks.length > 0) ok = this.writeAtEnd(blocks)
    } finally {
      for (const b of bounces) this.freeBlock(b)
    }
    if (!ok) {
      // Keep the data: the set stays sealed and PENDING and is written again on the next attempt.
      Atomics.store(i32, SET_STATE + set, SetState.PENDING)
      return false
    }
    const ms = performance.now() - started
    f64[F_FLUSHES]! += 1
    f64[F_ENTRIES_WRITTEN]! += entries
    f64[F_FLUSH_MS_TOTAL]! += ms
    f64[F_FLUSH_MS_LAST] = ms
    if (ms > f64[F_FLUSH_MS_MAX]!) f64[F_FLUSH_MS_MAX] = ms
    f64[F_LAST_FLUSH_AT] = Date.now()
    for (let i = 0; i < this.numShards; i++) {
      if (!this.complete[i]) continue
      f64[F_SHARD_WRITES + i]! += Atomics.exchange(i32, shardWord(this.numShards, set, i) + COUNT, 0)
    }
    this.foldCounters()
    if (!allComplete) {
      // A writer reserved space and has not committed: it may be slow rather than gone, so the
      // set is not reused (its memory could still be written) until it commits.
      Atomics.store(i32, SET_STATE + set, SetState.QUARANTINED)
      return true
    }
    if (mode === 'final') {
      // Written: empty the (still sealed for good) words so that a retry does not write it again.
      for (let i = 0; i < this.numShards; i++) {
        const w = shardWord(this.numShards, set, i)
        Atomics.store(i32, w + COMMITTED, 0)
        Atomics.store(i32, w + RESERVED, SEALED | CLOSED_FOR_GOOD | BLOCK_HEADER_SIZE)
      }
      Atomics.store(i32, SET_STATE + set, SetState.FREE)
    } else {
      this.reset(set, mode)
    }
    return true
  }

  /**
   * Waits up to flushTimeout for every reservation of the sealed set to commit.
   * Sets `complete[i]` per shard; true when all did.
   */
  private waitForCommits(set: number): boolean {
    const { i32 } = this.cx.ctl
    const deadline = performance.now() + this.cx.flushTimeout
    let spins = 0
    for (;;) {
      let all = true
      for (let i = 0; i < this.numShards; i++) {
        const committed = Atomics.load(i32, shardWord(this.numShards, set, i) + COMMITTED)
        const done = committed === this.ends[i]! - BLOCK_HEADER_SIZE
        this.complete[i] = done ? 1 : 0
        if (!done) all = false
      }
      if (all || performance.now() >= deadline) return all
      // A commit is a few hundred nanoseconds away: spin first, then sleep in short steps.
      if (++spins > 100) Atomics.wait(i32, NAP, 0, 0.05)
    }
  }

  /**
   * Copies the committed entries of a shard with uncommitted reservations into a fresh block,
   * leaving the uncommitted ones out. A record's length word carries bit 31 until its writer has
   * copied the bytes (entry-writer.ts), so a whole record can be told from one still being
   * written; a zero length word at a reserved offset means its writer never got as far as
   * writing it, and nothing after it can be walked.
   */
  private compact(
    view: Buffer,
    end: number,
    alignment: number,
    shard: number,
  ): { block: Block; entries: number } | null {
    const block = this.allocBlock(alignUp(end, alignment))
    let out = BLOCK_HEADER_SIZE
    let pos = BLOCK_HEADER_SIZE
    let entries = 0
    let abandoned = 0
    while (pos + ENTRY_PREFIX_SIZE <= end) {
      const word = view.readUInt32LE(pos)
      const len = word & 0x7fffffff
      const recordEnd = pos + ENTRY_PREFIX_SIZE + len
      if (word === 0 || recordEnd > end) {
        // An unwritten length word: the rest of the shard cannot be walked.
        abandoned++
        break
      }
      if ((word & 0x80000000) !== 0) {
        abandoned++
      } else {
        view.copy(block.view, out, pos, recordEnd)
        out += recordEnd - pos
        entries++
      }
      pos = recordEnd
    }
    this.cx.ctl.f64[F_ABANDONED]! += abandoned
    this.cx.report({ type: 'abandoned', entries: abandoned, shard })
    if (entries === 0) {
      this.freeBlock(block)
      return null
    }
    const capacity = alignUp(out, alignment)
    writeBlockHeader(block.view, 0, capacity, out - BLOCK_HEADER_SIZE)
    return { block: { addr: block.addr, view: block.view.subarray(0, capacity) }, entries }
  }

  /** Zeroes what a set used and makes it FREE (sealed), or ACTIVE again after an in-place flush. */
  private reset(set: number, mode: 'swapped' | 'in-place'): void {
    const { i32 } = this.cx.ctl
    const alignment = this.alignment()
    for (let i = 0; i < this.numShards; i++) {
      const w = shardWord(this.numShards, set, i)
      const end = Atomics.load(i32, w + RESERVED) & OFFSET_MASK
      if (end > 0)
        this.cx.views[set * this.numShards + i]!.fill(
          0,
          0,
          Math.min(alignUp(end, alignment), this.cx.shardSize),
        )
      Atomics.store(i32, w + COMMITTED, 0)
      Atomics.store(i32, w + RESERVED, mode === 'in-place' ? BLOCK_HEADER_SIZE : SEALED | BLOCK_HEADER_SIZE)
    }
    Atomics.store(i32, SET_STATE + set, mode === 'in-place' ? SetState.ACTIVE : SetState.FREE)
    Atomics.add(i32, SET_FREED, 1)
    Atomics.notify(i32, SET_FREED)
  }

  /** Writes blocks at the end of the file, falling back to buffered I/O if O_DIRECT is refused. */
  private writeAtEnd(blocks: Block[]): boolean {
    const { i32, f64 } = this.cx.ctl
    const offset = f64[F_FILE_OFFSET]!
    for (;;) {
      const direct = Atomics.load(i32, DIRECT_IO) === 1
      try {
        const n = this.io.write(Atomics.load(i32, FILE_FD), direct, blocks, offset)
        f64[F_FILE_OFFSET] = offset + n
        f64[F_BYTES_WRITTEN]! += n
        f64[F_FLUSH_BYTES_LAST] = n
        return true
      } catch (err) {
        const error = err instanceof IoError ? err : IoError.fromNode(err, 'write', this.cx.path)
        if (direct && error.code === 'EINVAL' && this.fallBackToBuffered()) continue
        f64[F_FLUSH_ERRORS]! += 1
        Atomics.store(i32, LAST_ERRNO, errnoNumber(error.code))
        this.cx.report({ type: 'error', error })
        return false
      }
    }
  }

  /** The file system took O_DIRECT at open but refuses the writes: go on with a buffered fd. */
  private fallBackToBuffered(): boolean {
    const { i32 } = this.cx.ctl
    try {
      const fd = openSync(this.cx.path, 'r+')
      Atomics.store(i32, FILE_FD, fd)
      Atomics.store(i32, DIRECT_IO, 0)
      this.cx.report({ type: 'fallback', reason: 'the file system refused an O_DIRECT write (EINVAL)' })
      return true
    } catch {
      return false
    }
  }

  private allocBlock(size: number): Block {
    const { lib } = this.cx
    if (lib && Atomics.load(this.cx.ctl.i32, DIRECT_IO) === 1) {
      const addr = lib.allocAligned(Math.max(this.alignment(), 4096), size)
      if (addr === 0) throw new Error(`asyncdirect: cannot allocate a ${size}-byte block`)
      return { addr, view: new Uint8Array(lib.view(addr, size)) }
    }
    return { addr: 0, view: new Uint8Array(size) }
  }

  private freeBlock(block: Block): void {
    if (block.addr !== 0) this.cx.lib?.free(block.addr)
  }
}

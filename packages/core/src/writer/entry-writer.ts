import { InvalidArgumentError } from '../errors.js'
import { BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, IN_PROGRESS, LENGTH_PENDING } from '../format/framed.js'
import {
  ACTIVE_GEN,
  CLOSED,
  COMMITTED,
  COUNT,
  DROPPED,
  FLUSHER_STATE,
  FlusherState,
  NEED_ROOM,
  NEXT_SHARD,
  SET_FREED,
  shardWord,
  wakeFlusher,
} from '../shared/control-block.js'
import { faultHook } from '../shared/fault-points.js'
import { withIoLock } from '../shared/io-lock.js'
import { requestSwap } from '../shared/set-swap.js'
import { shardIndex } from '../shared/shard-memory.js'
import { writeOversize } from './oversize-handover.js'
import { BLOCK_WAIT_MS, type WriterContext } from './writer-context.js'

type Utf8Writable = Buffer & {
  utf8Write(text: string, offset: number, length: number): number
  latin1Write(text: string, offset: number, length: number): number
}

/**
 * Writes `text`, `n` bytes of UTF-8, at `offset`. When the byte count equals the string's length
 * every code unit is ASCII, whose UTF-8 is its Latin-1: V8 copies those bytes without encoding
 * them, about a third faster for a typical log line.
 */
function writeText(mem: Utf8Writable, text: string, offset: number, n: number): void {
  if (n === text.length) mem.latin1Write(text, offset, n)
  else mem.utf8Write(text, offset, n)
}

const NEWLINE = 0x0a
/** Fill level (of a shard) past which a writer asks for a swap before the shard is full. */
const SWAP_THRESHOLD = 0.9
/** How often a writer re-reads a set that is sealed while still active before applying its policy. */
const SEALED_SPINS = 64

/**
 * The hot path: copies one entry into this thread's shard of the active set.
 *
 * Records are already in the file's format: for framed, `length:u32le bytes[length]`, so a
 * full shard is a block body as it is; for lines, the entry and its newline, so a shard is a run
 * of text lines to concatenate. The protocol, per entry (framed; lines skips the length word):
 *
 *  1. reserve: one compare-and-swap moves the shard's RESERVED word from `start` to `start+size`.
 *     It fails if another writer moved it first (retry) or if the sealed bit is set (the set is
 *     being flushed, or is not active yet): a sealed word is negative, so `start >= 0` checks it.
 *  2. copy: the length word's top byte is set to LENGTH_PENDING, then the length is stored with
 *     bit 31 (IN_PROGRESS) set, then the bytes are copied, then bit 31 is cleared. When a
 *     writer dies mid-copy, the flush that gives up on it can thus tell a finished record from
 *     one whose length is known and from one whose length is not (late-records.ts).
 *  3. commit: COUNT += 1, then COMMITTED += size. The flusher reads COMMITTED; seeing it complete
 *     implies the copy and the count are visible (Atomics are sequentially consistent).
 *
 * No locks, no syscalls, no allocation: the views and word indices are computed once per writer.
 * Each writer keeps one shard (affinity), so one thread's entries stay in order within a set,
 * and sets are written in generation order.
 */
export class EntryWriter {
  private readonly i32: Int32Array
  private readonly mem0: Utf8Writable
  private readonly mem1: Utf8Writable
  private readonly word0: number
  private readonly word1: number
  private readonly limit: number
  private readonly threshold: number
  /** Largest entry that fits a shard; larger ones are written as blocks of their own. */
  readonly maxEntry: number
  /** The shard this writer's entries go to. */
  readonly shard: number
  /** Lines format: records are the lines themselves, no length prefix (see lines-output.ts). */
  private readonly lines: boolean
  private spins = 0
  private detached = false
  // Set by reserve() for the commit that follows it.
  private mem: Utf8Writable
  private gen = 0
  private word = 0

  constructor(private readonly cx: WriterContext) {
    const { ctl, views, shardSize } = cx
    const n = ctl.numShards
    this.i32 = ctl.i32
    this.shard = (Atomics.add(ctl.i32, NEXT_SHARD, 1) >>> 0) % n
    this.mem0 = views[shardIndex(n, 0, this.shard)] as Utf8Writable
    this.mem1 = views[shardIndex(n, 1, this.shard)] as Utf8Writable
    this.mem = this.mem0
    this.word0 = shardWord(n, 0, this.shard)
    this.word1 = shardWord(n, 1, this.shard)
    this.limit = shardSize
    this.threshold = Math.floor(shardSize * SWAP_THRESHOLD)
    this.lines = cx.format === 'lines'
    // Lines: the entry and its newline; framed: the entry and its length prefix.
    this.maxEntry = shardSize - BLOCK_HEADER_SIZE - (this.lines ? 1 : ENTRY_PREFIX_SIZE)
  }

  /**
   * Logs one entry from bytes (copied once). Returns true when the entry was accepted, false
   * when it was dropped (and counted): after close, or when both sets are full under `drop`.
   * @throws {InvalidArgumentError} (a TypeError) if `bytes` is not a Uint8Array (a Buffer is one).
   */
  logBytes(bytes: Uint8Array): boolean {
    if (!(bytes instanceof Uint8Array)) throw invalidEntry('logBytes', 'a Uint8Array or Buffer', bytes)
    const n = bytes.length
    if (n > this.maxEntry) return this.logOversize(bytes)
    if (this.lines) {
      const size = n === 0 || bytes[n - 1] !== NEWLINE ? n + 1 : n
      const start = this.reserve(size)
      if (start < 0) return false
      if (faultHook !== null) faultHook('reserved')
      // Not for n == 0: set() throws for a view of a transferred (detached) buffer, which has no
      // bytes, and a throw here would leave the reservation open.
      if (n > 0) this.mem.set(bytes, start)
      if (faultHook !== null) faultHook('copied')
      if (size > n) this.mem[start + n] = NEWLINE
      if (faultHook !== null) faultHook('finished')
      this.committed(start, size)
      return true
    }
    const start = this.reserve(n + ENTRY_PREFIX_SIZE)
    if (start < 0) return false
    const mem = this.mem
    if (faultHook !== null) faultHook('reserved')
    mem[start + 3] = LENGTH_PENDING
    if (faultHook !== null) faultHook('length-pending')
    mem[start] = n
    mem[start + 1] = n >>> 8
    mem[start + 2] = n >>> 16
    mem[start + 3] = (n >>> 24) | IN_PROGRESS
    if (faultHook !== null) faultHook('length-stored')
    if (n > 0) mem.set(bytes, start + ENTRY_PREFIX_SIZE)
    if (faultHook !== null) faultHook('copied')
    this.commit(mem, start, n)
    return true
  }

  /**
   * Logs one entry from a string, UTF-8 encoded straight into the shard. Lone surrogates are
   * written as U+FFFD, as `Buffer.from(text)` would.
   * @throws {InvalidArgumentError} (a TypeError) if `text` is not a string.
   */
  log(text: string): boolean {
    if (typeof text !== 'string') throw invalidEntry('log', 'a string', text)
    const n = Buffer.byteLength(text, 'utf8')
    if (n > this.maxEntry) return this.logOversize(Buffer.from(text, 'utf8'))
    if (this.lines) {
      // A string ends in a newline exactly when its UTF-8 ends in byte 0x0a.
      const size = n === 0 || text.charCodeAt(text.length - 1) !== NEWLINE ? n + 1 : n
      const start = this.reserve(size)
      if (start < 0) return false
      if (faultHook !== null) faultHook('reserved')
      writeText(this.mem, text, start, n)
      if (faultHook !== null) faultHook('copied')
      if (size > n) this.mem[start + n] = NEWLINE
      if (faultHook !== null) faultHook('finished')
      this.committed(start, size)
      return true
    }
    const start = this.reserve(n + ENTRY_PREFIX_SIZE)
    if (start < 0) return false
    const mem = this.mem
    if (faultHook !== null) faultHook('reserved')
    mem[start + 3] = LENGTH_PENDING
    if (faultHook !== null) faultHook('length-pending')
    mem[start] = n
    mem[start + 1] = n >>> 8
    mem[start + 2] = n >>> 16
    mem[start + 3] = (n >>> 24) | IN_PROGRESS
    if (faultHook !== null) faultHook('length-stored')
    writeText(mem, text, start + ENTRY_PREFIX_SIZE, n)
    if (faultHook !== null) faultHook('copied')
    this.commit(mem, start, n)
    return true
  }

  /**
   * Lines format only: logs `count` whole lines at once, `text` being their concatenation, each
   * ending in a newline. One reservation and one copy for all of them, so a caller that gathers
   * lines (pino's destination does, for a turn of the event loop at most) pays the per-entry
   * costs once per batch; they still count as `count` entries (dropped ones too). A batch larger
   * than a shard takes the oversize path as one write.
   * @throws {InvalidArgumentError} (a TypeError) if `text` is neither a string nor a Uint8Array, if `count` is not a
   * positive integer, or if the format is not `'lines'`.
   */
  logLines(text: string | Uint8Array, count: number): boolean {
    if (!this.lines)
      throw new InvalidArgumentError("asyncdirect: logLines() needs format 'lines'; use log() per entry")
    if (!Number.isSafeInteger(count) || count < 1)
      throw new InvalidArgumentError(`asyncdirect: logLines() count must be a positive integer, got ${count}`)
    const isString = typeof text === 'string'
    if (!isString && !(text instanceof Uint8Array))
      throw invalidEntry('logLines', 'a string, a Uint8Array or a Buffer', text)
    const n = isString ? Buffer.byteLength(text, 'utf8') : text.length
    if (n > this.maxEntry) return this.logOversize(isString ? Buffer.from(text, 'utf8') : text, count)
    const start = this.reserve(n, count)
    if (start < 0) return false
    if (faultHook !== null) faultHook('reserved')
    if (isString) writeText(this.mem, text, start, n)
    else this.mem.set(text, start)
    if (faultHook !== null) faultHook('finished')
    this.committed(start, n, count)
    return true
  }

  /** Stops this writer: later calls are dropped and counted. */
  detach(): void {
    this.detached = true
  }

  /** Reserves `size` bytes in the active set; the start offset, or -1 if the entry was dropped. */
  private reserve(size: number, entries = 1): number {
    const i32 = this.i32
    for (;;) {
      const gen = Atomics.load(i32, ACTIVE_GEN)
      const word = (gen & 1) === 0 ? this.word0 : this.word1
      const start = Atomics.load(i32, word)
      const end = start + size
      if (start >= 0 && end <= this.limit && !this.detached) {
        if (Atomics.compareExchange(i32, word, start, end) !== start) continue
        this.gen = gen
        this.word = word
        this.mem = (gen & 1) === 0 ? this.mem0 : this.mem1
        this.spins = 0
        return start
      }
      if (!this.contended(gen, start, entries)) return -1
    }
  }

  private commit(mem: Utf8Writable, start: number, n: number): void {
    mem[start + 3] = n >>> 24
    if (faultHook !== null) faultHook('finished')
    this.committed(start, n + ENTRY_PREFIX_SIZE)
  }

  private committed(start: number, size: number, entries = 1): void {
    Atomics.add(this.i32, this.word + COUNT, entries)
    if (faultHook !== null) faultHook('counted')
    Atomics.add(this.i32, this.word + COMMITTED, size)
    if (faultHook !== null) faultHook('committed')
    // Exactly one writer crosses the threshold, so one swap request per set fill.
    if (start <= this.threshold && start + size > this.threshold) requestSwap(this.cx.ctl, this.gen)
  }

  /**
   * A reservation could not be made. True: try again; false: the entry was dropped and counted.
   */
  private contended(gen: number, start: number, entries: number): boolean {
    const i32 = this.i32
    if (this.detached || Atomics.load(i32, CLOSED) === 1) return this.drop(entries)
    if (Atomics.load(i32, ACTIVE_GEN) !== gen) return true
    if (start >= 0) {
      // The shard is full. Read SET_FREED before asking, so a set freed in between still wakes us.
      const freed = Atomics.load(i32, SET_FREED)
      if (requestSwap(this.cx.ctl, gen)) return true
      return this.backpressure(freed, entries)
    }
    // Sealed yet still active: another thread is between its swap and the unseal, or the set is
    // being flushed in place. Both are short.
    if (++this.spins < SEALED_SPINS) return true
    this.spins = 0
    return this.backpressure(Atomics.load(i32, SET_FREED), entries)
  }

  private backpressure(freed: number, entries: number): boolean {
    const i32 = this.i32
    // Both sets are busy: make sure the flusher knows room is needed now, not at the next interval.
    if (Atomics.load(i32, NEED_ROOM) === 0) {
      Atomics.store(i32, NEED_ROOM, 1)
      wakeFlusher(i32)
    }
    if (this.cx.backpressure === 'drop') return this.drop(entries)
    if (Atomics.load(i32, FLUSHER_STATE) === FlusherState.STOPPED) {
      // No flusher to wait for (it failed, or the process is exiting): write from this thread.
      withIoLock(i32, () => this.cx.flusher().flushAll())
      return true
    }
    Atomics.wait(i32, SET_FREED, freed, BLOCK_WAIT_MS)
    return true
  }

  private drop(entries = 1): false {
    Atomics.add(this.i32, DROPPED, entries)
    return false
  }

  /** An entry larger than a shard (oversize-handover.ts); dropped and counted if it fails. */
  private logOversize(bytes: Uint8Array, entries = 1): boolean {
    if (this.detached || Atomics.load(this.i32, CLOSED) === 1) return this.drop(entries)
    return writeOversize(this.cx, bytes, entries) || this.drop(entries)
  }
}

function invalidEntry(method: string, accepted: string, value: unknown): InvalidArgumentError {
  const got = value === null ? 'null' : typeof value
  return new InvalidArgumentError(`asyncdirect: ${method}() accepts ${accepted}, got ${got}`)
}

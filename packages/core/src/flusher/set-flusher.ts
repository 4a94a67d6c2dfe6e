import { FileRotation } from '../file/rotation.js'
import { BLOCK_HEADER_SIZE } from '../format/framed.js'
import {
  ACTIVE_GEN,
  CLOSED_FOR_GOOD,
  COMMITTED,
  COUNT,
  F_ABANDONED,
  F_BYTES_WRITTEN,
  F_ENTRIES_WRITTEN,
  F_FLUSH_BYTES_LAST,
  F_FLUSH_MS_LAST,
  F_FLUSH_MS_MAX,
  F_FLUSH_MS_TOTAL,
  F_FLUSHES,
  F_LAST_FLUSH_AT,
  F_OVERSIZE,
  F_QUARANTINED_AT,
  FINAL,
  NAP,
  OFFSET_MASK,
  RESERVED,
  SEALED,
  SET_GEN,
  SET_STATE,
  SetState,
  shardWord,
} from '../shared/control-block.js'
import type { FlushContext } from '../shared/flush-context.js'
import { type OversizeWriter, serveSlot } from '../shared/oversize-slot.js'
import { finishSwap, requestSwap } from '../shared/set-swap.js'
import { shardIndex } from '../shared/shard-memory.js'
import type { FileOutput, Piece } from './file-output.js'
import { FramedOutput } from './framed-output.js'
import { abandonAfter, collectLate, type LatePlan, markShardWritten, planLateShard } from './late-records.js'
import { LinesOutput } from './lines-output.js'
import { OutputIo } from './output-io.js'
import { foldCounters, foldShardCount, releaseSettled, resetSet, settleFinal } from './set-recycling.js'

/** The pieces of one write, and what to record once it has succeeded. */
interface Batch {
  pieces: Piece[]
  plans: LatePlan[]
  entries: number
}

/**
 * Writes buffer sets to the file. Any thread may use one, but only while holding the I/O lock
 * (shared/io-lock.ts): the lock is what makes the file offset, the set states it changes and the
 * f64 statistics single-writer.
 *
 * Invariant: a set is written only after every shard's RESERVED word is sealed, so no entry can
 * enter it any more. Shards whose reservations all committed within `flushTimeout` are written
 * as they are, zero copy. A shard with a writer still copying is written as far as its records
 * are finished; its set is then QUARANTINED (not reused, as that writer may still be writing into
 * it) and the rest follows, ahead of the next set, as the late records finish (late-records.ts).
 */
export class SetFlusher implements OversizeWriter {
  private readonly io: OutputIo
  private readonly output: FileOutput
  private readonly rotation: FileRotation
  private readonly ends: Int32Array
  private readonly complete: Uint8Array
  private readonly numShards: number

  constructor(private readonly cx: FlushContext) {
    this.io = new OutputIo(cx)
    this.rotation = new FileRotation(cx)
    this.output =
      cx.format === 'lines'
        ? new LinesOutput(cx, this.io, this.rotation)
        : new FramedOutput(cx, this.io, this.rotation)
    this.numShards = cx.ctl.numShards
    this.ends = new Int32Array(this.numShards)
    this.complete = new Uint8Array(this.numShards)
  }

  /** Writes every PENDING set, oldest generation first. False if a write failed. */
  flushPending(): boolean {
    const { i32 } = this.cx.ctl
    finishSwap(this.cx.ctl)
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
    return this.writeAll() && this.output.sync()
  }

  /**
   * Writes what the active set holds now (swapping it out when the other set is free), without
   * making it durable: the early write `writeDelay` asks for (write-delay.ts). One set at most,
   * unlike {@link SetFlusher.flushAll}, which goes on while writers keep adding entries.
   */
  writeActive(): boolean {
    for (;;) {
      const step = this.writeStep()
      if (step === 'swapped') return this.flushPending()
      if (step !== 'retry') return step !== 'failed'
    }
  }

  private writeAll(): boolean {
    for (;;) {
      const step = this.writeStep()
      if (step === 'empty' || step === 'written') return true
      if (step === 'failed') return false
    }
  }

  /**
   * Writes the pending sets, then takes the active one: `'swapped'` out (by this thread or a
   * writer: it is PENDING now), `'written'` in place, `'empty'` when it holds nothing, `'retry'`
   * after a short nap when another thread is mid-swap.
   */
  private writeStep(): 'failed' | 'empty' | 'swapped' | 'written' | 'retry' {
    const { i32 } = this.cx.ctl
    if (!this.flushPending() || !this.flushLate(false)) return 'failed'
    const gen = Atomics.load(i32, ACTIVE_GEN)
    const set = gen & 1
    if (!this.hasData(set)) return 'empty'
    if (requestSwap(this.cx.ctl, gen)) return 'swapped'
    // The other set is not FREE. Only when it is QUARANTINED (held by a late writer, for as long
    // as that takes) is the active set written in place. Any other state means a writer is
    // between its swap and marking the old set PENDING: that older set must be written first.
    if (Atomics.load(i32, SET_STATE + (set ^ 1)) === SetState.QUARANTINED)
      return this.flushSet(set, 'in-place') ? 'written' : 'failed'
    Atomics.wait(i32, NAP, 0, 0.05)
    return 'retry'
  }

  /**
   * The last flush: seals every shard of both sets for good (a swap that races with it cannot
   * unseal them again), then writes both, older generation first, and what quarantined sets
   * still hold. Idempotent: a retry after a failed write writes nothing twice.
   */
  flushFinal(): boolean {
    const { i32 } = this.cx.ctl
    if (Atomics.load(i32, FINAL) === 1) return true
    for (let s = 0; s < 2; s++) {
      for (let i = 0; i < this.numShards; i++) {
        Atomics.or(i32, shardWord(this.numShards, s, i) + RESERVED, SEALED | CLOSED_FOR_GOOD)
      }
    }
    if (!this.flushLate(false)) return false
    const active = Atomics.load(i32, ACTIVE_GEN) & 1
    for (const s of [active ^ 1, active]) {
      const state = Atomics.load(i32, SET_STATE + s)
      if (state === SetState.QUARANTINED || !this.hasSealedData(s)) continue
      if (!this.flushSet(s, 'final')) return false
    }
    if (!this.flushLate(true) || !this.output.sync()) return false
    this.foldCounters()
    Atomics.store(i32, FINAL, 1)
    return true
  }

  /**
   * Writes the shards of quarantined sets that have settled since (or, when `final` or once a set
   * has been quarantined for {@link abandonAfter}, what can be saved of them), and frees a set
   * once every shard of it is written and settled. Returns false if a write failed.
   */
  flushLate(final: boolean): boolean {
    return this.flushLateOnce(final) !== 'failed'
  }

  /**
   * {@link flushLate}, then waits while a quarantined shard is still unsettled, so that nothing
   * newer is written before it (see late-records.ts). Its writer was descheduled mid-copy; it
   * usually runs again within milliseconds. One that does not within {@link abandonAfter} is
   * presumed dead and the wait ends.
   */
  private flushLateInOrder(final: boolean): boolean {
    for (let spins = 0; ; spins++) {
      const outcome = this.flushLateOnce(final)
      if (outcome !== 'waiting') return outcome === 'done'
      if (spins > 100) Atomics.wait(this.cx.ctl.i32, NAP, 0, 0.1)
    }
  }

  private flushLateOnce(final: boolean): 'done' | 'waiting' | 'failed' {
    const batch = newBatch()
    const waiting = collectLate(this.cx, final, (plan) => addPlan(batch, plan))
    if (batch.plans.length > 0 && !this.commit(batch, null, final)) return 'failed'
    return waiting ? 'waiting' : 'done'
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

  /**
   * Writes one entry too large for a shard on its own (or a batch of `entries` lines), after
   * everything logged before it (so the calling thread's order holds): `flushed` when the flusher
   * thread has just written that.
   */
  writeOversize(bytes: Uint8Array, entries = 1, flushed = false): boolean {
    if (!flushed && !this.writeAll()) return false
    if (!this.output.writeEntry(bytes) || !this.output.sync()) return false
    this.cx.ctl.f64[F_ENTRIES_WRITTEN]! += entries
    this.cx.ctl.f64[F_OVERSIZE]! += entries
    return true
  }

  /**
   * Writes the entry a writer thread handed over in the oversize slot, or frees the slot of a
   * writer that died before handing its entry over (oversize-slot.ts). False if a write failed.
   */
  serveOversizeSlot(): boolean {
    return serveSlot(this.cx.ctl, this.cx.lib, this)
  }

  writeHandedOver(bytes: Uint8Array, entries: number): boolean {
    return this.flushAll() && this.writeOversize(bytes, entries, true)
  }

  abandonOversize(): void {
    this.cx.ctl.f64[F_ABANDONED]! += 1
    this.cx.report({ type: 'abandoned', entries: 1, shard: -1 })
  }

  /**
   * At an interval boundary: writes everything logged so far into the current file, makes it
   * durable, and moves to the next file of the series. False if a write failed (a failed move is
   * reported and retried later; the logger stays on the current file meanwhile).
   */
  rotateIfDue(): boolean {
    if (!this.rotation.intervalDue()) return true
    if (!this.flushAll()) return false
    this.rotation.next('interval')
    return true
  }

  /**
   * reopen(): writes everything logged so far into the current file, makes it durable, and opens
   * the path again. False if a write failed or the path could not be opened (both reported).
   */
  reopen(): boolean {
    return this.flushAll() && this.rotation.reopen()
  }

  /** Symlink and retention for the file opened at start. */
  tidy(): void {
    this.rotation.tidy()
  }

  /** Folds the writers' 32-bit counters into the 64-bit totals before they can wrap. */
  foldCounters(): void {
    foldCounters(this.cx.ctl)
  }

  private reset(set: number, mode: 'swapped' | 'in-place'): void {
    resetSet(this.cx.ctl, this.cx.views, this.cx.shardSize, this.io.alignment(), set, mode)
  }

  private hasSealedData(set: number): boolean {
    const { i32 } = this.cx.ctl
    for (let i = 0; i < this.numShards; i++) {
      const end = Atomics.load(i32, shardWord(this.numShards, set, i) + RESERVED) & OFFSET_MASK
      if (end > BLOCK_HEADER_SIZE) return true
    }
    return false
  }

  private flushSet(set: number, mode: 'swapped' | 'in-place' | 'final'): boolean {
    const { i32 } = this.cx.ctl
    Atomics.store(i32, SET_STATE + set, SetState.FLUSHING)
    // Seal: from here no reservation in this set can succeed; `ends` is where each shard stops.
    // CLOSED_FOR_GOOD too, until reset: a writer that swapped this set in and was descheduled
    // before unsealing it must not unseal it under this flush (its CAS expects SEALED | header).
    for (let i = 0; i < this.numShards; i++) {
      const old = Atomics.or(i32, shardWord(this.numShards, set, i) + RESERVED, SEALED | CLOSED_FOR_GOOD)
      this.ends[i] = old & OFFSET_MASK
    }
    // In place, the set stays the active one and cannot be quarantined (writers could not go
    // anywhere): its writers get until they are presumed dead, not just flushTimeout.
    const allComplete = this.waitForCommits(
      set,
      mode === 'in-place' ? abandonAfter(this.cx.flushTimeout) : this.cx.flushTimeout,
    )
    // Late records of an older set go first: any entry of this set was logged after them.
    if (!this.flushLateInOrder(mode === 'final')) {
      Atomics.store(i32, SET_STATE + set, SetState.PENDING)
      return false
    }
    const batch = newBatch()
    for (let i = 0; i < this.numShards; i++) {
      const end = this.ends[i]!
      if (end <= BLOCK_HEADER_SIZE) continue
      if (this.complete[i]) {
        batch.pieces.push({
          set,
          shard: i,
          whole: true,
          runs: [BLOCK_HEADER_SIZE, end],
          bytes: end - BLOCK_HEADER_SIZE,
        })
        batch.entries += Atomics.load(i32, shardWord(this.numShards, set, i) + COUNT)
      } else if (mode !== 'swapped') {
        // In place or final: the set cannot wait in quarantine; what is unfinished is abandoned.
        const plan = planLateShard(
          this.cx.ctl,
          set,
          i,
          this.cx.views[shardIndex(this.numShards, set, i)]!,
          true,
          this.cx.format,
        )
        if (plan) addPlan(batch, plan)
      }
    }
    if (!this.commit(batch, set, mode === 'final')) {
      // Keep the data: the set stays sealed and PENDING and is written again on the next attempt.
      Atomics.store(i32, SET_STATE + set, SetState.PENDING)
      return false
    }
    for (let i = 0; i < this.numShards; i++) {
      // Swapped: an unsettled shard waits, whole, in the quarantined set until it settles.
      markShardWritten(this.cx.ctl, set, i, this.complete[i] === 1 || mode !== 'swapped')
      if (this.complete[i]) foldShardCount(this.cx.ctl, set, i)
    }
    if (!allComplete && mode !== 'in-place') {
      Atomics.store(i32, SET_STATE + set, SetState.QUARANTINED)
      this.cx.ctl.f64[F_QUARANTINED_AT + set] = Date.now()
    }
    if (mode === 'final') {
      settleFinal(this.cx.ctl, set)
    } else if (mode === 'in-place') {
      // Incomplete: its writers were given up on as dead (their records abandoned and counted)
      // and the set is reused; a writer merely stalled that long could still scribble on it.
      // If this flush freed the quarantined set, a writer may have swapped meanwhile: this set
      // is then PENDING and already written, so it becomes FREE, not active again.
      const stillActive = (Atomics.load(i32, ACTIVE_GEN) & 1) === set
      this.reset(set, stillActive ? 'in-place' : 'swapped')
    } else if (allComplete) {
      this.reset(set, mode)
    }
    return true
  }

  /**
   * Waits up to `timeoutMs` for every reservation of the sealed set to commit.
   * Sets `complete[i]` per shard; true when all did.
   */
  private waitForCommits(set: number, timeoutMs: number): boolean {
    const { i32 } = this.cx.ctl
    const deadline = performance.now() + timeoutMs
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
      // A commit is usually nanoseconds away: spin first, then sleep in short steps.
      if (++spins > 100) Atomics.wait(i32, NAP, 0, 0.05)
    }
  }

  /**
   * Writes a batch; on success records its statistics and the walk state of its plans and frees
   * quarantined sets that are done. `set` is the set being flushed, if any.
   */
  private commit(batch: Batch, set: number | null, final: boolean): boolean {
    const { ctl } = this.cx
    const { f64 } = ctl
    const started = performance.now()
    const bytesBefore = f64[F_BYTES_WRITTEN]!
    if (batch.pieces.length > 0 && !this.output.write(batch.pieces)) return false
    if (set !== null || batch.pieces.length > 0) {
      const ms = performance.now() - started
      // Every write of this flush: a lines flush is two (whole blocks, then the partial one).
      f64[F_FLUSH_BYTES_LAST] = f64[F_BYTES_WRITTEN]! - bytesBefore
      f64[F_FLUSHES]! += 1
      f64[F_FLUSH_MS_TOTAL]! += ms
      f64[F_FLUSH_MS_LAST] = ms
      if (ms > f64[F_FLUSH_MS_MAX]!) f64[F_FLUSH_MS_MAX] = ms
      f64[F_LAST_FLUSH_AT] = Date.now()
    }
    f64[F_ENTRIES_WRITTEN]! += batch.entries
    for (const plan of batch.plans) {
      markShardWritten(ctl, plan.set, plan.shard, true)
      if (plan.abandoned > 0) {
        f64[F_ABANDONED]! += plan.abandoned
        this.cx.report({ type: 'abandoned', entries: plan.abandoned, shard: plan.shard })
      }
    }
    releaseSettled(ctl, set, final, (s) => this.reset(s, 'swapped'))
    this.foldCounters()
    return true
  }
}

function newBatch(): Batch {
  return { pieces: [], plans: [], entries: 0 }
}

function addPlan(batch: Batch, plan: LatePlan): void {
  batch.plans.push(plan)
  if (plan.bytes === 0) return
  batch.pieces.push(plan)
  batch.entries += plan.entries
}

/**
 * When the flusher writes the active buffer set before it fills (`writeDelay`, config.ts): once
 * the oldest entry in it may have waited `delay` milliseconds. The flusher thread alone uses it.
 *
 * Writers do not tell the flusher about each entry: a notify per log call would cost what the
 * shards exist to avoid. Instead the flusher looks at the active set at least every `delay / 2`
 * ms. Entries it finds in a generation it did not see holding any arrived after its previous look
 * (a generation only becomes active after the flusher read the one before it), so that look's time
 * bounds their age from above, and the set is written once that bound reaches `delay`: an entry
 * waits at most `delay` plus the time the thread takes to wake and write, at least `delay / 2`.
 *
 * At high rates a set fills and is swapped out (and written whole) before it is `delay` old, and
 * the set that follows starts a new generation: so full sets still go out as before, and only a
 * set that fills more slowly than `delay` is written early, its entries gathered for that long.
 */
export class WriteDelay {
  /** When the active set was last looked at (performance.now()). */
  private lookedAt: number
  /** The generation found holding entries not yet written; -1 when there was none. */
  private gen = -1
  /** Its entries all arrived after this time. */
  private since = 0

  constructor(
    private readonly delay: number,
    now: number,
  ) {
    this.lookedAt = now
  }

  /**
   * Records a look at the active set: generation `gen`, holding entries or not, `now` being read
   * before either. True when its entries must be written now.
   */
  look(now: number, gen: number, holdsEntries: boolean): boolean {
    if (!holdsEntries) this.gen = -1
    else if (gen !== this.gen) {
      this.gen = gen
      this.since = this.lookedAt
    }
    this.lookedAt = now
    return this.gen >= 0 && now - this.since >= this.delay
  }

  /** The active set was written: what it holds from now on arrived after the last look. */
  written(): void {
    this.gen = -1
  }

  /** How long the flusher may sleep before it looks again (ms). */
  sleep(now: number): number {
    return this.gen >= 0 ? this.since + this.delay - now : this.delay / 2
  }
}

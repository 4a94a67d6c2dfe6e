/**
 * Writes taken while the core reopens the same path (after `logrotate` renamed the file away).
 * The core's reopen writes everything already in its shards into the old file when its flusher
 * gets to it; writes made after `reopen()` was called are held here meanwhile and handed over once
 * it settled, so that, as with SonicBoom, they go to the new file (or, when the reopen failed, to
 * the file still written). Anything that promises durability (`flushSync`, `end`, process exit)
 * hands them over at once instead: then they may land in the old file, never nowhere.
 */
export class HeldWrites {
  private data: Array<string | Uint8Array> = []
  private counts: number[] = []
  private inFlight = 0
  private last: Promise<void> = Promise.resolve()

  /** True while a reopen is in flight: writes are to be held. */
  get holding(): boolean {
    return this.inFlight > 0
  }

  /** Resolves once the reopens begun so far have settled and their held writes were handed over. */
  get idle(): Promise<void> {
    return this.last
  }

  /** Holds one write (`count` lines of a batch). A Uint8Array is copied: the caller may reuse it. */
  add(data: string | Uint8Array, count: number): void {
    this.data.push(typeof data === 'string' ? data : data.slice())
    this.counts.push(count)
  }

  /** Holds writes until `reopen` settles (and every reopen begun before it), then hands them to `sink`. */
  track(reopen: Promise<unknown>, sink: (data: string | Uint8Array, count: number) => void): void {
    this.inFlight++
    const settled = reopen.then(
      () => {},
      () => {},
    )
    this.last = Promise.all([this.last, settled]).then(() => {
      if (--this.inFlight === 0) this.release(sink)
    })
  }

  /** Hands every held write to `sink`, in order, now. */
  release(sink: (data: string | Uint8Array, count: number) => void): void {
    const { data, counts } = this
    this.data = []
    this.counts = []
    for (let i = 0; i < data.length; i++) sink(data[i]!, counts[i]!)
  }
}

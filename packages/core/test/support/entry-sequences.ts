// Entries that say who logged them and when: `<tag> <seq> <padding>`, the padding's length a
// function of seq (as fixtures/thread-writer.mjs writes them). From a file's entries these helpers
// tell, per writer, which sequence numbers arrived, in what order, and whether any entry was
// damaged or is not one that was logged.

/** The entry writer `tag` logs as its `seq`-th. */
export function sequencedEntry(tag: string, seq: number): string {
  return `${tag} ${seq} ${'x'.repeat(seq % 53)}`
}

/** What a file's entries say about its writers. */
export interface Tally {
  /** Per tag, the sequence numbers in file order. */
  readonly seqs: Map<string, number[]>
  /** Entries that are not exactly what some writer logged (damaged, foreign), at most 10. */
  readonly foreign: string[]
}

/** Sorts `entries` by writer; `strip` removes the trailing padding of fixed-width entries. */
export function tally(entries: Iterable<string>, strip = false): Tally {
  const seqs = new Map<string, number[]>()
  const foreign: string[] = []
  for (const raw of entries) {
    const e = strip ? raw.trimEnd() : raw
    const m = /^(\S+) (\d+) (x*)$/.exec(e)
    const seq = m ? Number(m[2]) : -1
    if (!m || e !== sequencedEntry(m[1]!, seq)) {
      if (foreign.length < 10) foreign.push(JSON.stringify(raw.slice(0, 80)))
      continue
    }
    const list = seqs.get(m[1]!)
    if (list) list.push(seq)
    else seqs.set(m[1]!, [seq])
  }
  return { seqs, foreign }
}

/** Places where `seqs` is not strictly increasing (a duplicate or a reordering), at most 10. */
export function disorder(seqs: readonly number[]): string[] {
  const out: string[] = []
  for (let i = 1; i < seqs.length && out.length < 10; i++) {
    if (seqs[i]! <= seqs[i - 1]!) out.push(`${seqs[i - 1]} then ${seqs[i]} at index ${i}`)
  }
  return out
}

/** True when `seqs` is exactly 0, 1, ..., n-1. */
export function isPrefix(seqs: readonly number[]): boolean {
  return seqs.every((s, i) => s === i)
}

import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { WriteDelay } from '../dist/flusher/write-delay.js'
import { type LogFormat, resolveConfig } from '../dist/index.js'
import { until } from './support/deadlines.js'
import { open, tempDir } from './support/temp-loggers.js'

// How soon an entry reaches the file when the logger is otherwise idle (`writeDelay`): a follower
// thread watches the file grow as `tail -F` would. An entry's delay runs from its log call to the
// file's modification time at the first size the follower saw that holds the entry (the kernel
// stamps it at each write: no earlier than the write that put the entry there), which leaves out
// how late the follower itself got a CPU; the delays to the follower's looks are printed beside.
// The bound is a correctness bound, the issue's: p99 within 250 ms at the default delay of 100 ms,
// i.e. the delay plus 150 ms for the flusher thread to wake and write on a loaded machine.

const FOLLOWER = new URL('./fixtures/visibility-follower.mjs', import.meta.url)
const ENTRIES = 100
const SLACK_MS = 150

/** The nearest-rank percentile `p` (0..1) of `values`. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!
}

/**
 * For each entry `{"seq":N,...}` in the file, the file size at which it is complete: the end of
 * its line, or of its framed block. Stops at anything unfinished (a block being written).
 */
function entryEnds(path: string, format: LogFormat): number[] {
  const buf = readFileSync(path)
  const ends: number[] = []
  if (format === 'lines') {
    for (let at = 0, nl = buf.indexOf(0x0a); nl >= 0; at = nl + 1, nl = buf.indexOf(0x0a, at)) {
      const seq = Number(/"seq":(\d+)/.exec(buf.toString('utf8', at, nl))?.[1])
      ends[seq] = nl + 1
    }
    return ends
  }
  for (let off = 0; off + 8 <= buf.length; ) {
    const capacity = buf.readUInt32LE(off)
    const valid = buf.readUInt32LE(off + 4)
    if (capacity === 0 || off + capacity > buf.length) break
    for (let p = off + 8; p < off + 8 + valid; p += 4 + buf.readUInt32LE(p)) {
      const seq = Number(/"seq":(\d+)/.exec(buf.toString('utf8', p + 4, p + 4 + buf.readUInt32LE(p)))?.[1])
      ends[seq] = off + capacity
    }
    off += capacity
  }
  return ends
}

interface Delays {
  /** Log call to the write that made the entry visible (ms). */
  written: number[]
  /** Log call to the follower's look that first saw it (ms). */
  seen: number[]
}

function describeDelays(what: string, delays: Delays): string {
  const show = (d: number[]) =>
    `p50 ${percentile(d, 0.5).toFixed(0)}, p99 ${percentile(d, 0.99).toFixed(0)}, max ${Math.max(...d).toFixed(0)} ms`
  return `[visibility] ${what}: written ${show(delays.written)}; seen by the follower ${show(delays.seen)}`
}

/**
 * Logs ENTRIES entries 20 to 45 ms apart into a fresh logger with `config`, following its file,
 * and returns the delays of each entry.
 */
async function visibilityDelays(config: { format: LogFormat; writeDelay?: number }): Promise<Delays> {
  const path = join(tempDir(), 'followed.log')
  const logger = await open({ path, ...config })
  const growths = new Float64Array(new SharedArrayBuffer(8 * (1 + 3 * 10 * ENTRIES)))
  const flags = new Int32Array(new SharedArrayBuffer(8))
  const follower = new Worker(FOLLOWER, {
    workerData: { path, growths: growths.buffer, flags: flags.buffer },
  })
  const exited = new Promise((resolve) => follower.once('exit', resolve))
  const loggedAt: number[] = []
  try {
    await until(() => flags[1] === 1, 'the follower watches the file')
    for (let seq = 0; seq < ENTRIES; seq++) {
      loggedAt.push(Date.now())
      logger.log(JSON.stringify({ seq, msg: 'request handled', pad: 'x'.repeat(120) }))
      await sleep(20 + ((seq * 7) % 26))
    }
    // Liveness only: every entry reaches the file eventually, whatever the delays.
    await until(
      () => entryEnds(path, config.format).filter(Boolean).length === ENTRIES,
      'every entry is in the file',
    )
    const lastSize = () => (growths[0]! > 0 ? growths[1 + 3 * (growths[0]! - 1)] : 0)
    await until(() => lastSize() === statSync(path).size, 'the follower saw the last write')
  } finally {
    Atomics.store(flags, 0, 1)
    await exited
    await logger.close()
  }
  expect(logger.getStatsSnapshot().droppedLogs).toBe(0)
  const ends = entryEnds(path, config.format)
  const delays: Delays = { written: [], seen: [] }
  for (let seq = 0; seq < ENTRIES; seq++) {
    let g = 0
    while (g < growths[0]! - 1 && growths[1 + 3 * g]! < ends[seq]!) g++
    delays.written.push(growths[2 + 3 * g]! - loggedAt[seq]!)
    delays.seen.push(growths[3 + 3 * g]! - loggedAt[seq]!)
  }
  return delays
}

describe('an idle logger writes an entry within writeDelay', () => {
  it('lines, by default: p99 of log call to in the file within 250 ms', async () => {
    expect(resolveConfig({ path: '/x.log', format: 'lines' }).writeDelay).toBe(100)
    const delays = await visibilityDelays({ format: 'lines' })
    console.log(describeDelays('lines, default writeDelay', delays))
    expect(percentile(delays.written, 0.99)).toBeLessThanOrEqual(100 + SLACK_MS)
  })

  it('framed with writeDelay 100: p99 within 250 ms as well', async () => {
    const delays = await visibilityDelays({ format: 'framed', writeDelay: 100 })
    console.log(describeDelays('framed, writeDelay 100', delays))
    expect(percentile(delays.written, 0.99)).toBeLessThanOrEqual(100 + SLACK_MS)
  })

  it('framed, by default (1000 ms: each early write pads to whole blocks): p99 within the delay plus the slack', async () => {
    expect(resolveConfig({ path: '/x.log', format: 'framed' }).writeDelay).toBe(1000)
    const delays = await visibilityDelays({ format: 'framed' })
    console.log(describeDelays('framed, default writeDelay', delays))
    expect(percentile(delays.written, 0.99)).toBeLessThanOrEqual(1000 + SLACK_MS)
  })
})

describe('writeDelay', () => {
  it('an explicit value is kept in either format; anything but an integer from 1 to 3 600 000 is refused', () => {
    expect(resolveConfig({ path: '/x.log', format: 'framed', writeDelay: 50 }).writeDelay).toBe(50)
    expect(resolveConfig({ path: '/x.log', format: 'lines', writeDelay: 5000 }).writeDelay).toBe(5000)
    for (const bad of [0, -1, 1.5, 3_600_001, '100', null]) {
      expect(() => resolveConfig({ path: '/x.log', writeDelay: bad as number })).toThrow(
        expect.objectContaining({
          code: 'ASYNCDIRECT_INVALID_CONFIG',
          field: 'writeDelay',
          message: expect.stringMatching(/writeDelay: expected an integer from 1 to 3600000 milliseconds/),
        }),
      )
    }
  })

  // The flusher's decision, step by step, with the times it would read (no thread involved).
  it('writes a set whose entries may have waited the delay, and never one swapped out before', () => {
    const delay = new WriteDelay(100, 0)
    // Nothing logged: looks every 50 ms.
    expect(delay.look(0, 0, false)).toBe(false)
    expect(delay.sleep(0)).toBe(50)
    // Entries found at 50 arrived after the look at 0: written at 100, whatever their true age.
    expect(delay.look(50, 0, true)).toBe(false)
    expect(delay.sleep(50)).toBe(50)
    expect(delay.look(100, 0, true)).toBe(true)
    delay.written()
    // What the next set holds arrived after the look at 100.
    expect(delay.look(150, 1, true)).toBe(false)
    // A set that fills within the delay is swapped out (a new generation) and written whole as a
    // PENDING set; the one after it starts over, its entries no older than the previous look.
    expect(delay.look(190, 2, true)).toBe(false)
    expect(delay.look(240, 3, true)).toBe(false)
    expect(delay.sleep(240)).toBe(50)
    expect(delay.look(289, 3, true)).toBe(false)
    expect(delay.look(290, 3, true)).toBe(true)
    // A look that comes late (the thread was not scheduled) writes at once.
    delay.written()
    expect(delay.look(700, 4, true)).toBe(true)
  })
})

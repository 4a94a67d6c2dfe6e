import { unlinkSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { type IoError, readEntries, verify } from '../dist/index.js'
import { until, within } from './support/deadlines.js'
import { disorder, isPrefix, sequencedEntry, tally } from './support/entry-sequences.js'
import {
  announceSkip,
  fillUp,
  freeBytes,
  type LoopFs,
  loopFsUnavailable,
  mountLoopFs,
} from './support/loop-fs.js'
import { errorsOf, open } from './support/temp-loggers.js'

// A real, small ext4 file system (a loop-mounted image) filled up while a logger writes to it.
// Whatever the policy: ENOSPC is reported (an 'error' event with the errno name, flushErrors),
// the host goes on, the file decodes at every moment; then `block` writes everything once space
// is freed, and `drop` drops exactly what it says it dropped.

const unavailable = loopFsUnavailable()
if (unavailable) announceSkip('disk-full.test.ts', unavailable)

const KiB = 1024
const WRITER = new URL('./fixtures/thread-writer.mjs', import.meta.url)

/**
 * Checks what a reader sees in a file being written to a full disk: only what a crash could
 * leave too, a torn last block or a partial last line, and every entry whole.
 */
async function expectDecodable(path: string): Promise<string[]> {
  const report = await verify(path)
  const problems = report.problems.filter(
    (p) => !((p.kind === 'torn-block' || p.kind === 'partial-line') && p === report.problems.at(-1)),
  )
  expect(problems).toEqual([])
  const entries: string[] = []
  for await (const e of readEntries(path)) entries.push(e.toString('utf8'))
  expect(entries.length).toBe(report.entries)
  return entries
}

/** The largest number of 'error' events a backoff of 10 ms doubling to 1 s allows in `ms`. */
function backoffBound(ms: number): number {
  // 10+20+...+640 ms is 1.27 s for the first 7 retries; then one a second. Generous: x2 + 10.
  return 2 * (7 + Math.ceil(ms / 1000)) + 10
}

describe.skipIf(unavailable !== null)('disk full (a loop-mounted 32 MiB ext4)', () => {
  let fs: LoopFs

  it("'block': ENOSPC reported, the writer waits, and once space is freed every entry is written once, in order", async () => {
    fs = mountLoopFs(32)
    const path = join(fs.dir, 'block.log')
    // 256 KiB free; the worker logs about 2.4 MB, far beyond that plus both buffer sets.
    const ballast = fillUp(fs, 256 * KiB)
    const l = await open({ path, bufferSize: 128 * KiB, numShards: 2, flushInterval: 50 })
    const errors = errorsOf(l)
    const count = 40_000
    const worker = new Worker(WRITER, { workerData: { handle: l.handle, id: 1, count, mode: 'mixed' } })
    let finished = false
    const done = new Promise<{ accepted: number; rejected: number }>((resolve, reject) => {
      worker.once('message', (m) => {
        finished = true
        resolve(m)
      })
      worker.once('error', reject)
    })

    await until(() => errors.length > 0, 'the first ENOSPC is reported')
    const fullSince = Date.now()
    // The disk stays full a while: the writer must be waiting, not dropping or failing.
    await new Promise((r) => setTimeout(r, 1500))
    expect(finished, 'the writer finished although the disk is full: entries went somewhere').toBe(false)
    const during = await expectDecodable(path)
    const t = tally(during)
    expect(t.foreign).toEqual([])
    expect(disorder(t.seqs.get('w1') ?? [])).toEqual([])
    expect(isPrefix(t.seqs.get('w1') ?? [])).toBe(true)
    const stalled = l.getStatsSnapshot()
    expect(stalled.flushErrors).toBeGreaterThan(0)
    expect(stalled.droppedLogs).toBe(0)
    for (const e of errors) {
      expect(e.code).toBe('ENOSPC')
      expect(e.path).toBe(path)
      expect(e.message).toContain('ENOSPC')
    }
    // Retries back off: a full disk costs a few writes a second, not a storm of failing writes
    // and events (each blocked writer asks for room again and again).
    const fullFor = Date.now() - fullSince
    expect(errors.length).toBeLessThanOrEqual(backoffBound(fullFor))

    unlinkSync(ballast)
    const result = await within(done, 'the blocked writer, after space was freed')
    expect(result).toMatchObject({ id: 1, accepted: count, rejected: 0 })
    // Logging goes on as usual.
    for (let seq = 0; seq < 100; seq++) expect(l.log(sequencedEntry('m', seq))).toBe(true)
    await within(l.close(), 'close()')
    await worker.terminate()

    const s = l.getStatsSnapshot()
    expect(s.entriesWritten).toBe(count + 100)
    expect(s.droppedLogs).toBe(0)
    expect(s.directIO).toBe(true)
    const report = await verify(path)
    expect(report.problems).toEqual([])
    const all = tally(await entriesOf(path))
    expect(all.foreign).toEqual([])
    expect(isPrefix(all.seqs.get('w1')!)).toBe(true)
    expect(all.seqs.get('w1')!.length).toBe(count)
    expect(isPrefix(all.seqs.get('m')!)).toBe(true)
    expect(all.seqs.get('m')!.length).toBe(100)
    console.log(
      `[disk-full] block: ${errors.length} ENOSPC events in ${fullFor} ms full, ${s.flushErrors} failed writes, 0 of ${count + 100} entries lost`,
    )
  })

  it("'drop' (lines, no 'error' listener): drops are counted exactly, the file holds exactly the accepted entries", async () => {
    fs = mountLoopFs(32)
    const path = join(fs.dir, 'drop.log')
    const ballast = fillUp(fs, 128 * KiB)
    const l = await open({
      path,
      bufferSize: 64 * KiB,
      numShards: 2,
      flushInterval: 20,
      backpressure: 'drop',
      format: 'lines',
    })
    // Nobody listens for 'error': the logger must warn, not throw an unhandled 'error' event.
    const warnings: string[] = []
    {
      const accepted: string[] = []
      let calls = 0
      let refused = 0
      const logBatch = () => {
        for (let i = 0; i < 500; i++) {
          const e = sequencedEntry('d', calls++)
          if (l.log(e)) accepted.push(e)
          else refused++
        }
      }
      // Until the disk is full and entries are being dropped, then some more.
      while (l.getStatsSnapshot().flushErrors === 0 || refused === 0) {
        logBatch()
        await new Promise((r) => setImmediate(r))
        if (calls > 2_000_000) throw new Error('the disk never filled up')
      }
      // A second of logging at a full disk: drops all along, and failed writes only as often as
      // the retry backoff allows (not once per writer asking for room).
      const fullSince = Date.now()
      const errorsBefore = l.getStatsSnapshot().flushErrors
      while (Date.now() - fullSince < 1000) {
        logBatch()
        await new Promise((r) => setTimeout(r, 2))
      }
      const failedWrites = l.getStatsSnapshot().flushErrors - errorsBefore
      expect(failedWrites).toBeLessThanOrEqual(backoffBound(Date.now() - fullSince))
      await until(() => {
        warnings.push(...takeWarnings('ASYNCDIRECT_WARNING'))
        return warnings.some((w) => w.includes('ENOSPC'))
      }, 'a process warning names ENOSPC')
      const during = await expectDecodable(path)
      expect(tally(during).foreign).toEqual([])

      unlinkSync(ballast)
      // After space is freed, what is accepted is written.
      await within(l.flush(), 'flush() after space was freed')
      logBatch()
      await within(l.close(), 'close()')

      const s = l.getStatsSnapshot()
      expect(s.totalLogs).toBe(calls)
      expect(s.droppedLogs).toBe(refused)
      expect(s.entriesWritten).toBe(accepted.length)
      expect(s.totalLogs).toBe(s.entriesWritten + s.droppedLogs)
      expect(s.flushErrors).toBeGreaterThan(0)
      const report = await verify(path)
      expect(report.problems).toEqual([])
      const entries = await entriesOf(path)
      expect(entries.length).toBe(accepted.length)
      expect(entries.findIndex((e, i) => e !== accepted[i])).toBe(-1)
      console.log(
        `[disk-full] drop: ${calls} calls, ${refused} dropped and counted (droppedLogs ${s.droppedLogs}), ${accepted.length} written, ${s.flushErrors} failed writes`,
      )
      // Once per process: nothing else was warned about.
      expect(warnings.concat(takeWarnings())).toEqual([expect.stringContaining('ENOSPC')])
    }
  })

  it('opened on a disk already full: keeps O_DIRECT, reports ENOSPC to flush(), writes once space is freed', async () => {
    fs = mountLoopFs(32)
    const path = join(fs.dir, 'full-at-open.log')
    const ballast = fillUp(fs, 0)
    expect(freeBytes(fs.dir)).toBeLessThan(4 * KiB)
    const l = await open({ path, bufferSize: 64 * KiB, numShards: 2 })
    const errors = errorsOf(l)
    // No space is not a file system that refuses O_DIRECT.
    expect(l.getStatsSnapshot().directIO).toBe(true)
    for (let seq = 0; seq < 1000; seq++) expect(l.log(sequencedEntry('f', seq))).toBe(true)
    const failed = await l.flush().then(
      () => null,
      (e: IoError) => e,
    )
    expect(failed?.code).toBe('ENOSPC')
    expect(failed?.message).toContain(path)
    // An entry too large for a shard is written by the caller: with no room it is dropped, counted.
    expect(l.logBytes(Buffer.alloc(100 * KiB, 0x41))).toBe(false)
    expect(l.getStatsSnapshot().droppedLogs).toBe(1)
    await until(() => errors.length > 0, "an 'error' event")
    expect(errors.every((e) => e.code === 'ENOSPC')).toBe(true)

    unlinkSync(ballast)
    await within(l.flush(), 'flush() after space was freed')
    await within(l.close(), 'close()')
    const s = l.getStatsSnapshot()
    expect(s.directIO).toBe(true)
    expect(s.entriesWritten).toBe(1000)
    const t = tally(await entriesOf(path))
    expect(t.seqs.get('f')!.length).toBe(1000)
    expect(isPrefix(t.seqs.get('f')!)).toBe(true)
    expect((await verify(path)).problems).toEqual([])
  })
})

async function entriesOf(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString('utf8'))
  return out
}

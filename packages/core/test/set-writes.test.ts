import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { readEntries } from '../dist/index.js'
import { hasStrace, traceNodeWrites } from './support/strace-writes.js'

// The shards of a set that hold data go out together: one pwritev per flush (the iovec limit,
// 1024, is far above the 256 shards a set may have), and with a rotation size one per file the
// flush lands in. Observed as the kernel sees the writes (strace).

const dir = testDir('setwrites')
const fixture = fileURLToPath(new URL('./fixtures/shard-writes-child.mjs', import.meta.url))
const PER_THREAD = 20_000

interface Outcome {
  accepted: number
  stats: { flushes: number; rotations: number; entriesWritten: number; directIO: boolean }
}

async function entriesIn(paths: string[]): Promise<number> {
  let n = 0
  for (const p of paths) for await (const _ of readEntries(p)) n++
  return n
}

describe.skipIf(!hasStrace)('a set is written in as few pwritev calls as the iovec limit allows', () => {
  it('without rotation: one pwritev per flush, carrying every shard that holds data', async () => {
    const sub = mkdtempSync(join(dir, 'plain-'))
    const path = join(sub, 'set.log')
    const trace = traceNodeWrites([fixture, path, '0', String(PER_THREAD)], path, dir)
    const { accepted, stats } = JSON.parse(trace.stdout.trim()) as Outcome
    expect(stats.directIO).toBe(true)
    expect(accepted).toBe(4 * PER_THREAD)
    expect(stats.entriesWritten).toBe(accepted)
    const direct = trace.writes.filter((w) => trace.directFds.has(w.fd))
    expect(direct.length).toBe(stats.flushes)
    // Four writers, one shard each: a set swapped by one of them holds the others' entries too.
    expect(direct.some((w) => w.iovecs >= 2)).toBe(true)
    expect(await entriesIn([path])).toBe(accepted)
  })

  it('with a rotation size: the blocks that fit the current file go out together', async () => {
    const sub = mkdtempSync(join(dir, 'rotated-'))
    const base = join(sub, 'series.log')
    const limit = 1024 * 1024
    // The series' files only: the probe of O_DIRECT at open writes a file of its own beside them.
    const trace = traceNodeWrites(
      [fixture, base, String(limit), String(PER_THREAD)],
      join(sub, 'series.'),
      dir,
    )
    const { accepted, stats } = JSON.parse(trace.stdout.trim()) as Outcome
    expect(stats.directIO).toBe(true)
    expect(accepted).toBe(4 * PER_THREAD)
    expect(stats.entriesWritten).toBe(accepted)
    // 80 000 entries of 38 bytes on average are 2.9 MiB: three files of at most 1 MiB at least,
    // more when flushes pad partly filled shards (how full they are depends on timing).
    expect(stats.rotations).toBeGreaterThanOrEqual(2)
    const direct = trace.writes.filter((w) => trace.directFds.has(w.fd))
    // A set (512 KiB) is smaller than the rotation size: a flush is one write, or two when the
    // file fills up in the middle of it. One write per block would be several per flush.
    expect(direct.length).toBeLessThanOrEqual(stats.flushes + stats.rotations)
    expect(direct.some((w) => w.iovecs >= 2)).toBe(true)
    const files = readdirSync(sub)
      .filter((f) => f.startsWith('series.'))
      .map((f) => join(sub, f))
    expect(files.length).toBe(stats.rotations + 1)
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(limit)
    expect(await entriesIn(files)).toBe(accepted)
  })
})

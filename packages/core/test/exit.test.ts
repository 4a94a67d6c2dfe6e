import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runNode as run } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import { verify } from '../dist/index.js'
import { decodeFramed } from './support/framed-decoder.js'

// Child processes log and leave in every way a process can: process.exit(), an uncaught exception,
// an unhandled rejection, the natural end, close() (twice). The exit hook must have written every
// entry log() accepted; the parent decodes the file with a reader of its own.

const dir = testDir('test')
let fileCounter = 0
const nextPath = (): string => join(dir, `exit-${fileCounter++}.log`)

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url))

/**
 * Groups entries `<thread> <seq> ...` by thread and checks that each thread's sequence numbers
 * are exactly 0, 1, 2, ... (every entry once, in order). Returns each thread's count.
 */
function countPerThread(entries: string[]): Map<string, number> {
  const next = new Map<string, number>()
  const problems: string[] = []
  for (const e of entries) {
    const [thread, seqText] = e.split(' ')
    const seq = Number(seqText)
    const want = next.get(thread!) ?? 0
    if (seq !== want && problems.length < 10)
      problems.push(`${thread}: expected ${want}, got ${e.slice(0, 40)}`)
    next.set(thread!, seq + 1)
  }
  expect(problems).toEqual([])
  return next
}

async function checkChildFile(path: string, expected: Record<string, number>): Promise<string[]> {
  const report = await verify(path)
  expect(report.problems).toEqual([])
  const entries = decodeFramed(path)
  expect(report.entries).toBe(entries.length)
  expect(Object.fromEntries(countPerThread(entries))).toEqual(expected)
  // The payload of every `c` entry is intact.
  for (const e of entries) {
    if (!e.startsWith('c ')) continue
    const seq = Number(e.split(' ')[1])
    if (e !== `c ${seq} ${'z'.repeat(seq % 41)}`) throw new Error(`damaged entry ${e.slice(0, 60)}`)
  }
  return entries
}

const noLossWarning = (stderr: string): void => {
  expect(stderr).not.toMatch(/may be lost|flush at exit failed|not accepted/)
}

describe('entries logged before the process leaves are in the file', () => {
  it.each(['small', 'default'])(
    '(a) process.exit(0) right after logging 100k entries [%s sets]',
    async (config) => {
      const path = nextPath()
      const r = await run([fixture('exit-child.mjs'), 'exit', path, config])
      expect(r.stderr).not.toMatch(/Error/)
      noLossWarning(r.stderr)
      expect(r.code).toBe(0)
      await checkChildFile(path, { c: 100_000 })
    },
  )

  it.each(['small', 'default'])(
    '(b) uncaught exception after logging 100k entries [%s sets]',
    async (config) => {
      const path = nextPath()
      const r = await run([fixture('exit-child.mjs'), 'throw', path, config])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('child-boom: uncaught exception after logging')
      noLossWarning(r.stderr)
      await checkChildFile(path, { c: 100_000 })
    },
  )

  it('(b2) unhandled rejection after logging 100k entries', async () => {
    const path = nextPath()
    const r = await run([fixture('exit-child.mjs'), 'reject', path, 'small'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('child-boom: unhandled rejection after logging')
    noLossWarning(r.stderr)
    await checkChildFile(path, { c: 100_000 })
  })

  it.each(['small', 'default'])('(c) the program simply ends without close() [%s sets]', async (config) => {
    const path = nextPath()
    const r = await run([fixture('exit-child.mjs'), 'end', path, config])
    expect(r.hung, 'the child never exited: something the logger holds keeps the event loop alive').toBe(
      false,
    )
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    await checkChildFile(path, { c: 100_000 })
  })

  it('(d) two attached workers and the main thread log, then the main thread calls process.exit()', async () => {
    const path = nextPath()
    const r = await run([fixture('exit-workers-child.mjs'), path, 'done'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout.trim())).toEqual({ w1: 50_000, w2: 50_000 })
    await checkChildFile(path, { m: 100_000, w1: 50_000, w2: 50_000 })
  })

  it('(d2) process.exit() while two workers are still logging: every accepted entry, gap-free, in order', async () => {
    const path = nextPath()
    const r = await run([fixture('exit-workers-child.mjs'), path, 'midway'])
    expect(r.stderr).not.toMatch(/failed|not accepted/)
    expect(r.code).toBe(0)
    // How many log() calls each worker saw return true before the exit cut it off.
    const accepted = JSON.parse(r.stdout.trim()) as { w1: number; w2: number }
    const report = await verify(path)
    expect(report.problems).toEqual([])
    // countPerThread fails on any gap, duplicate or reordering.
    const counts = countPerThread(decodeFramed(path))
    expect([...counts.keys()].sort()).toEqual(['m', 'w1', 'w2'])
    expect(counts.get('m')).toBe(100_000)
    for (const w of ['w1', 'w2'] as const) {
      expect(accepted[w]).toBeGreaterThan(20_000)
      // Every accepted entry is in the file; at most one more (accepted as the counter was read).
      expect(counts.get(w)).toBeGreaterThanOrEqual(accepted[w])
      expect(counts.get(w)).toBeLessThanOrEqual(accepted[w] + 1)
    }
  })

  it('close() twice (and a third time): idempotent, same promise, clean exit, later logs dropped', async () => {
    const path = nextPath()
    const r = await run([fixture('exit-child.mjs'), 'close-twice', path, 'small'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout.trim()) as {
      samePromise: boolean
      closed: boolean
      late: boolean
      lateBytes: boolean
      stats: { totalLogs: number; droppedLogs: number; entriesWritten: number; flushErrors: number }
    }
    expect(out.samePromise).toBe(true)
    expect(out.closed).toBe(true)
    expect(out.late).toBe(false)
    expect(out.lateBytes).toBe(false)
    expect(out.stats).toMatchObject({
      droppedLogs: 2,
      entriesWritten: 100_000,
      totalLogs: 100_002,
      flushErrors: 0,
    })
    const entries = await checkChildFile(path, { c: 100_000 })
    expect(entries.some((e) => e.startsWith('late'))).toBe(false)
  })
})

import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { verify } from '../dist/index.js'

// The hot path allocates nothing: 1,000,000 log calls after a warm-up cause no garbage
// collection in the logging thread. Measured in a child process (a fresh heap, --expose-gc,
// nothing else running in its isolate) with a PerformanceObserver on 'gc' entries; a control run
// that allocates a Buffer per call shows the observer does see collections.

const dir = testDir('test')
let fileCounter = 0
const nextPath = (): string => join(dir, `gc-${fileCounter++}.log`)

const GC_CHILD = fileURLToPath(new URL('./fixtures/gc-child.mjs', import.meta.url))

interface GcReport {
  mode: string
  calls: number
  accepted: number
  gcEvents: number
  kinds: Record<string, number>
  heapUsedDelta: number
  entriesWritten: number
  droppedLogs: number
}

function measure(mode: 'bytes' | 'string' | 'alloc', path: string): Promise<GcReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', GC_CHILD, mode, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 100_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`gc child (${mode}) exited with ${code}: ${stderr}`))
      else resolve(JSON.parse(stdout.trim()) as GcReport)
    })
  })
}

const reports: GcReport[] = []
afterAll(() => {
  // For the record (heapUsed is sampled around the loop; it includes unrelated engine bookkeeping).
  for (const r of reports) {
    console.log(
      `[zero-alloc] ${r.mode}: ${r.gcEvents} GC events during ${r.calls} calls, heapUsed delta ${r.heapUsedDelta} bytes`,
    )
  }
})

async function run(mode: 'bytes' | 'string' | 'alloc'): Promise<GcReport> {
  const path = nextPath()
  const report = await measure(mode, path)
  reports.push(report)
  expect(report.accepted).toBe(1_000_000)
  expect(report.droppedLogs).toBe(0)
  // Warm-up (200 000) + measured calls, all in the file.
  expect(report.entriesWritten).toBe(1_200_000)
  const check = await verify(path)
  expect(check.problems).toEqual([])
  expect(check.entries).toBe(1_200_000)
  expect(check.entryBytes).toBe(1_200_000 * 171)
  rmSync(path)
  return report
}

describe('no allocation on the hot path', () => {
  it('1,000,000 logBytes calls of one reused 171-byte buffer trigger no GC', async () => {
    const r = await run('bytes')
    expect(r.gcEvents, JSON.stringify(r)).toBe(0)
    // Nothing collected, so any per-call allocation would show as heap growth (16+ MB at 16 bytes a call).
    expect(r.heapUsedDelta).toBeLessThan(4 * 1024 * 1024)
  })

  it('1,000,000 log calls of one constant string trigger no GC', async () => {
    const r = await run('string')
    expect(r.gcEvents, JSON.stringify(r)).toBe(0)
    expect(r.heapUsedDelta).toBeLessThan(4 * 1024 * 1024)
  })

  it('control: allocating a Buffer per call does show GC events', async () => {
    const r = await run('alloc')
    expect(r.gcEvents).toBeGreaterThan(0)
  })
})

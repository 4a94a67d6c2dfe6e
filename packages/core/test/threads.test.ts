import { join } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { attach, createLogger, type Logger, type LoggerHandle, verify } from '../dist/index.js'
import { ACTIVE_GEN, SET_STATE } from '../dist/shared/control-block.js'
import { decodeFramed } from './support/framed-decoder.js'

// Many worker threads write into one logger through attach(handle). The file is decoded by an
// independent reader written from the format description (not the package's reader), and every
// entry is accounted for: each exactly once, and each thread's in the order it logged them.

const dir = testDir('test')
let fileCounter = 0
const nextPath = (): string => join(dir, `threads-${fileCounter++}.log`)

const WRITER = new URL('./fixtures/thread-writer.mjs', import.meta.url)

/**
 * Checks that the file holds, for every writer `w<id>` of `expected`, exactly the entries
 * 0..count-1, each once, in increasing order; `m <seq>` entries (main thread) likewise for `main`.
 * Fails on any other entry. Trailing spaces (the padding of fixed-width reused-buffer entries) are ignored.
 */
function checkEntries(entries: string[], expected: Map<number, number>, main = 0): void {
  const next = new Map<number, number>()
  let mainNext = 0
  const problems: string[] = []
  for (const raw of entries) {
    const e = raw.trimEnd()
    if (e.startsWith('m ')) {
      const seq = Number(e.slice(2, e.indexOf(' ', 2) === -1 ? undefined : e.indexOf(' ', 2)))
      if (seq !== mainNext && problems.length < 10) problems.push(`main: expected ${mainNext}, got ${e}`)
      mainNext = seq + 1
      continue
    }
    const m = /^w(\d+) (\d+) ?(x*)$/.exec(e)
    if (!m) {
      if (problems.length < 10) problems.push(`unexpected entry ${JSON.stringify(raw.slice(0, 80))}`)
      continue
    }
    const id = Number(m[1])
    const seq = Number(m[2])
    const want = next.get(id) ?? 0
    if (seq !== want && problems.length < 10) problems.push(`w${id}: expected seq ${want}, got ${seq}`)
    if (m[3]!.length !== seq % 53 && problems.length < 10) problems.push(`w${id} ${seq}: padding damaged`)
    next.set(id, seq + 1)
  }
  expect(problems).toEqual([])
  for (const [id, count] of expected) expect(next.get(id) ?? 0, `entries of w${id}`).toBe(count)
  expect([...next.keys()].filter((id) => !expected.has(id))).toEqual([])
  expect(mainNext, 'entries of the main thread').toBe(main)
  const total = [...expected.values()].reduce((a, b) => a + b, 0) + main
  expect(entries.length).toBe(total)
}

interface WorkerResult {
  id: number
  accepted: number
  rejected: number
  shard: number | null
}

interface WorkerSpec {
  id: number
  count: number
  mode: 'mixed' | 'reuse' | 'detach'
  afterDetach?: number
}

/**
 * Workers that have not finished after this long are stuck (each run takes seconds): they are
 * terminated and the test fails with the logger's state instead of running into the test timeout.
 */
const WORKERS_DEADLINE_MS = 90_000

function controlState(handle: LoggerHandle): string {
  const i32 = new Int32Array(handle.control)
  const gen = Atomics.load(i32, ACTIVE_GEN)
  const states = [Atomics.load(i32, SET_STATE), Atomics.load(i32, SET_STATE + 1)]
  return `active generation ${gen} (set ${gen & 1}), set states ${JSON.stringify(states)} (0 FREE, 1 ACTIVE, 2 PENDING, 3 FLUSHING, 4 QUARANTINED)`
}

/** Starts one worker per spec; resolves with their reports once every one has exited cleanly. */
function runWorkers(handle: LoggerHandle, specs: WorkerSpec[]): Promise<WorkerResult[]> {
  const workers: Worker[] = []
  let finished = 0
  const all = Promise.all(
    specs.map(
      (spec) =>
        new Promise<WorkerResult>((resolve, reject) => {
          const worker = new Worker(WRITER, { workerData: { handle, ...spec } })
          workers.push(worker)
          let result: WorkerResult | undefined
          worker.on('message', (m: WorkerResult) => {
            result = m
          })
          worker.on('error', reject)
          worker.on('exit', (code) => {
            finished++
            if (code !== 0) reject(new Error(`worker ${spec.id} exited with code ${code}`))
            else if (!result) reject(new Error(`worker ${spec.id} exited without a report`))
            else resolve(result)
          })
        }),
    ),
  )
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const state = controlState(handle)
      for (const w of workers) void w.terminate()
      reject(
        new Error(
          `writers stuck: ${specs.length - finished} of ${specs.length} workers never finished; ${state}`,
        ),
      )
    }, WORKERS_DEADLINE_MS)
  })
  return Promise.race([all, deadline]).finally(() => clearTimeout(timer))
}

/** Expected writeCount per shard: writers take shards round robin, the logger's own writer first. */
function expectedShardCounts(numShards: number, counts: number[], mainCount: number): number[] {
  const out = new Array<number>(numShards).fill(0)
  out[0]! += mainCount
  counts.forEach((count, k) => {
    out[(k + 1) % numShards]! += count
  })
  return out
}

async function closeAndCheck(
  logger: Logger,
  expected: Map<number, number>,
  main = 0,
): Promise<{ entries: string[] }> {
  await logger.close()
  const report = await verify(logger.path)
  expect(report.problems).toEqual([])
  const entries = decodeFramed(logger.path, 'latin1')
  expect(report.entries).toBe(entries.length)
  checkEntries(entries, expected, main)
  const stats = logger.getStatsSnapshot()
  expect(stats.droppedLogs).toBe(0)
  expect(stats.entriesWritten).toBe(entries.length)
  expect(stats.totalLogs).toBe(entries.length)
  return { entries }
}

describe('worker threads share one logger through attach(handle)', () => {
  it.each([
    { workers: 8, perWorker: 40_000, bufferSize: 1 << 20, numShards: 8 },
    { workers: 50, perWorker: 6_000, bufferSize: 2 << 20, numShards: 16 },
  ])(
    '$workers workers x $perWorker entries: every entry exactly once, each thread in order',
    async ({ workers, perWorker, bufferSize, numShards }) => {
      const logger = await createLogger({
        format: 'framed',
        path: nextPath(),
        bufferSize,
        numShards,
        flushInterval: 200,
      })
      const specs: WorkerSpec[] = Array.from({ length: workers }, (_, id) => ({
        id,
        count: perWorker,
        mode: 'mixed',
      }))
      const results = await runWorkers(logger.handle, specs)
      for (const r of results) {
        expect(r.accepted).toBe(perWorker)
        expect(r.rejected).toBe(0)
      }
      const expected = new Map(specs.map((s) => [s.id, s.count]))
      await closeAndCheck(logger, expected)
      // Small buffer sets: the run went through many swaps, not one flush at close.
      expect(logger.getStatsSnapshot().setSwaps).toBeGreaterThan(5)
      // Shard affinity: writers were handed shards round robin; each shard took exactly its
      // writers' entries.
      const shardCounts = logger.getShardStats().map((s) => s.writeCount)
      expect(shardCounts).toEqual(
        expectedShardCounts(
          numShards,
          specs.map((s) => s.count),
          0,
        ),
      )
    },
  )

  it('main thread logs concurrently with 8 workers', async () => {
    const logger = await createLogger({
      format: 'framed',
      path: nextPath(),
      bufferSize: 1 << 20,
      numShards: 8,
    })
    const specs: WorkerSpec[] = Array.from({ length: 8 }, (_, id) => ({ id, count: 30_000, mode: 'mixed' }))
    let workersDone = false
    const running = runWorkers(logger.handle, specs).finally(() => {
      workersDone = true
    })
    let mainCount = 0
    // Log in slices, yielding to the event loop so the workers' reports can arrive; stop a little
    // after the workers finish (at least 50 000 entries, so the two really overlap).
    while (!workersDone || mainCount < 50_000) {
      for (let k = 0; k < 1000; k++) {
        const text = `m ${mainCount} ${'y'.repeat(mainCount % 31)}`
        const ok = mainCount % 3 === 0 ? logger.logBytes(Buffer.from(text)) : logger.log(text)
        expect(ok).toBe(true)
        mainCount++
      }
      await yieldToLoop()
    }
    const results = await running
    for (const r of results) expect(r.accepted).toBe(30_000)
    await closeAndCheck(logger, new Map(specs.map((s) => [s.id, s.count])), mainCount)
    expect(logger.getShardStats().map((s) => s.writeCount)).toEqual(
      expectedShardCounts(
        8,
        specs.map((s) => s.count),
        mainCount,
      ),
    )
  })

  it('workers that reuse one Buffer for every logBytes call', async () => {
    const logger = await createLogger({
      format: 'framed',
      path: nextPath(),
      bufferSize: 1 << 20,
      numShards: 4,
    })
    const specs: WorkerSpec[] = [
      { id: 0, count: 60_000, mode: 'reuse' },
      { id: 1, count: 60_000, mode: 'reuse' },
      { id: 2, count: 60_000, mode: 'mixed' },
      { id: 3, count: 60_000, mode: 'reuse' },
      { id: 4, count: 60_000, mode: 'reuse' },
    ]
    const results = await runWorkers(logger.handle, specs)
    for (const r of results) expect(r.accepted).toBe(60_000)
    const { entries } = await closeAndCheck(logger, new Map(specs.map((s) => [s.id, s.count])))
    // Each reused-buffer entry is the full 96-byte buffer as it was at the call, never a later state.
    const reused = entries.filter((e) => /^w[0134] /.test(e))
    expect(reused.length).toBe(240_000)
    expect(reused.every((e) => e.length === 96 && !e.includes('#'))).toBe(true)
  })

  it('different workers land on different shards', async () => {
    const numShards = 8
    const logger = await createLogger({ format: 'framed', path: nextPath(), bufferSize: 1 << 20, numShards })
    // Seven workers of very different volumes next to the logger's own writer (shard 0): if
    // entries were spread per message instead of per thread, every shard would get about the same.
    const counts = [1000, 2000, 3000, 4000, 5000, 6000, 7000]
    const specs: WorkerSpec[] = counts.map((count, id) => ({ id, count, mode: 'mixed' }))
    const results = await runWorkers(logger.handle, specs)
    for (const r of results) expect(r.accepted).toBe(counts[r.id])
    // All seven on distinct shards, none on the logger's own.
    const shards = results.map((r) => r.shard)
    if (shards.every((s) => s !== null)) {
      expect(new Set(shards).size).toBe(7)
      expect(shards).not.toContain(0)
    }
    await closeAndCheck(logger, new Map(specs.map((s) => [s.id, s.count])))
    const writeCounts = logger.getShardStats().map((s) => s.writeCount)
    expect(writeCounts[0]).toBe(0)
    expect([...writeCounts.slice(1)].sort((a, b) => a - b)).toEqual(counts)
  })

  it('attach() with a bad handle rejects with TypeError', async () => {
    const logger = await createLogger({ format: 'framed', path: nextPath(), bufferSize: 1 << 20 })
    try {
      const good = logger.handle
      const bad: unknown[] = [
        undefined,
        null,
        42,
        'handle',
        {},
        { ...good, kind: 'something else' },
        { ...good, version: 2 },
        { ...good, control: new ArrayBuffer(64) },
        { ...good, memory: undefined },
        logger,
      ]
      for (const h of bad) {
        await expect(attach(h as LoggerHandle), `attach(${String(h)})`).rejects.toThrow(TypeError)
        await expect(attach(h as LoggerHandle)).rejects.toMatchObject({
          code: 'ASYNCDIRECT_INVALID_ARGUMENT',
        })
      }
      // The good handle still attaches, in this thread too.
      const writer = await attach(good)
      expect(writer.log('attached in main')).toBe(true)
      await logger.close()
      expect(decodeFramed(logger.path, 'latin1')).toEqual(['attached in main'])
    } finally {
      await logger.close()
    }
  })

  it('detach(): later calls return false, are counted as dropped, and never reach the file', async () => {
    const logger = await createLogger({
      format: 'framed',
      path: nextPath(),
      bufferSize: 1 << 20,
      numShards: 4,
    })
    const specs: WorkerSpec[] = [
      { id: 0, count: 500, mode: 'detach', afterDetach: 7 },
      { id: 1, count: 300, mode: 'detach', afterDetach: 11 },
    ]
    const results = await runWorkers(logger.handle, specs)
    const byId = new Map(results.map((r) => [r.id, r]))
    expect(byId.get(0)).toMatchObject({ accepted: 500, rejected: 7 })
    expect(byId.get(1)).toMatchObject({ accepted: 300, rejected: 11 })
    expect(logger.getStatsSnapshot().droppedLogs).toBe(18)

    // The same in this thread: the logger itself is unaffected by a writer's detach.
    const writer = await attach(logger.handle)
    expect(writer.log('w9 0 ')).toBe(true)
    writer.detach()
    expect(writer.log('after-detach main')).toBe(false)
    expect(writer.logBytes(Buffer.from('after-detach main'))).toBe(false)
    expect(logger.log('m 0 ')).toBe(true)

    await logger.close()
    const stats = logger.getStatsSnapshot()
    expect(stats.droppedLogs).toBe(20)
    expect(stats.totalLogs).toBe(500 + 300 + 1 + 1 + 20)
    const entries = decodeFramed(logger.path, 'latin1')
    expect(entries.some((e) => e.startsWith('after-detach'))).toBe(false)
    checkEntries(
      entries,
      new Map([
        [0, 500],
        [1, 300],
        [9, 1],
      ]),
      1,
    )
  })
})

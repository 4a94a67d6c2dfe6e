import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { type LogFormat, type Logger, readEntries, verify } from '../dist/index.js'
import { FAULT_STEPS, type FaultStep } from '../dist/shared/fault-points.js'
// @ts-expect-error: a plain ES module shared with the worker fixtures, without types
import { doomedEntry, healthyEntry } from './fixtures/death-entries.mjs'
import { until, within } from './support/deadlines.js'
import { open, tempPath } from './support/temp-loggers.js'

// A writer thread terminated (worker.terminate()) at each step of the write paths in turn: the
// doomed thread stops at the step (src/shared/fault-points.ts) and is terminated there, while the owner
// thread and, in the second setting, two more worker threads log before and after it.
//
// After each case: close() settles; the file verifies; every entry is byte-exact; every healthy
// thread's entries are all there, once each and in order; the doomed thread's entries are all
// there up to the one it was writing, which is either whole or absent and counted as abandoned.

const KiB = 1024
const DOOMED = new URL('./fixtures/doomed-writer.mjs', import.meta.url)
const HEALTHY = new URL('./fixtures/healthy-writer.mjs', import.meta.url)
/** Liveness bounds: each of these takes milliseconds; past them, it never happens. */
const DEADLINE_MS = 30_000

const OVERSIZE_EVERY = 10
const MAIN_BEFORE = 50
const MAIN_AFTER = 100
const WORKER_BEFORE = 200
const WORKER_AFTER = 200

interface Setting {
  name: string
  /** Healthy worker threads besides the owner thread. */
  workers: number
  numShards: number
}

const SETTINGS: Setting[] = [
  // One shard: the owner thread's entries follow the doomed thread's in the same shard.
  { name: 'one other writer', workers: 0, numShards: 1 },
  // Two shards, four writers: the doomed thread shares its shard with a healthy worker.
  { name: 'three other writers', workers: 2, numShards: 2 },
]

/** Steps at which the dead thread leaves a reservation it never committed: those before 'committed'. */
const OPEN_RESERVATION: ReadonlySet<FaultStep> = new Set(
  FAULT_STEPS.slice(0, FAULT_STEPS.indexOf('committed')),
)

const FRAMED_ONLY: ReadonlySet<FaultStep> = new Set(['length-pending', 'length-stored'])

function oversizeStep(step: FaultStep): boolean {
  return step.startsWith('oversize-') || step.startsWith('io-')
}

/** Which passage of the step the doomed thread dies at. */
function hitFor(step: FaultStep): number {
  if (step === 'swap-unsealing') return 1 // after the first shard of the first swap it makes
  if (oversizeStep(step)) return 2 // the second entry larger than a shard
  return 40
}

interface Outcome {
  accepted: number
  abandoned: number
}

async function dieAt(step: FaultStep, format: LogFormat, setting: Setting): Promise<Outcome> {
  const path = tempPath()
  const logger: Logger = await open({
    path,
    format,
    bufferSize: setting.numShards * 64 * KiB,
    numShards: setting.numShards,
    flushTimeout: 20,
  })
  const workers: Worker[] = []
  const warnings: { type: string; entries?: number }[] = []
  logger.on('warning', (w) => warnings.push(w))
  try {
    // Healthy workers attach first, then the doomed one: with two shards the doomed thread shares
    // shard 1 with the first healthy worker, the owner thread shard 0 with the second.
    const healthy: { worker: Worker; messages: { phase: string }[] }[] = []
    for (let w = 0; w < setting.workers; w++) {
      const worker = new Worker(HEALTHY, {
        workerData: { handle: logger.handle, who: `h${w}`, before: WORKER_BEFORE, after: WORKER_AFTER },
      })
      workers.push(worker)
      const messages: { phase: string }[] = []
      worker.on('message', (m) => messages.push(m))
      healthy.push({ worker, messages })
      await until(() => messages.length === 1, `healthy worker h${w} attached`, DEADLINE_MS)
    }
    const accepted = new Int32Array(new SharedArrayBuffer(4))
    const signal = new Int32Array(new SharedArrayBuffer(8))
    const doomed = new Worker(DOOMED, {
      workerData: {
        handle: logger.handle,
        step,
        hit: hitFor(step),
        accepted,
        signal,
        count: 5000,
        oversizeEvery: oversizeStep(step) ? OVERSIZE_EVERY : 0,
      },
    })
    workers.push(doomed)
    const doomedErrors: Error[] = []
    doomed.on('error', (e) => doomedErrors.push(e))

    for (let i = 0; i < MAIN_BEFORE; i++) expect(logger.log(healthyEntry('m', i))).toBe(true)
    for (const h of healthy) h.worker.postMessage('go')
    await until(
      () => Atomics.load(signal, 0) !== 0 || doomedErrors.length > 0,
      `the doomed writer reached ${step}`,
      DEADLINE_MS,
    )
    expect(doomedErrors).toEqual([])
    expect(Atomics.load(signal, 0), `the doomed writer never passed ${step} ${hitFor(step)} times`).toBe(1)
    await doomed.terminate()
    const known = Atomics.load(accepted, 0)

    for (const h of healthy)
      await until(() => h.messages.length === 2, 'a healthy worker logged its first entries', DEADLINE_MS)
    for (let i = MAIN_BEFORE; i < MAIN_BEFORE + MAIN_AFTER; i++) {
      expect(logger.log(healthyEntry('m', i))).toBe(true)
    }
    for (const h of healthy) h.worker.postMessage('go')
    for (const h of healthy) {
      await until(() => h.messages.length === 3, 'a healthy worker logged its last entries', DEADLINE_MS)
      expect(h.messages[2]).toEqual({ phase: 'after', accepted: WORKER_BEFORE + WORKER_AFTER })
    }
    await within(logger.close(), `close() after the writer died at ${step}`, DEADLINE_MS)

    expect((await verify(path)).problems).toEqual([])
    const seen = new Map<string, number[]>()
    for await (const entry of readEntries(path)) {
      const text = entry.toString('latin1')
      const [who, seqText] = text.split(' ', 2) as [string, string]
      const seq = Number(seqText)
      const expected =
        who === 'd' ? doomedEntry(seq, oversizeStep(step) ? OVERSIZE_EVERY : 0) : healthyEntry(who, seq)
      if (text !== expected) expect.fail(`entry ${text.slice(0, 40)}… (${text.length} bytes) is damaged`)
      const list = seen.get(who) ?? []
      list.push(seq)
      seen.set(who, list)
    }
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i)
    expect(seen.get('m')).toEqual(upTo(MAIN_BEFORE + MAIN_AFTER))
    for (let w = 0; w < setting.workers; w++)
      expect(seen.get(`h${w}`)).toEqual(upTo(WORKER_BEFORE + WORKER_AFTER))
    // The doomed thread: everything log() accepted, then the entry it died writing, or not.
    const doomedSeqs = seen.get('d') ?? []
    const whole = doomedSeqs.length === known + 1
    expect(doomedSeqs).toEqual(upTo(whole ? known + 1 : known))
    const { abandonedEntries } = logger.getStatsSnapshot()
    expect(
      abandonedEntries,
      `abandoned entries when the entry it died writing is ${whole ? 'whole' : 'absent'}`,
    ).toBe(whole ? 0 : 1)
    // Said as events on the logger, not as process warnings (warning-guard.ts fails on those).
    const abandonedEvents = warnings.filter((w) => w.type === 'abandoned')
    expect(abandonedEvents.reduce((n, w) => n + (w.entries ?? 0), 0)).toBe(abandonedEntries)
    // A reservation never committed keeps its buffers from being freed, and close() says so.
    expect(warnings.filter((w) => w.type === 'leak').length).toBe(OPEN_RESERVATION.has(step) ? 1 : 0)
    return { accepted: known, abandoned: abandonedEntries }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()))
  }
}

describe('a writer thread terminated at each step of an entry', () => {
  for (const setting of SETTINGS) {
    for (const format of ['framed', 'lines'] as const) {
      for (const step of FAULT_STEPS) {
        if (format === 'lines' && FRAMED_ONLY.has(step)) continue
        it(`${format}, ${setting.name}: dies at ${step}`, async () => {
          await dieAt(step, format, setting)
        })
      }
    }
  }
})

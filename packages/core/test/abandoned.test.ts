import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { attach, createLogger, type Logger, type LoggerHandle, verify } from '../dist/index.js'
import { ACTIVE_GEN, COMMITTED, COUNT, RESERVED, SET_STATE, shardWord } from '../dist/shared/control-block.js'
import { loadNative } from '../dist/shared/native-library.js'
import { decodeFramed } from './support/framed-decoder.js'

// A writer that reserved space and never committed (it died, or is very slow) must neither hang a
// flush nor corrupt a block, and is counted. The test plays that writer itself: it takes a
// reservation in a shard with one compare-and-swap on the shard's RESERVED word, exactly as
// entry-writer.ts does, writes (or not) the record's length word into the shard memory, and then
// does not commit.

const dir = testDir('test')
let fileCounter = 0
const nextPath = (): string => join(dir, `abandoned-${fileCounter++}.log`)

const ATTACHED_LOGGER = new URL('./fixtures/attached-logger.mjs', import.meta.url)
const KiB = 1024
/** Bit 31 of a record's length word: the writer is still copying (entry-writer.ts). */
const IN_PROGRESS = 0x80000000

/** Liveness bound: these operations take milliseconds; one that takes this long is stuck. */
const STUCK_MS = 30_000

function within<T>(promise: Promise<T>, what: string, state: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not complete in ${STUCK_MS} ms; ${state()}`)),
      STUCK_MS,
    )
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

function controlState(handle: LoggerHandle): string {
  const i32 = new Int32Array(handle.control)
  const gen = Atomics.load(i32, ACTIVE_GEN)
  const states = [Atomics.load(i32, SET_STATE), Atomics.load(i32, SET_STATE + 1)]
  const n = handle.memory.numShards
  const words = [0, 1].map((s) =>
    Array.from({ length: n }, (_, i) =>
      (Atomics.load(i32, shardWord(n, s, i) + RESERVED) >>> 0).toString(16),
    ),
  )
  return `active generation ${gen} (set ${gen & 1}); set states ${JSON.stringify(states)} (0 FREE, 1 ACTIVE, 2 PENDING, 3 FLUSHING, 4 QUARANTINED); RESERVED words ${JSON.stringify(words)}`
}

/** Logs from a worker thread (a blocked log() there cannot block the test); resolves with the count accepted. */
function logFromWorker(handle: LoggerHandle, prefix: string, count: number, pad = 0): Promise<number> {
  const worker = new Worker(ATTACHED_LOGGER, { workerData: { handle, prefix, count, pad } })
  const done = new Promise<number>((resolve, reject) => {
    worker.once('message', (m: { accepted: number }) => resolve(m.accepted))
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) without a report`)))
  })
  return within(done, `logging ${count} entries from a worker thread`, () => controlState(handle)).finally(
    () => void worker.terminate(),
  )
}

/** The shard `logOne` writes into: the one whose writeCount went up. */
function shardOf(logger: Logger, logOne: () => boolean): number {
  const before = logger.getShardStats().map((s) => s.writeCount)
  expect(logOne()).toBe(true)
  const after = logger.getShardStats().map((s) => s.writeCount)
  const moved = after.flatMap((c, i) => (c !== before[i] ? [i] : []))
  expect(moved.length).toBe(1)
  return moved[0]!
}

interface FakeWriter {
  set: number
  start: number
  /** Finishes the copy and commits, as a slow writer eventually would. */
  finish(): void
}

/**
 * Reserves `size` bytes (length prefix included) in `shard` of the active set and leaves them
 * uncommitted. `lengthWord`: 'in-progress' writes the length with bit 31 set and the payload (a
 * writer interrupted mid-copy); 'none' leaves the reserved bytes zero (a writer that died right
 * after its compare-and-swap).
 */
function reserveUncommitted(
  logger: Logger,
  shard: number,
  lengthWord: 'in-progress' | 'none',
  payload: string,
): FakeWriter {
  const { control, memory } = logger.handle
  if (memory.kind === 'shared') throw new Error('this test needs native shard memory')
  const native = loadNative()
  if (!native.ok) throw new Error(native.reason)
  const i32 = new Int32Array(control)
  const n = memory.numShards
  const size = 4 + Buffer.byteLength(payload)
  let set = 0
  let start = 0
  let word = 0
  for (;;) {
    const gen = Atomics.load(i32, ACTIVE_GEN)
    set = gen & 1
    word = shardWord(n, set, shard)
    start = Atomics.load(i32, word + RESERVED)
    if (start < 0) throw new Error(`shard ${shard} of the active set is sealed`)
    if (start + size > memory.shardSize) throw new Error('shard full')
    if (Atomics.compareExchange(i32, word + RESERVED, start, start + size) === start) break
  }
  const mem = Buffer.from(native.lib.view(memory.addresses[set * n + shard]!, memory.shardSize))
  const len = size - 4
  if (lengthWord === 'in-progress') {
    mem.writeUInt32LE((len | IN_PROGRESS) >>> 0, start)
    mem.write(payload, start + 4, 'utf8')
  }
  return {
    set,
    start,
    finish() {
      mem.write(payload, start + 4, 'utf8')
      mem.writeUInt32LE(len, start)
      Atomics.add(i32, word + COUNT, 1)
      Atomics.add(i32, word + COMMITTED, size)
    },
  }
}

const seq = (prefix: string, count: number, pad = 0): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix} ${i} ${'p'.repeat(pad)}`)

/** `entries` filtered to those starting with `prefix ` equal `expected`, in order. */
function expectThread(entries: string[], prefix: string, expected: string[]): void {
  expect(entries.filter((e) => e.startsWith(`${prefix} `))).toEqual(expected)
}

const ABANDONED = 'ABANDONED-'.repeat(10)

/**
 * The scenario of the brief: the main thread (shard M) and two attached writers (other shards)
 * log; a fake writer reserves in shard M and never commits; everybody logs on; flush, a worker
 * fills the buffers several times over, close.
 */
async function abandonedScenario(lengthWord: 'in-progress' | 'none', holes = 1) {
  const path = nextPath()
  const logger = await createLogger({
    format: 'framed',
    path,
    bufferSize: 4 * 64 * KiB,
    numShards: 4,
    flushTimeout: 5,
    flushInterval: 3_600_000,
    writeDelay: 3_600_000,
  })
  const warnings: unknown[] = []
  logger.on('warning', (w) => warnings.push(w))
  const o1 = await attach(logger.handle)
  const o2 = await attach(logger.handle)
  const mainShard = shardOf(logger, () => logger.log('m 0 '))
  const o1Shard = shardOf(logger, () => o1.log('o1 0 '))
  const o2Shard = shardOf(logger, () => o2.log('o2 0 '))
  expect(new Set([mainShard, o1Shard, o2Shard]).size).toBe(3)

  for (let i = 1; i < 10; i++) {
    expect(logger.log(`m ${i} `)).toBe(true)
    expect(o1.log(`o1 ${i} `)).toBe(true)
  }
  const fake = reserveUncommitted(logger, mainShard, lengthWord, ABANDONED)
  for (let i = 10; i < 20; i++) {
    // A second hole, not next to the first: the walk cannot size two.
    if (holes > 1 && i === 15) reserveUncommitted(logger, mainShard, lengthWord, ABANDONED)
    expect(logger.log(`m ${i} `)).toBe(true)
    expect(o1.log(`o1 ${i} `)).toBe(true)
    expect(o2.log(`o2 ${i - 9} `)).toBe(true)
  }

  await within(logger.flush(), 'flush() with an uncommitted reservation', () => controlState(logger.handle))
  // Writers go on: a worker fills the buffer sets many times over (20 000 entries of ~110 bytes
  // through 256 KiB sets), with one set held by the reservation that never commits.
  expect(await logFromWorker(logger.handle, 'w', 20_000, 100)).toBe(20_000)
  for (let i = 20; i < 30; i++) expect(o1.log(`o1 ${i} `)).toBe(true)
  await within(logger.flush(), 'second flush()', () => controlState(logger.handle))
  await within(logger.close(), 'close()', () => controlState(logger.handle))

  const stats = logger.getStatsSnapshot()
  const report = await verify(path)
  const entries = decodeFramed(path)
  return { logger, fake, stats, report, entries, warnings }
}

describe('an abandoned reservation', () => {
  it('writer died mid-copy (length word with bit 31): flush and close complete, nothing else is lost', async () => {
    const { stats, report, entries, warnings } = await abandonedScenario('in-progress')
    expect(stats.abandonedEntries).toBe(1)
    expect(stats.flushErrors).toBe(0)
    expect(report.problems).toEqual([])
    expect(report.entries).toBe(entries.length)
    expect(entries.some((e) => e.includes('ABANDONED'))).toBe(false)
    // The record's length was known, so entries after it in the same shard are kept too.
    expectThread(
      entries,
      'm',
      Array.from({ length: 20 }, (_, i) => `m ${i} `),
    )
    expectThread(
      entries,
      'o1',
      Array.from({ length: 30 }, (_, i) => `o1 ${i} `),
    )
    expectThread(
      entries,
      'o2',
      Array.from({ length: 11 }, (_, i) => `o2 ${i} `),
    )
    expectThread(entries, 'w', seq('w', 20_000, 100))
    expect(entries.length).toBe(20 + 30 + 11 + 20_000)
    expect(stats.entriesWritten).toBe(entries.length)
    expect(warnings).toContainEqual(expect.objectContaining({ type: 'abandoned' }))
  })

  it('writer died before writing the length word: flush and close complete, every other entry kept', async () => {
    const { stats, report, entries } = await abandonedScenario('none')
    // The hole's length was never stored; being the only unfinished record of its shard, its size
    // is what the committed bytes leave over, and the walk goes on after it (late-records.ts).
    expect(stats.abandonedEntries).toBe(1)
    expect(stats.flushErrors).toBe(0)
    expect(report.problems).toEqual([])
    expect(report.entries).toBe(entries.length)
    expect(entries.some((e) => e.includes('ABANDONED'))).toBe(false)
    expectThread(
      entries,
      'm',
      Array.from({ length: 20 }, (_, i) => `m ${i} `),
    )
    expectThread(
      entries,
      'o1',
      Array.from({ length: 30 }, (_, i) => `o1 ${i} `),
    )
    expectThread(
      entries,
      'o2',
      Array.from({ length: 11 }, (_, i) => `o2 ${i} `),
    )
    expectThread(entries, 'w', seq('w', 20_000, 100))
    expect(stats.entriesWritten).toBe(entries.length)
    expect(stats.totalLogs - stats.droppedLogs - stats.entriesWritten).toBe(0)
  })

  it('two records without a length in one shard: what follows them is lost, and counted', async () => {
    // log() returned true for m 10..19; whatever of them is not in the file must show in the
    // statistics (abandonedEntries), not vanish silently.
    const { stats, entries } = await abandonedScenario('none', 2)
    const main = entries.filter((e) => e.startsWith('m '))
    expect(main).toEqual(Array.from({ length: 10 }, (_, i) => `m ${i} `))
    const lostAccepted = stats.totalLogs - stats.droppedLogs - stats.entriesWritten
    expect(lostAccepted).toBe(10)
    // The first hole and the ten entries after it (the second hole never counted itself).
    expect(stats.abandonedEntries).toBe(11)
  })

  it('a slow writer that commits after the flush stopped waiting: its entry is written late, once', async () => {
    const path = nextPath()
    // flushTimeout 50: a flush waits 50 ms, and gives up on a late record only after seconds.
    const logger = await createLogger({
      format: 'framed',
      path,
      bufferSize: 2 * 64 * KiB,
      numShards: 2,
      flushTimeout: 50,
      flushInterval: 3_600_000,
      writeDelay: 3_600_000,
    })
    const mainShard = shardOf(logger, () => logger.log('a'))
    const slow = reserveUncommitted(logger, 1 - mainShard, 'in-progress', 'slow record')
    expect(logger.log('b')).toBe(true)
    await within(logger.flush(), 'flush() while a writer is still copying', () => controlState(logger.handle))
    slow.finish()
    expect(logger.log('c')).toBe(true)
    await within(logger.flush(), 'flush() after the slow writer committed', () => controlState(logger.handle))
    await within(logger.close(), 'close()', () => controlState(logger.handle))
    const stats = logger.getStatsSnapshot()
    expect(stats.abandonedEntries).toBe(0)
    const entries = decodeFramed(path)
    expect([...entries].sort()).toEqual(['a', 'b', 'c', 'slow record'])
    expect(entries.filter((e) => e !== 'slow record')).toEqual(['a', 'b', 'c'])
    expect((await verify(path)).ok).toBe(true)
  })

  it('an in-place flush that times out on a slow writer does not leave the active set unusable', async () => {
    // Once a hang: with one set quarantined (a writer still copying into it), a flush of the
    // active set happens in place; a second slow writer made that flush time out and quarantine
    // the ACTIVE set, which was later reset to FREE (sealed) while ACTIVE_GEN still named it, and
    // every later log() blocked forever.
    const path = nextPath()
    const logger = await createLogger({
      format: 'framed',
      path,
      bufferSize: 2 * 64 * KiB,
      numShards: 2,
      flushTimeout: 50,
      flushInterval: 3_600_000,
      writeDelay: 3_600_000,
    })
    const warnings: { type: string }[] = []
    logger.on('warning', (w) => warnings.push(w))
    const mainShard = shardOf(logger, () => logger.log('a'))
    const other = 1 - mainShard
    const slow1 = reserveUncommitted(logger, other, 'in-progress', 'slow one')
    await within(logger.flush(), 'first flush()', () => controlState(logger.handle)) // swap; set quarantined
    expect(logger.log('b')).toBe(true)
    const slow2 = reserveUncommitted(logger, other, 'in-progress', 'slow two')
    expect(slow2.set).not.toBe(slow1.set)
    // In place (the other set is quarantined): the active set cannot be set aside, so its writers get
    // until they are presumed dead (max(5 s, 100 × flushTimeout)); then their records are abandoned
    // and the set is reused. The first slow writer finishes meanwhile; the second never does.
    setTimeout(() => slow1.finish(), 200)
    await within(logger.flush(), 'second flush()', () => controlState(logger.handle))
    void slow2
    await within(logger.flush(), 'third flush()', () => controlState(logger.handle))
    // A worker logs: a blocked log() there fails this test instead of hanging it.
    expect(await logFromWorker(logger.handle, 'c', 1000)).toBe(1000)
    await within(logger.close(), 'close()', () => controlState(logger.handle))
    const entries = decodeFramed(path)
    expect(entries.filter((e) => !e.startsWith('c ')).sort()).toEqual(['a', 'b', 'slow one'])
    expect(entries.indexOf('a')).toBeLessThan(entries.indexOf('b'))
    expectThread(entries, 'c', seq('c', 1000))
    expect(entries.length).toBe(1003)
    expect(logger.getStatsSnapshot().abandonedEntries).toBe(1)
    expect(warnings.map((w) => w.type)).toEqual(['abandoned'])
    expect((await verify(path)).ok).toBe(true)
  })
})

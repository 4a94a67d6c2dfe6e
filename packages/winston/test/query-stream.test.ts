import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport, type QueriedEntry, type QueryOptions } from '../dist/index.js'
import { removeTempDirs, tempDir } from './support/files.js'

// query() and stream() give what winston's File transport gives for the same entries: both
// transports are on one logger, and each answer of ours is compared with File's.

afterEach(removeTempDirs)

const MINUTE = 60_000
const DEADLINE_MS = 30_000

type Pair = { logger: winston.Logger; file: winston.transport; ours: AsyncDirectTransport; dir: string }

function pair(): Pair {
  const dir = tempDir()
  const file = new winston.transports.File({ filename: join(dir, 'file.log') })
  const ours = new AsyncDirectTransport({ filename: join(dir, 'ours.log'), name: 'asyncdirect' })
  const logger = winston.createLogger({ format: winston.format.json(), transports: [file, ours] })
  return { logger, file, ours, dir }
}

function end(logger: winston.Logger): Promise<void> {
  const finished = once(logger, 'finish').then(() => undefined)
  logger.end()
  return finished
}

/** Waits until `path` holds `lines` lines: File writes in the background and says nothing when done. */
async function fileHasLines(path: string, lines: number): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS
  for (;;) {
    const text = readFileSync(path, 'utf8')
    if (text.split('\n').length - 1 >= lines) return
    if (Date.now() > deadline) throw new Error(`${path} never reached ${lines} lines`)
    await sleep(20)
  }
}

function queryOf(t: object, options: QueryOptions): Promise<QueriedEntry[]> {
  return new Promise((resolve, reject) => {
    ;(
      (t as { query: unknown }).query as (
        o: QueryOptions,
        cb: (e: Error | null, r?: QueriedEntry[]) => void,
      ) => void
    ).call(t, options, (err, results) => (err ? reject(err) : resolve(results!)))
  })
}

/** Entries across times and levels: older than a day, within it, in the future, and without a timestamp. */
function logVaried(logger: winston.Logger, now: number): number {
  const levels = ['info', 'warn', 'error', 'info', 'debug']
  let n = 0
  for (let i = 0; i < 60; i++) {
    const level = levels[i % levels.length]!
    const at =
      i < 5 ? now - 30 * 60 * MINUTE - i * MINUTE : i === 30 ? now + 60 * MINUTE : now - (60 - i) * MINUTE
    const meta: Record<string, unknown> = { seq: i, user: `u${i % 7}` }
    if (i % 11 !== 3) meta.timestamp = new Date(at).toISOString()
    logger.log(level === 'debug' ? 'info' : level, `message ${i}`, meta)
    n++
  }
  return n
}

describe('query()', () => {
  it('returns what File returns, for every option File reads', async () => {
    const { logger, file, ours, dir } = pair()
    const now = Date.now()
    const n = logVaried(logger, now)
    await ours.flush()
    await fileHasLines(join(dir, 'file.log'), n)
    const cases: QueryOptions[] = [
      {},
      { order: 'asc' },
      { rows: 100 },
      { limit: 5, start: 3, order: 'asc' },
      { limit: 7, start: 5 },
      { rows: 100, from: new Date(now - 40 * MINUTE), until: new Date(now - 20 * MINUTE) },
      { rows: 100, from: now - 40 * MINUTE, until: new Date(now + 2 * 60 * MINUTE).toISOString() },
      { rows: 100, from: new Date(now - 48 * 60 * MINUTE), order: 'asc' },
      { fields: ['message', 'seq', 'missing'], limit: 20, order: 'asc' },
      { level: 'warn', rows: 100 },
      { start: 40, rows: 100, order: 'asc' },
      { start: 1000 },
    ]
    for (const options of cases) {
      const expected = await queryOf(file, structuredClone(options))
      const actual = await queryOf(ours, structuredClone(options))
      expect(actual, JSON.stringify(options)).toEqual(expected)
    }
    // Not trivially equal: the cases select different, non-empty sets.
    expect((await queryOf(ours, { rows: 100 })).length).toBeGreaterThan(40)
    expect((await queryOf(ours, { level: 'warn', rows: 100 })).every((e) => e.level === 'warn')).toBe(true)

    // Through the logger: each transport's results under its name.
    const results = await new Promise<Record<string, QueriedEntry[]>>((resolve, reject) =>
      logger.query({ rows: 100, order: 'asc' } as winston.QueryOptions, (err, r) =>
        err ? reject(err) : resolve(r as Record<string, QueriedEntry[]>),
      ),
    )
    expect(Object.keys(results).sort()).toEqual(['asyncdirect', 'file'])
    expect(results.asyncdirect).toEqual(results.file)
    await end(logger)
  })

  it('includes what was logged just before the call (written first)', async () => {
    const { logger, ours } = pair()
    logger.info('just now', { seq: 1 })
    const found = await queryOf(ours, { rows: 10 })
    expect(found).toEqual([{ level: 'info', message: 'just now', seq: 1 }])
    await end(logger)
  })

  it("reads the framed format too (the core's reader), where File has no equivalent", async () => {
    const ours = new AsyncDirectTransport({ filename: join(tempDir(), 'app.log'), fileFormat: 'framed' })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [ours] })
    for (let i = 0; i < 3; i++) logger.warn('framed', { seq: i })
    const found = await queryOf(ours, { order: 'asc', fields: ['seq'] })
    expect(found).toEqual([{ seq: 0 }, { seq: 1 }, { seq: 2 }])
    await end(logger)
  })

  it('a line that is not JSON is an error, as with File', async () => {
    const dir = tempDir()
    const file = new winston.transports.File({ filename: join(dir, 'file.log') })
    const ours = new AsyncDirectTransport({ filename: join(dir, 'ours.log') })
    const logger = winston.createLogger({
      format: winston.format.printf((info) => `${info.level}: ${info.message}`),
      transports: [file, ours],
    })
    logger.info('plain text')
    await ours.flush()
    await fileHasLines(join(dir, 'file.log'), 1)
    await expect(queryOf(file, {})).rejects.toThrow(SyntaxError)
    await expect(queryOf(ours, {})).rejects.toThrow(SyntaxError)
    await end(logger)
  })

  it('reads the whole rotated series, archives included, as one log (File reads only its current file)', async () => {
    const filename = join(tempDir(), 'app.log')
    const ours = new AsyncDirectTransport({
      filename,
      maxsize: 16 * 1024,
      zippedArchive: true,
      bufferSize: 64 * 1024,
      numShards: 2,
    })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [ours] })
    for (let i = 0; i < 2000; i++) logger.info('request handled', { seq: i })
    const all = await queryOf(ours, { rows: 5000, order: 'asc' })
    expect(ours.stats.rotations).toBeGreaterThan(3)
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    const last = await queryOf(ours, { limit: 3 })
    expect(last.map((e) => e.seq)).toEqual([1999, 1998, 1997])
    await end(logger)
  })
})

describe('stream()', () => {
  /** Collects each transport's 'log' events from logger.stream() until both have `count`. */
  async function collect(stream: NodeJS.EventEmitter, names: string[], count: number) {
    const got: Record<string, unknown[]> = Object.fromEntries(names.map((n) => [n, []]))
    stream.on('log', (log: Record<string, unknown> & { transport: string[] }) => {
      const { transport, ...entry } = log
      for (const name of transport) got[name]!.push(entry)
    })
    const deadline = Date.now() + DEADLINE_MS
    while (names.some((n) => got[n]!.length < count)) {
      if (Date.now() > deadline) throw new Error(`stream: ${JSON.stringify(got)}`)
      await sleep(50)
    }
    return got
  }

  it('emits the entries in the file, then those logged later, as File does', async () => {
    const { logger, ours, dir } = pair()
    for (let i = 0; i < 20; i++) logger.info('before', { seq: i })
    await ours.flush()
    await fileHasLines(join(dir, 'file.log'), 20)
    const stream = logger.stream({ start: -1 }) as unknown as NodeJS.EventEmitter & { destroy(): void }
    const collecting = collect(stream, ['file', 'asyncdirect'], 30)
    for (let i = 20; i < 30; i++) logger.info('after', { seq: i })
    await ours.flush()
    const got = await collecting
    stream.destroy()
    expect(got.asyncdirect).toEqual(got.file)
    expect(got.asyncdirect!.map((e) => (e as { seq: number }).seq)).toEqual(
      Array.from({ length: 30 }, (_, i) => i),
    )
    await end(logger)
  })

  it("start counts lines as File's does (from line start + 1)", async () => {
    const { logger, file, ours, dir } = pair()
    for (let i = 0; i < 10; i++) logger.info('x', { seq: i })
    await ours.flush()
    await fileHasLines(join(dir, 'file.log'), 10)
    for (const start of [0, 4]) {
      const streams = [file, ours].map((t) =>
        (t as unknown as { stream(o: object): NodeJS.EventEmitter & { destroy(): void } }).stream({ start }),
      )
      const seen = streams.map((s) => {
        const lines: unknown[] = []
        s.on('log', (log) => lines.push(log))
        return lines
      })
      const deadline = Date.now() + DEADLINE_MS
      while (seen.some((l) => l.length < 9 - start)) {
        if (Date.now() > deadline) throw new Error(`start ${start}: ${JSON.stringify(seen)}`)
        await sleep(50)
      }
      for (const s of streams) s.destroy()
      expect(seen[1]).toEqual(seen[0])
      expect((seen[1] as { seq: number }[]).map((e) => e.seq)).toEqual(
        Array.from({ length: 9 - start }, (_, i) => start + 1 + i),
      )
    }
    await end(logger)
  })

  it('follows the series across rotations (File stays on the file it opened)', async () => {
    const filename = join(tempDir(), 'app.log')
    const ours = new AsyncDirectTransport({ filename, maxsize: 8192, bufferSize: 65536, numShards: 2 })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [ours] })
    const stream = ours.stream()
    const seen: number[] = []
    stream.on('log', (log: { seq: number }) => seen.push(log.seq))
    for (let i = 0; i < 1000; i++) {
      logger.info('x', { seq: i })
      if (i % 100 === 99) await ours.flush()
    }
    const deadline = Date.now() + DEADLINE_MS
    while (seen.length < 1000 && Date.now() < deadline) await sleep(50)
    stream.destroy()
    expect(ours.stats.rotations).toBeGreaterThan(3)
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    await end(logger)
  })
})

import { spawn, spawnSync } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { createLogger, type Logger } from '../dist/index.js'
import { ACTIVE_GEN, COMMITTED, COUNT, RESERVED, shardWord } from '../dist/shared/control-block.js'
import { loadNative } from '../dist/shared/native-library.js'
import { viewShards } from '../dist/shared/shard-memory.js'
// @ts-expect-error: a plain .mjs fixture shared with child processes, no declarations
import { isLoggedLine, line } from './fixtures/lines-entries.mjs'

const lineOf = line as (writer: string, seq: number) => string
const isLogged = isLoggedLine as (text: string) => boolean

const dir = testDir('lines')
let n = 0
const nextPath = () => join(dir, `lines-${n++}.log`)
const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname

/** Lines of a file: complete lines only (the text after the last newline is returned apart). */
function readLines(path: string): { lines: string[]; rest: string } {
  const text = readFileSync(path, 'utf8')
  const lines = text.split('\n')
  const rest = lines.pop()!
  return { lines, rest }
}

/** O_DIRECT and O_DSYNC as /proc/<pid>/fdinfo shows them (octal flags). */
function openFlags(path: string): number[] {
  const flags: number[] = []
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = ''
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue
    }
    if (target !== path) continue
    const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
    flags.push(Number.parseInt(/flags:\s+([0-7]+)/.exec(info)![1]!, 8))
  }
  return flags
}
const O_DIRECT = 0o40000

async function runWorkers(logger: Logger, names: string[], count: number): Promise<void> {
  await Promise.all(
    names.map(
      (name) =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(fixture('lines-worker.mjs'), {
            workerData: { handle: logger.handle, name, count },
          })
          w.once('error', reject)
          w.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`worker ${name} exited ${code}`)),
          )
        }),
    ),
  )
}

describe("format: 'lines'", () => {
  it('round-trips 300k multibyte lines from the main thread and 8 workers, byte for byte and in order', async () => {
    const path = nextPath()
    const logger = await createLogger({ path, format: 'lines', bufferSize: 16 << 20, numShards: 8 })
    const names = Array.from({ length: 8 }, (_, i) => `w${i}`)
    const perWorker = 30_000
    const mainCount = 60_000
    const workers = runWorkers(logger, names, perWorker)
    let expectedBytes = 0
    for (let seq = 0; seq < mainCount; seq++) {
      const text = lineOf('main', seq)
      expectedBytes += Buffer.byteLength(text) + 1
      if (seq % 3 === 0) logger.logBytes(Buffer.from(text))
      else logger.log(text)
      if (seq % 15_000 === 0) await sleep(1) // let the workers' start interleave with ours
    }
    await workers
    for (const name of names) {
      for (let seq = 0; seq < perWorker; seq++) expectedBytes += Buffer.byteLength(lineOf(name, seq)) + 1
    }
    await logger.close()

    expect(statSync(path).size).toBe(expectedBytes)
    const { lines, rest } = readLines(path)
    expect(rest).toBe('')
    expect(lines.length).toBe(mainCount + names.length * perWorker)
    const next = new Map<string, number>()
    let wrong = 0
    for (const text of lines) {
      const writer = text.slice(0, text.indexOf(' '))
      const seq = next.get(writer) ?? 0
      if (text !== lineOf(writer, seq)) wrong++
      next.set(writer, seq + 1)
    }
    expect(wrong).toBe(0)
    expect(next.get('main')).toBe(mainCount)
    for (const name of names) expect(next.get(name)).toBe(perWorker)
    const stats = logger.getStatsSnapshot()
    expect(stats.entriesWritten).toBe(lines.length)
    expect(stats.droppedLogs).toBe(0)
  })

  it('never shows a reader a NUL byte or a line that was not logged while the file grows', async () => {
    const path = nextPath()
    const stop = `${path}.stop`
    const tailer = spawn(process.execPath, [fixture('lines-tailer.mjs'), path, stop], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    tailer.stdout.on('data', (d) => {
      out += d
    })
    const exited = new Promise<number>((resolve) => tailer.once('exit', (code) => resolve(code ?? -1)))
    // Small sets and a short interval: many flushes, many partial blocks for the reader to see.
    const logger = await createLogger({
      path,
      format: 'lines',
      bufferSize: 64 << 10,
      numShards: 2,
      flushInterval: 2,
    })
    const total = 60_000
    for (let seq = 0; seq < total; seq++) {
      logger.log(lineOf('t', seq))
      if (seq % 500 === 0) await sleep(1)
      if (seq % 5000 === 0) await logger.flush()
    }
    await logger.close()
    writeFileSync(stop, '')
    expect(await exited).toBe(0)
    const report = JSON.parse(out) as {
      growths: number
      lines: number
      bad: string[]
      nulAt: number
      partialTail: number
    }
    expect(report.nulAt).toBe(-1)
    expect(report.bad).toEqual([])
    expect(report.lines).toBe(total)
    expect(report.partialTail).toBe(0)
    // The reader saw the file grow many times, not just once at the end.
    expect(report.growths).toBeGreaterThan(10)
  })

  it('ends the file at exactly the logged bytes: newline added only when missing, entries never split', async () => {
    const path = nextPath()
    const logger = await createLogger({ path, format: 'lines', bufferSize: 64 << 10, numShards: 2 })
    const entries = ['plain', 'ends with newline\n', '', 'two\nlines inside', '{"json":true}', 'ünïcödé 🙂']
    for (const e of entries) logger.log(e)
    logger.logBytes(Buffer.from('bytes without newline'))
    logger.logBytes(Buffer.from('bytes with newline\n'))
    await logger.close()
    const expected = `${[...entries, 'bytes without newline'].map((e) => (e.endsWith('\n') ? e : `${e}\n`)).join('')}bytes with newline\n`
    expect(readFileSync(path, 'utf8')).toBe(expected)
    expect(statSync(path).size).toBe(Buffer.byteLength(expected))
  })

  it('writes entries larger than a shard and larger than the buffer in place and in order', async () => {
    const path = nextPath()
    const logger = await createLogger({ path, format: 'lines', bufferSize: 32 << 10, numShards: 2 })
    const big = 'B'.repeat(100_000)
    const bigger = 'é'.repeat(300_000)
    logger.log('before')
    logger.log(big)
    logger.log('between')
    logger.logBytes(Buffer.from(bigger))
    logger.log('after')
    await logger.close()
    expect(readFileSync(path, 'utf8')).toBe(`before\n${big}\nbetween\n${bigger}\nafter\n`)
    expect(logger.getStatsSnapshot().oversizeEntries).toBe(2)
  })

  it('appends to an existing file after its last byte, adding a newline if it lacked one', async () => {
    const path = nextPath()
    let logger = await createLogger({ path, format: 'lines', bufferSize: 64 << 10, numShards: 2 })
    for (let i = 0; i < 1000; i++) logger.log(`run1 ${i}`)
    await logger.close()
    const first = readFileSync(path, 'utf8')
    logger = await createLogger({ path, format: 'lines', bufferSize: 64 << 10, numShards: 2 })
    for (let i = 0; i < 1000; i++) logger.log(`run2 ${i}`)
    await logger.close()
    const second = readFileSync(path, 'utf8')
    expect(second.startsWith(first)).toBe(true)
    expect(second.slice(first.length)).toBe(Array.from({ length: 1000 }, (_, i) => `run2 ${i}\n`).join(''))

    // A file cut inside a line (or written by another program) gets a newline, keeps its bytes.
    appendFileSync(path, 'partial line from a crash')
    logger = await createLogger({ path, format: 'lines', bufferSize: 64 << 10, numShards: 2 })
    logger.log('run3')
    await logger.close()
    expect(readFileSync(path, 'utf8')).toBe(`${second}partial line from a crash\nrun3\n`)
    expect(takeWarnings('ASYNCDIRECT_UNTERMINATED_LINE')).toEqual([
      `asyncdirect: ${path} did not end with a newline; added one before the new entries`,
    ])
  })

  it('writes the whole blocks with O_DIRECT: fdinfo flags and an empty page cache for a 256 MiB file', async () => {
    const native = loadNative()
    if (!native.ok) throw new Error(`the native library is required here: ${native.reason}`)
    const path = nextPath()
    const logger = await createLogger({ path, format: 'lines' })
    const flags = openFlags(path)
    expect(flags.some((f) => (f & O_DIRECT) !== 0)).toBe(true) // the direct descriptor
    expect(flags.some((f) => (f & O_DIRECT) === 0)).toBe(true) // the partial block's descriptor
    expect(logger.getStatsSnapshot().directIO).toBe(true)
    const text = 'x'.repeat(1023)
    const count = (256 << 20) / 1024
    for (let i = 0; i < count; i++) logger.log(text)
    await logger.close()
    expect(statSync(path).size).toBe(256 << 20)
    const pages = new BigUint64Array(2)
    expect(native.lib.cachedPages(path, pages)).toBe(0)
    const [resident, total] = [Number(pages[0]), Number(pages[1])]
    expect(total).toBe((256 << 20) / 4096)
    // Only partial blocks ever went through the page cache: a handful of pages, not the file.
    expect(resident / total).toBeLessThan(0.01)
  })

  for (const how of ['exit', 'throw', 'end'] as const) {
    it(`loses nothing when the process ends by ${how === 'end' ? 'simply ending' : how} after 100k lines`, () => {
      const path = nextPath()
      const r = spawnSync(process.execPath, [fixture('lines-child.mjs'), path, '100000', how], {
        encoding: 'utf8',
        timeout: 60_000,
      })
      expect(r.status).toBe(how === 'throw' ? 1 : 0)
      if (how === 'throw') expect(r.stderr).toContain('boom after logging')
      const { lines, rest } = readLines(path)
      expect(rest).toBe('')
      expect(lines.length).toBe(100_000)
      expect(lines.every((text, seq) => text === lineOf('child', seq))).toBe(true)
    })
  }

  it('leaves out, and counts, a line whose writer died mid-copy; never writes its NUL bytes', async () => {
    const native = loadNative()
    if (!native.ok) throw new Error(native.reason)
    const path = nextPath()
    const logger = await createLogger({
      path,
      format: 'lines',
      bufferSize: 128 << 10,
      numShards: 2,
      flushTimeout: 5,
    })
    const warnings: { type: string }[] = []
    logger.on('warning', (w) => warnings.push(w))
    logger.log('before') // the main thread's shard (0)
    // A writer on shard 1 reserves 40 bytes, copies 10 of them and dies (never commits).
    const i32 = new Int32Array(logger.handle.control)
    const set = Atomics.load(i32, ACTIVE_GEN) & 1
    const word = shardWord(2, set, 1)
    const start = Atomics.load(i32, word + RESERVED)
    expect(Atomics.compareExchange(i32, word + RESERVED, start, start + 40)).toBe(start)
    const shard = viewShards(native.lib, logger.handle.memory)[set * 2 + 1]!
    shard.write('half a lin', start)
    // Another writer on shard 1 finishes its line after the dead one.
    const next = Atomics.add(i32, word + RESERVED, 10)
    shard.write('after it!\n', next)
    Atomics.add(i32, word + COUNT, 1)
    Atomics.add(i32, word + COMMITTED, 10)
    logger.log('after')
    await logger.close()
    const text = readFileSync(path, 'utf8')
    expect(text.includes('\0')).toBe(false)
    expect(text.split('\n').sort()).toEqual(['', 'after', 'after it!', 'before'])
    expect(logger.getStatsSnapshot().abandonedEntries).toBe(1)
    expect(warnings.map((w) => w.type)).toEqual(['abandoned', 'leak'])
  })

  it('writes the same bytes through the buffered fallback without the native library', () => {
    const path = nextPath()
    const r = spawnSync(process.execPath, [fixture('lines-child.mjs'), path, '20000', 'close'], {
      encoding: 'utf8',
      env: { ...process.env, ASYNCDIRECT_NATIVE: '0' },
      timeout: 60_000,
    })
    expect(r.status).toBe(0)
    expect(r.stderr).toContain('native library unavailable')
    const { lines, rest } = readLines(path)
    expect(rest).toBe('')
    expect(lines.length).toBe(20_000)
    expect(lines.every((text) => isLogged(text))).toBe(true)
    expect(lines.every((text, seq) => text === lineOf('child', seq))).toBe(true)
  })
})

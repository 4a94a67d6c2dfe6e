import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { readEntries, verify } from '@asyncdirect/core'
import { listSeries } from '@asyncdirect/core/format'
import pino from 'pino'
import { prettyFactory } from 'pino-pretty'
import { describe, expect, it } from 'vitest'
import { type AsyncDirectDestination, destination } from '../dist/index.js'
import { fixture, readLines, readText, tempFiles } from './support/files.js'
import { deterministic, expectedOutput, logSequence, memoryStream } from './support/pino-output.js'

// The in-process destination: pino(destination(...)) and pino.multistream, in this process.

const files = tempFiles('destination')
/** Its own directory: a rotated series is every file of its name there. */
const rotateFiles = tempFiles('destination-rotate')

async function endDestination(d: AsyncDirectDestination): Promise<void> {
  const closed = once(d, 'close')
  d.end()
  await closed
}

const flushed = (logger: pino.Logger): Promise<void> =>
  new Promise((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())))

describe('destination()', () => {
  it("writes pino's bytes unchanged, lines logged before and after 'ready' alike", async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    // Before the flusher thread runs, the logger already takes lines (those of this turn once
    // the batch is handed over, which flushSync() does at once).
    logSequence(logger, 100)
    d.flushSync()
    expect(d.logger.getStatsSnapshot().totalLogs).toBe(700)
    await once(d, 'ready')
    logSequence(logger, 100)
    await endDestination(d)
    const expected = expectedOutput((l) => {
      logSequence(l, 100)
      logSequence(l, 100)
    })
    expect(readText(path) === expected).toBe(true)
  })

  it("lines: a turn's lines reach the core together by the end of the turn, each counted", async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    const some = (l: pino.Logger) => {
      for (let i = 0; i < 70; i++) l.info({ i }, 'gathered')
    }
    some(logger)
    // Gathered in one batch: not yet in the core's shards...
    expect(d.logger.getStatsSnapshot().totalLogs).toBe(0)
    await new Promise(setImmediate)
    // ...handed over as the turn ends, one entry per line.
    expect(d.logger.getStatsSnapshot().totalLogs).toBe(70)
    await endDestination(d)
    expect(d.logger.getStatsSnapshot().entriesWritten).toBe(70)
    expect(readText(path) === expectedOutput(some)).toBe(true)
  })

  it('writes each string as given, as pino.destination() does', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    for (const s of ['{"a":1}\n', 'two lines\nin one write\n', 'é\n']) d.write(s)
    await endDestination(d)
    expect(readText(path)).toBe('{"a":1}\ntwo lines\nin one write\né\n')
  })

  it('pino(destination(...)) alone: pino takes it for the stream, not for options', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(d)
    logger.info('the only argument')
    expect(d.writable).toBe(true)
    await endDestination(d)
    expect(d.writable).toBe(false)
    expect(JSON.parse(readText(path))).toMatchObject({ level: 30, msg: 'the only argument' })
  })

  it('accepts the path alone, as pino.destination() does', async () => {
    const path = files.next()
    const d = destination(path)
    pino(deterministic, d).info('path alone')
    await endDestination(d)
    expect(readText(path)).toBe(expectedOutput((l) => l.info('path alone')))
  })

  it('logger.flush(cb) calls back once the lines are in the file', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    for (let i = 0; i < 3000; i++) logger.info({ i }, 'flushed')
    await flushed(logger) // perhaps before 'ready': the flush waits for the flusher
    expect(readLines(path)).toHaveLength(3000)
    for (let i = 0; i < 3000; i++) logger.info({ i }, 'flushed again')
    await flushed(logger)
    expect(readLines(path)).toHaveLength(6000)
    await endDestination(d)
  })

  it('a burst past the high-water mark runs one flush at a time, not one per write', async () => {
    const path = files.next()
    const d = destination({ dest: path, bufferSize: 64 * 1024, numShards: 2 })
    await once(d, 'ready')
    let flushes = 0
    const coreFlush = d.logger.flush.bind(d.logger)
    d.logger.flush = (...args: Parameters<typeof coreFlush>) => {
      flushes++
      return coreFlush(...args)
    }
    // One synchronous burst of 40 shards' worth: every write after the first 32 is past the mark.
    const line = `${'x'.repeat(1023)}\n`
    let refused = 0
    for (let i = 0; i < 1280; i++) if (!d.write(line)) refused++
    expect(refused).toBeGreaterThan(1000)
    await once(d, 'drain')
    expect(flushes).toBe(1)
    await endDestination(d)
    expect(readLines(path)).toHaveLength(1280)
  })

  it('flushSync() (pino calls it after fatal) returns at once and loses nothing', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    logger.fatal('before ready')
    d.flushSync()
    await once(d, 'ready')
    logger.fatal('after ready')
    d.flushSync()
    await endDestination(d)
    expect(readLines(path).map((l) => JSON.parse(l).msg)).toEqual(['before ready', 'after ready'])
  })

  it("end(): 'finish' then 'close' once durable; later lines throw, as with pino.destination()", async () => {
    const path = files.next()
    const d = destination({ dest: path, bufferSize: 1 << 20, numShards: 1 })
    const logger = pino(deterministic, d)
    await once(d, 'ready')
    for (let i = 0; i < 20_000; i++) logger.info({ i }, 'before end')
    const events: string[] = []
    d.on('finish', () => events.push('finish'))
    d.on('close', () => events.push('close'))
    await endDestination(d)
    expect(events).toEqual(['finish', 'close'])
    expect(readLines(path)).toHaveLength(20_000)
    expect(() => logger.info('after close')).toThrow(/closed destination/)
    expect(() => d.end()).toThrow(/closed destination/)
    expect(d.logger.getStatsSnapshot()).toMatchObject({ entriesWritten: 20_000, droppedLogs: 0 })
    expect(readLines(path)).toHaveLength(20_000)
  })

  it('reopen() after rotation: old lines in the renamed file, new ones in a new file, none lost', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    await once(d, 'ready')
    for (let i = 0; i < 1000; i++) logger.info({ i }, 'rotating')
    renameSync(path, `${path}.1`)
    d.reopen()
    // Written before the flusher reopens the file: held, then written to the new file.
    for (let i = 1000; i < 2000; i++) logger.info({ i }, 'rotating')
    await once(d, 'ready')
    for (let i = 2000; i < 3000; i++) logger.info({ i }, 'rotating')
    await endDestination(d)
    const old = readLines(`${path}.1`).map((l) => JSON.parse(l).i)
    const now = readLines(path).map((l) => JSON.parse(l).i)
    expect(old).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(now).toEqual(Array.from({ length: 2000 }, (_, i) => 1000 + i))
  })

  it('rotate: a series of files that together hold exactly what pino wrote, in order', async () => {
    const path = join(rotateFiles.dir, 'app.log')
    const d = destination({
      dest: path,
      bufferSize: 256 * 1024,
      numShards: 2,
      rotate: { size: '64KiB', maxFiles: 1000 },
    })
    const some = (l: pino.Logger) => logSequence(l, 100)
    some(pino(deterministic, d))
    await endDestination(d)
    const files = listSeries(path)
    expect(files.length).toBeGreaterThan(3)
    for (const f of files) expect(statSync(f.path).size).toBeLessThanOrEqual(64 * 1024)
    expect(files.map((f) => readText(f.path)).join('') === expectedOutput(some)).toBe(true)
  })

  it('reopen(file) moves to another file', async () => {
    const first = files.next()
    const second = files.next()
    const d = destination({ dest: first })
    const logger = pino(deterministic, d)
    logger.info('one')
    d.reopen(second) // before the first logger's flusher even runs
    logger.info('two')
    await once(d, 'ready')
    await endDestination(d)
    expect(d.path).toBe(second)
    expect(readLines(first).map((l) => JSON.parse(l).msg)).toEqual(['one'])
    expect(readLines(second).map((l) => JSON.parse(l).msg)).toEqual(['two'])
  })

  it('with pino.multistream: each stream gets the levels it asked for', async () => {
    const all = files.next('all')
    const errors = files.next('errors')
    const dAll = destination({ dest: all })
    const dErrors = destination({ dest: errors, bufferSize: 1 << 20, numShards: 2 })
    const mem = memoryStream()
    const streams = [
      { level: 'debug' as const, stream: dAll },
      { level: 'error' as const, stream: dErrors },
      { level: 'info' as const, stream: mem },
    ]
    const logger = pino(deterministic, pino.multistream(streams))
    logSequence(logger, 50)
    await Promise.all([endDestination(dAll), endDestination(dErrors)])

    const expected = expectedOutput((l) => logSequence(l, 50))
      .slice(0, -1)
      .split('\n')
    const level = (line: string): number => JSON.parse(line).level
    expect(readLines(all)).toEqual(expected.filter((l) => level(l) >= 20))
    expect(readLines(errors)).toEqual(expected.filter((l) => level(l) >= 50))
    expect(mem.text().slice(0, -1).split('\n')).toEqual(expected.filter((l) => level(l) >= 30))
  })

  it('child loggers, serializers and redaction apply as usual', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const logger = pino(deterministic, d)
    logger.child({ tenant: 't1' }).info({
      user: { name: 'ada', password: 'hunter2' },
      secret: 'x',
      req: { headers: { authorization: 'y' } },
    })
    await endDestination(d)
    const line = JSON.parse(readText(path))
    expect(line).toMatchObject({
      tenant: 't1',
      user: { name: 'ADA' },
      secret: '[REDACTED]',
      req: { headers: { authorization: '[REDACTED]' } },
    })
    expect(readText(path)).not.toMatch(/hunter2/)
  })

  it("the 'framed' format: one entry per pino line, each pino's bytes", async () => {
    const path = files.next()
    const d = destination({ dest: path, format: 'framed' })
    logSequence(pino(deterministic, d), 100)
    await endDestination(d)
    expect((await verify(path)).problems).toEqual([])
    const entries: string[] = []
    for await (const e of readEntries(path)) entries.push(e.toString())
    expect(entries).toHaveLength(700)
    expect(entries.join('') === expectedOutput((l) => logSequence(l, 100))).toBe(true)
  })

  it('the file reads with pino-pretty', async () => {
    const path = files.next()
    const d = destination({ dest: path })
    pino(deterministic, d).warn({ orderId: 7 }, 'payment retried')
    await endDestination(d)
    const pretty = prettyFactory({ colorize: false })
    const out = pretty(readLines(path)[0]!)
    expect(out).toMatch(/WARN.*payment retried/)
    expect(out).toMatch(/orderId: 7/)
  })
})

describe('destination options', () => {
  it('append: false empties a file only once it holds it: a file another process writes is left whole', async () => {
    const dest = files.next()
    const holder = spawn(process.execPath, [fixture('file-holder.mjs'), dest], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    const exited = once(holder, 'exit')
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout!.setEncoding('utf8').on('data', (d: string) => d.includes('holding') && resolve())
        holder.once('exit', (code) =>
          reject(new Error(`the holder exited (${code}) before holding the file`)),
        )
      })
      let refused: unknown
      try {
        destination({ dest, append: false, sync: true })
      } catch (err) {
        refused = err
      }
      expect(refused).toMatchObject({ code: 'ASYNCDIRECT_FILE_LOCKED' })
      expect(readText(dest)).toBe('{"msg":"written by the holder"}\n')
    } finally {
      holder.stdin!.end()
      await exited
    }
    // Free now: emptied, then written.
    const d = destination({ dest, append: false, sync: true })
    d.write('{"msg":"mine"}\n')
    const closed = once(d, 'close')
    d.end()
    await closed
    expect(readText(dest)).toBe('{"msg":"mine"}\n')
  })

  it('append: false with rotate is refused, naming both', () => {
    expect(() => destination({ dest: files.next(), append: false, rotate: { size: '1MiB' } })).toThrow(
      /config\.append: .*rotate/,
    )
  })

  it('no dest is stdout, as with pino.destination(); an empty one is refused', () => {
    expect(destination({}).constructor.name).toBe('SonicBoom')
    expect(destination().constructor.name).toBe('SonicBoom')
    expect(() => destination('')).toThrow(/config\.dest/)
  })

  it("an unknown option is named, with a hint when it is the transport's spelling", () => {
    expect(() => destination({ destination: '/tmp/x.log' } as never)).toThrow(
      /config\.destination: unknown option \(destination\(\) names the file with 'dest'\)/,
    )
    expect(() => destination({ dest: '/tmp/x.log', synk: true } as never)).toThrow(
      /config\.synk: unknown option/,
    )
  })

  it('an invalid core option is named, with what it accepts', () => {
    expect(() => destination({ dest: files.next(), bufferSize: 1000 })).toThrow(/config\.bufferSize/)
    expect(() => destination({ dest: files.next(), format: 'json' as never })).toThrow(
      /config\.format: expected one of 'framed', 'lines'/,
    )
  })

  it("a file that cannot be opened is an 'error' event naming it (with sync: true, a throw)", async () => {
    const path = `${files.dir}/missing-dir/app.log`
    const d = destination({ dest: path })
    const [err] = (await once(d, 'error')) as [Error & { code: string }]
    expect(err).toMatchObject({ code: 'ENOENT', message: expect.stringContaining(path) })
    expect(() => d.flushSync()).toThrow(/is not open/)
    expect(() => destination({ dest: path, sync: true })).toThrow(path)
    expect(existsSync(path)).toBe(false)
  })

  it("a file already written by another logger is an 'error' event", async () => {
    const path = files.next()
    const d = destination({ dest: path })
    const second = destination({ dest: path })
    const [err] = (await once(second, 'error')) as [Error & { code: string }]
    expect(err.code).toBe('ASYNCDIRECT_FILE_LOCKED')
    await endDestination(d)
  })

  it("a reopen() that cannot open the file is an 'error' event; the old file is still written", async () => {
    const path = files.next()
    const d = destination({ dest: path })
    d.reopen(`${files.dir}/missing-dir/app.log`)
    const [err] = (await once(d, 'error')) as [Error & { code: string }]
    expect(err.code).toBe('ENOENT')
    d.write('still here\n')
    const flushErr = await new Promise<Error | null | undefined>((resolve) => d.flush(resolve))
    expect(flushErr ?? null).toBeNull()
    expect(readText(path)).toBe('still here\n')
    await endDestination(d)
  })

  it('reopen() with a bad path, or after close, throws', async () => {
    const d = destination({ dest: files.next() })
    expect(() => d.reopen('')).toThrow(/reopen\(file\): file must be a non-empty path/)
    await endDestination(d)
    expect(() => d.reopen()).toThrow(/closed destination/)
  })
})

describe('a path that is not a regular file', () => {
  it('a FIFO is refused with a ConfigError that names it, at once (opening it would block)', () => {
    const fifo = files.next('fifo')
    execFileSync('mkfifo', [fifo])
    for (const sync of [false, true]) {
      expect(() => destination({ dest: fifo, sync })).toThrow(
        expect.objectContaining({
          code: 'ASYNCDIRECT_INVALID_CONFIG',
          message: expect.stringContaining(`${fifo} is a FIFO (named pipe)`),
        }),
      )
    }
  })
})

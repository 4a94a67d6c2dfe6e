import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { readEntries } from '@asyncdirect/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport, type AsyncDirectTransportOptions, FileLockedError } from '../dist/index.js'
import { fileJson, fileLines, removeTempDirs, tempDir, tempFile } from './support/files.js'

// Real winston, real files: every test reads back what reached the disk.

const transports: AsyncDirectTransport[] = []

function transport(options: Partial<AsyncDirectTransportOptions> = {}): AsyncDirectTransport {
  const t = new AsyncDirectTransport({ filename: tempFile(), ...options })
  transports.push(t)
  return t
}

afterEach(async () => {
  await Promise.allSettled(transports.splice(0).map((t) => t.close()))
  removeTempDirs()
})

/** Ends the logger and resolves on its 'finish' (winston waits for every transport's). */
function end(logger: winston.Logger): Promise<void> {
  const finished = once(logger, 'finish').then(() => undefined)
  logger.end()
  return finished
}

describe('AsyncDirectTransport with winston', () => {
  it('writes each entry as the logger formatted it, one line each, in order', async () => {
    const t = transport()
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    for (let i = 0; i < 1000; i++) logger.info('request handled', { seq: i })
    await end(logger)
    const entries = fileJson(t.filename)
    expect(entries).toHaveLength(1000)
    expect(entries.map((e) => e.seq)).toEqual([...Array(1000).keys()])
    expect(entries[0]).toEqual({ level: 'info', message: 'request handled', seq: 0 })
  })

  it('is the default export too', async () => {
    const mod = await import('../dist/index.js')
    expect(mod.default).toBe(AsyncDirectTransport)
  })

  it("filters by the logger's level and by its own", async () => {
    const all = transport()
    const warnings = transport({ level: 'warn' })
    const logger = winston.createLogger({ level: 'info', transports: [all, warnings] })
    logger.debug('not at info')
    logger.info('info')
    logger.warn('warn')
    logger.error('error')
    logger.log('verbose', 'not at info either')
    await end(logger)
    expect(fileJson(all.filename).map((e) => e.message)).toEqual(['info', 'warn', 'error'])
    expect(fileJson(warnings.filename).map((e) => e.message)).toEqual(['warn', 'error'])
  })

  it('writes nothing when silent', async () => {
    const t = transport({ silent: true })
    const logger = winston.createLogger({ transports: [t] })
    logger.info('hidden')
    await end(logger)
    expect(fileLines(t.filename)).toEqual([])
  })

  describe('formats', () => {
    it('json', async () => {
      const t = transport({ format: winston.format.json() })
      const logger = winston.createLogger({ transports: [t] })
      logger.info('hello', { user: 'ada' })
      await end(logger)
      expect(fileJson(t.filename)).toEqual([{ level: 'info', message: 'hello', user: 'ada' }])
    })

    it('printf', async () => {
      const t = transport({
        format: winston.format.printf((info) => `${info.level.toUpperCase()} ${String(info.message)}`),
      })
      const logger = winston.createLogger({ transports: [t] })
      logger.info('plain text')
      logger.error('something broke')
      await end(logger)
      expect(fileLines(t.filename)).toEqual(['INFO plain text', 'ERROR something broke'])
    })

    it('combine(timestamp(), json())', async () => {
      const t = transport()
      const logger = winston.createLogger({
        format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
        transports: [t],
      })
      logger.info('stamped')
      await end(logger)
      const [entry] = fileJson(t.filename)
      expect(entry).toMatchObject({ level: 'info', message: 'stamped' })
      expect(Number.isNaN(Date.parse(String(entry?.timestamp)))).toBe(false)
    })

    it("a transport's format applies to its own file only", async () => {
      const json = transport()
      const text = transport({ format: winston.format.simple() })
      const logger = winston.createLogger({ format: winston.format.json(), transports: [json, text] })
      logger.warn('twice', { n: 1 })
      await end(logger)
      expect(fileJson(json.filename)).toEqual([{ level: 'warn', message: 'twice', n: 1 }])
      expect(fileLines(text.filename)).toEqual(['warn: twice {"n":1}'])
    })

    it('a format chain that sets no message is written as JSON, not as "undefined"', async () => {
      const t = transport({ format: winston.format.timestamp() })
      const logger = winston.createLogger({ format: winston.format.label({ label: 'x' }), transports: [t] })
      logger.info('raw')
      await end(logger)
      expect(fileJson(t.filename)[0]).toMatchObject({ level: 'info', message: 'raw', label: 'x' })
    })

    it('keeps non-ASCII text and entries that already end with a newline as they are', async () => {
      const t = transport({ format: winston.format.printf((info) => String(info.message)) })
      const logger = winston.createLogger({ transports: [t] })
      logger.info('héllo wörld ✓ 日本')
      logger.info('ends with a newline\n')
      await end(logger)
      expect(fileLines(t.filename)).toEqual(['héllo wörld ✓ 日本', 'ends with a newline'])
    })
  })

  it('writes metadata: per call, defaultMeta, splat, errors', async () => {
    const t = transport()
    const logger = winston.createLogger({
      defaultMeta: { service: 'billing' },
      format: winston.format.combine(
        winston.format.errors({ stack: true }),
        winston.format.splat(),
        winston.format.json(),
      ),
      transports: [t],
    })
    logger.info('order %s placed', 'A-17', { amount: 42 })
    logger.error('failed', new Error('card declined'))
    await end(logger)
    const [placed, failed] = fileJson(t.filename)
    expect(placed).toEqual({ level: 'info', message: 'order A-17 placed', amount: 42, service: 'billing' })
    expect(failed).toMatchObject({ level: 'error', service: 'billing' })
    expect(String(failed?.message)).toContain('card declined')
    expect(String(failed?.stack)).toContain('Error: card declined')
  })

  it("emits 'logged' with each entry it accepted", async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    const logged: string[] = []
    t.on('logged', (info: { message: string }) => logged.push(info.message))
    logger.info('one')
    logger.debug('filtered out')
    logger.warn('two')
    await end(logger)
    expect(logged).toEqual(['one', 'two'])
  })

  it("end() → 'finish' only once every entry is on disk", async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    for (let i = 0; i < 20_000; i++) logger.info('entry', { i })
    let onDisk = -1
    let written = -1
    const finished = new Promise<void>((resolve) =>
      logger.on('finish', () => {
        // Read inside the handler: nothing may still be on its way.
        onDisk = fileLines(t.filename).length
        written = t.stats.entriesWritten
        resolve()
      }),
    )
    logger.end()
    await finished
    expect(onDisk).toBe(20_000)
    expect(written).toBe(20_000)
    expect(t.stats.droppedLogs).toBe(0)
  })

  it('flush() makes everything logged so far durable without ending the logger', async () => {
    const t = transport({ flushInterval: 3_600_000 })
    const logger = winston.createLogger({ transports: [t] })
    logger.info('before flush')
    await t.flush()
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['before flush'])
    logger.info('after flush')
    await end(logger)
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['before flush', 'after flush'])
  })

  it('takes entries from the constructor on, before the flusher thread runs, in order with later ones', async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    expect(t.logger.path).toBe(t.filename)
    logger.info('first')
    logger.info('second')
    expect(t.stats.totalLogs).toBe(2)
    await t.ready()
    logger.info('third')
    await end(logger)
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['first', 'second', 'third'])
  })

  it('several transports on one logger each get every entry they accept', async () => {
    const a = transport()
    const b = transport({ level: 'error', format: winston.format.simple() })
    const stream = new PassThrough({ objectMode: true })
    const streamed: unknown[] = []
    stream.on('data', (info) => streamed.push(info))
    const logger = winston.createLogger({
      transports: [a, b, new winston.transports.Stream({ stream })],
    })
    logger.info('to a and the stream')
    logger.error('to all three')
    await end(logger)
    expect(fileJson(a.filename).map((e) => e.message)).toEqual(['to a and the stream', 'to all three'])
    expect(fileLines(b.filename)).toEqual(['error: to all three'])
    expect(streamed).toHaveLength(2)
  })

  it('child loggers write through the parent’s transport with their metadata', async () => {
    const t = transport()
    const logger = winston.createLogger({ defaultMeta: { app: 'shop' }, transports: [t] })
    const child = logger.child({ requestId: 'r-1' })
    const grandchild = child.child({ step: 'pay' })
    child.info('from the child')
    grandchild.warn('from the grandchild')
    logger.info('from the parent')
    await end(logger)
    expect(fileJson(t.filename)).toEqual([
      { level: 'info', message: 'from the child', app: 'shop', requestId: 'r-1' },
      { level: 'warn', message: 'from the grandchild', app: 'shop', requestId: 'r-1', step: 'pay' },
      { level: 'info', message: 'from the parent', app: 'shop' },
    ])
  })

  it('logger.configure() closes the old transport with its entries on disk and uses the new one', async () => {
    const first = transport()
    const second = transport()
    const logger = winston.createLogger({ transports: [first] })
    logger.info('to the first')
    logger.configure({ level: 'debug', transports: [second] })
    logger.debug('to the second')
    await first.close() // the promise winston's close() call started
    expect(fileJson(first.filename).map((e) => e.message)).toEqual(['to the first'])
    await end(logger)
    expect(fileJson(second.filename).map((e) => e.message)).toEqual(['to the second'])
  })

  it("winston's batched write path (logv) writes every entry, in order, with the transport's format", async () => {
    const t = transport({ format: winston.format.printf((info) => `${info.level}|${String(info.message)}`) })
    const logv = vi.spyOn(t, 'logv')
    const logger = winston.createLogger({ level: 'info', transports: [t] })
    t.cork()
    for (let i = 0; i < 100; i++) logger.info(`corked ${i}`)
    logger.debug('filtered out')
    // The logger hands entries to its transports on the next ticks.
    await new Promise((resolve) => setImmediate(resolve))
    t.uncork()
    logger.info('after uncork')
    await end(logger)
    expect(logv).toHaveBeenCalled()
    const lines = fileLines(t.filename)
    expect(lines).toEqual([...Array.from({ length: 100 }, (_, i) => `info|corked ${i}`), 'info|after uncork'])
  })

  it("'finish' still waits for the disk when entries are queued in a corked stream at end()", async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    t.cork()
    // Fewer than the stream's high-water mark (16): more would pause winston's pipe until the
    // transport drains, and a corked transport only drains at end().
    for (let i = 0; i < 10; i++) logger.info('queued', { i })
    await new Promise((resolve) => setImmediate(resolve))
    let onDisk = -1
    t.once('finish', () => {
      onDisk = fileLines(t.filename).length
    })
    await end(logger) // end() uncorks: the queue goes through logv, then _final closes the file
    expect(onDisk).toBe(10)
  })

  it('writes the framed format when asked', async () => {
    const t = transport({ fileFormat: 'framed' })
    const logger = winston.createLogger({ transports: [t] })
    logger.info('framed one')
    logger.info('framed two')
    await end(logger)
    const entries: string[] = []
    for await (const e of readEntries(t.filename)) entries.push(JSON.parse(e.toString()).message)
    expect(entries).toEqual(['framed one', 'framed two'])
  })

  it('exposes the core logger statistics', async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    await t.ready()
    for (let i = 0; i < 10; i++) logger.info('counted')
    await end(logger)
    const stats = t.getStatsSnapshot()
    expect(stats).toMatchObject({ totalLogs: 10, droppedLogs: 0, entriesWritten: 10, flushErrors: 0 })
    expect(stats.bytesWritten).toBeGreaterThan(0)
    expect(t.stats).toEqual(stats)
    expect(t.getFlushMetrics().totalFlushes).toBeGreaterThan(0)
    expect(t.logger?.getShardStats().length).toBe(8)
  })

  it('close() is idempotent; entries after it are dropped and counted', async () => {
    const t = transport()
    const logger = winston.createLogger({ transports: [t] })
    logger.info('kept')
    const closing = t.close()
    expect(t.close()).toBe(closing)
    await closing
    logger.info('dropped')
    await end(logger)
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['kept'])
    expect(t.stats.droppedLogs).toBe(1)
  })

  it('a second transport on the same file fails from its constructor (the core’s lock)', async () => {
    const t = transport()
    expect(() => new AsyncDirectTransport({ filename: t.filename })).toThrow(FileLockedError)
    await t.close()
    // Released once closed.
    transports.push(new AsyncDirectTransport({ filename: t.filename }))
  })

  it('a file that cannot be opened throws from the constructor', () => {
    const filename = join(tempDir(), 'missing-dir', 'app.log')
    expect(() => new AsyncDirectTransport({ filename, mkdir: false })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    )
  })

  it("emits 'open' with the path once the flusher thread runs", async () => {
    const t = transport()
    const [path] = await once(t, 'open')
    expect(path).toBe(t.filename)
  })

  it('a missing directory is created, as File creates it (mkdir defaults to true)', async () => {
    const filename = join(tempDir(), 'a', 'b', 'app.log')
    const t = transport({ filename })
    const logger = winston.createLogger({ transports: [t] })
    logger.info('made it')
    await end(logger)
    expect(existsSync(filename)).toBe(true)
    expect(fileJson(filename).map((e) => e.message)).toEqual(['made it'])
  })
})

import { once } from 'node:events'
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ConfigError } from '@asyncdirect/core'
import { listSeries } from '@asyncdirect/core/format'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport, type AsyncDirectTransportOptions } from '../dist/index.js'
import { fileJson, removeTempDirs, tempDir } from './support/files.js'

// winston File's options, given to AsyncDirectTransport as a File user has them.

afterEach(removeTempDirs)

function end(logger: winston.Logger): Promise<void> {
  const finished = once(logger, 'finish').then(() => undefined)
  logger.end()
  return finished
}

/** Logs `messages` through a logger with `transport` only, and ends it. */
async function logAll(transport: winston.transport, messages: string[]): Promise<void> {
  const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
  for (const message of messages) logger.info(message)
  await end(logger)
}

function configError(options: object): ConfigError {
  try {
    void new AsyncDirectTransport(options as AsyncDirectTransportOptions).close()
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError)
    return err as ConfigError
  }
  throw new Error(`accepted: ${JSON.stringify(options)}`)
}

describe("File's options", () => {
  it('dirname and filename name the file as File names it, and the same options write the same bytes', async () => {
    const root = tempDir()
    const file = new winston.transports.File({ dirname: join(root, 'file'), filename: 'ignored/app.log' })
    const ours = new AsyncDirectTransport({ dirname: join(root, 'ours'), filename: 'ignored/app.log' })
    expect(ours.filename).toBe(join(root, 'ours', 'app.log'))
    expect(ours.dirname).toBe(join(root, 'ours'))
    const messages = ['one', 'two', 'three']
    await Promise.all([logAll(file, messages), logAll(ours, messages)])
    expect(readFileSync(ours.filename, 'utf8')).toBe(readFileSync(join(root, 'file', 'app.log'), 'utf8'))
  })

  it("dirname alone writes winston.log there, as File's does", async () => {
    const dir = join(tempDir(), 'logs')
    const ours = new AsyncDirectTransport({ dirname: dir })
    await logAll(ours, ['hello'])
    expect(fileJson(join(dir, 'winston.log')).map((e) => e.message)).toEqual(['hello'])
  })

  it("eol: '\\r\\n' ends every entry with it, byte for byte as File", async () => {
    const root = tempDir()
    const file = new winston.transports.File({ filename: join(root, 'file.log'), eol: '\r\n' })
    const ours = new AsyncDirectTransport({ filename: join(root, 'ours.log'), eol: '\r\n' })
    await Promise.all([logAll(file, ['a', 'b']), logAll(ours, ['a', 'b'])])
    const text = readFileSync(ours.filename, 'utf8')
    expect(text).toBe('{"level":"info","message":"a"}\r\n{"level":"info","message":"b"}\r\n')
    expect(text).toBe(readFileSync(join(root, 'file.log'), 'utf8'))
  })

  it('an eol without a newline is refused: every entry of the lines format ends with one', () => {
    const err = configError({ filename: join(tempDir(), 'x.log'), eol: ' | ' })
    expect(err.field).toBe('eol')
    expect(err.message).toContain("ending with '\\n'")
    expect(configError({ filename: join(tempDir(), 'x.log'), eol: '\r\n', fileFormat: 'framed' }).field).toBe(
      'eol',
    )
  })

  it('maxsize and maxFiles rotate: no file past maxsize, at most maxFiles kept, the newest entries all there', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({
      filename,
      maxsize: 16 * 1024,
      maxFiles: 3,
      bufferSize: 64 * 1024,
      numShards: 2,
    })
    const messages = Array.from({ length: 3000 }, (_, i) => `entry ${i}`)
    await logAll(t, messages)
    const files = listSeries(filename)
    expect(files).toHaveLength(3)
    for (const f of files) expect(statSync(f.path).size).toBeLessThanOrEqual(16 * 1024)
    const kept = files.flatMap((f) => fileJson(f.path).map((e) => e.message))
    expect(kept.length).toBeGreaterThan(0)
    expect(kept).toEqual(messages.slice(messages.length - kept.length))
    expect(t.stats.rotations).toBeGreaterThan(3)
    // Not tailable: the configured name is not written.
    expect(existsSync(filename)).toBe(false)
  })

  it('tailable: the configured name always names the file written now (a symlink)', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({
      filename,
      maxsize: 8192,
      tailable: true,
      bufferSize: 65536,
      numShards: 2,
    })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    for (let i = 0; i < 1000; i++) logger.info('x', { seq: i })
    await t.flush()
    expect(lstatSync(filename).isSymbolicLink()).toBe(true)
    expect(join(dirname(filename), readlinkSync(filename))).toBe(t.currentFile)
    expect(t.stats.rotations).toBeGreaterThan(0)
    await end(logger)
  })

  it('maxFiles and tailable without maxsize do nothing, as with File: one file, never rotated', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({ filename, maxFiles: 2, tailable: true })
    await logAll(t, ['a', 'b'])
    expect(lstatSync(filename).isFile()).toBe(true)
    expect(fileJson(filename).map((e) => e.message)).toEqual(['a', 'b'])
  })

  it('maxsize is checked and cannot be combined with rotate', () => {
    const filename = join(tempDir(), 'x.log')
    expect(configError({ filename, maxsize: 100 }).message).toContain('at least 4096')
    expect(configError({ filename, maxsize: 65536, rotate: { size: '1MiB' } }).field).toBe('maxsize')
    expect(configError({ filename, maxFiles: -1 }).field).toBe('maxFiles')
    expect(configError({ filename, tailable: 'yes' }).field).toBe('tailable')
  })

  it("name is the transport's name; 'file' by default, as File's", async () => {
    const a = new AsyncDirectTransport({ filename: join(tempDir(), 'a.log') })
    const b = new AsyncDirectTransport({ filename: join(tempDir(), 'b.log'), name: 'audit' })
    expect([a.name, b.name]).toEqual(['file', 'audit'])
    await Promise.all([a.close(), b.close()])
    expect(configError({ filename: join(tempDir(), 'c.log'), name: '' }).field).toBe('name')
  })

  it('options: appending flags and mode are taken; truncating flags and stream positions are refused', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({ filename, options: { flags: 'a', mode: 0o600, encoding: 'utf8' } })
    await logAll(t, ['a'])
    expect(statSync(filename).mode & 0o777).toBe(0o600)
    const flags = configError({ filename: join(tempDir(), 'x.log'), options: { flags: 'w' } })
    expect(flags.field).toBe('options.flags')
    expect(flags.message).toContain('truncate: true')
    expect(configError({ filename: join(tempDir(), 'x.log'), options: { start: 10 } }).field).toBe(
      'options.start',
    )
    expect(configError({ filename: join(tempDir(), 'x.log'), options: { encoding: 'latin1' } }).field).toBe(
      'options.encoding',
    )
  })
})

describe('lazy', () => {
  it('creates no file until the first entry; one closed before any entry creates none', async () => {
    const dir = tempDir()
    const idle = new AsyncDirectTransport({ filename: join(dir, 'idle.log'), lazy: true })
    await idle.close()
    expect(existsSync(join(dir, 'idle.log'))).toBe(false)

    const t = new AsyncDirectTransport({ filename: join(dir, 'app.log'), lazy: true })
    expect(existsSync(t.filename)).toBe(false)
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    logger.info('first')
    expect(existsSync(t.filename)).toBe(true)
    logger.info('second')
    await end(logger)
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['first', 'second'])
  })

  it("a file that cannot be opened yet is a 'warn' per entry, counted as dropped; the next entry tries again", async () => {
    const dir = join(tempDir(), 'later')
    const t = new AsyncDirectTransport({ filename: join(dir, 'app.log'), lazy: true, mkdir: false })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    const warned: Error[] = []
    logger.on('warn', (err: Error) => warned.push(err))
    logger.info('lost')
    expect(warned.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOENT'])
    await mkdir(dir)
    logger.info('kept')
    expect(t.stats.droppedLogs).toBe(1)
    expect(t.stats.totalLogs).toBe(2)
    await end(logger)
    expect(fileJson(t.filename).map((e) => e.message)).toEqual(['kept'])
    expect(basename(t.filename)).toBe('app.log')
  })
})

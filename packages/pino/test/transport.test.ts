import { once } from 'node:events'
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { readEntries, verify } from '@asyncdirect/core'
import { listSeries } from '@asyncdirect/core/format'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { fixture, readLines, readText, TARGET, tempFiles } from './support/files.js'
import { deterministic, expectedOutput, logSequence } from './support/pino-output.js'

// The transport target in real thread-stream workers, loaded by pino.transport() as users load it.

const files = tempFiles('transport')
/** Its own directory: a rotated series is every file of its name there. */
const rotateFiles = tempFiles('transport-rotate')

type ThreadStream = ReturnType<typeof pino.transport>

/** Ends a transport and waits for its 'close': the point where the file must be complete. */
async function endTransport(transport: ThreadStream): Promise<void> {
  const closed = once(transport, 'close')
  transport.end()
  await closed
}

const flushed = (logger: pino.Logger): Promise<void> =>
  new Promise((resolve, reject) => logger.flush((err) => (err ? reject(err) : resolve())))

describe('transport target', () => {
  it("writes pino's bytes unchanged: the file equals what pino wrote to a memory stream", async () => {
    const path = files.next()
    const expected = expectedOutput((l) => logSequence(l, 1000))
    // More than thread-stream's 4 MiB buffer: its chunks cut lines in two.
    expect(Buffer.byteLength(expected)).toBeGreaterThan(5 * 1024 * 1024)
    const transport = pino.transport({ target: TARGET, options: { destination: path } })
    logSequence(pino(deterministic, transport), 1000)
    await endTransport(transport)
    expect(readText(path).length).toBe(expected.length)
    expect(readText(path) === expected).toBe(true)
  })

  it('loads by package name, as users write it', async () => {
    const path = files.next()
    const transport = pino.transport({ target: '@asyncdirect/pino', options: { destination: path } })
    const logger = pino(deterministic, transport)
    logger.info({ n: 1 }, 'by name')
    await endTransport(transport)
    expect(readText(path)).toBe(expectedOutput((l) => l.info({ n: 1 }, 'by name')))
  })

  it('logger.flush(cb) calls back once the lines are in the file, before the stream ends', async () => {
    const path = files.next()
    const transport = pino.transport({ target: TARGET, options: { destination: path } })
    const logger = pino(deterministic, transport)
    for (let i = 0; i < 5000; i++) logger.info({ i }, 'before flush')
    await flushed(logger)
    const lines = readLines(path)
    expect(lines).toHaveLength(5000)
    expect(JSON.parse(lines[4999]!).i).toBe(4999)
    logger.info('after flush')
    await endTransport(transport)
    expect(readLines(path)).toHaveLength(5001)
  })

  it("'close' comes once everything is written, with the core's default (64 MiB) buffers", async () => {
    const path = files.next()
    const transport = pino.transport({ target: TARGET, options: { destination: path } })
    const logger = pino(deterministic, transport)
    for (let i = 0; i < 50_000; i++) logger.info({ i }, 'until close')
    await endTransport(transport)
    const lines = readLines(path)
    expect(lines).toHaveLength(50_000)
    expect(lines.every((l, i) => JSON.parse(l).i === i)).toBe(true)
  })

  it('as one of several targets with levels: debug and up to one file, error and up to another', async () => {
    const all = files.next('all')
    const errors = files.next('errors')
    const transport = pino.transport({
      targets: [
        { target: TARGET, level: 'debug', options: { destination: all, bufferSize: 1 << 20, numShards: 2 } },
        { target: TARGET, level: 'error', options: { destination: errors } },
      ],
    })
    const logger = pino({ ...deterministic, level: 'trace' }, transport)
    logSequence(logger, 50)
    await endTransport(transport)

    const expected = expectedOutput((l) => logSequence(l, 50))
      .slice(0, -1)
      .split('\n')
    const level = (line: string): number => JSON.parse(line).level
    expect(readLines(all)).toEqual(expected.filter((l) => level(l) >= 20))
    expect(readLines(errors)).toEqual(expected.filter((l) => level(l) >= 50))
    expect(readLines(errors).length).toBeGreaterThan(0)
  })

  it('at the end of a pipeline, after a stage that changes the lines', async () => {
    const path = files.next()
    const transport = pino.transport({
      pipeline: [{ target: fixture('tag-lines.mjs') }, { target: TARGET, options: { destination: path } }],
    })
    logSequence(pino(deterministic, transport), 50)
    await endTransport(transport)
    const expected = expectedOutput((l) => logSequence(l, 50))
      .slice(0, -1)
      .split('\n')
      .map((l) => l.replace(/^\{/, '{"piped":true,'))
    expect(readLines(path)).toEqual(expected)
  })

  it("the 'framed' format: one entry per pino line, each pino's bytes", async () => {
    const path = files.next()
    const transport = pino.transport({ target: TARGET, options: { destination: path, format: 'framed' } })
    logSequence(pino(deterministic, transport), 100)
    await endTransport(transport)
    const report = await verify(path)
    expect(report.problems).toEqual([])
    const entries: string[] = []
    for await (const e of readEntries(path)) entries.push(e.toString())
    expect(entries.join('') === expectedOutput((l) => logSequence(l, 100))).toBe(true)
    expect(entries).toHaveLength(700)
  })

  it('rotate: a series of files that together hold exactly what pino wrote, in order', async () => {
    const path = join(rotateFiles.dir, 'app.log')
    const expected = expectedOutput((l) => logSequence(l, 300))
    const transport = pino.transport({
      target: TARGET,
      options: { destination: path, bufferSize: 256 * 1024, numShards: 2, rotate: { size: '256KiB' } },
    })
    logSequence(pino(deterministic, transport), 300)
    await endTransport(transport)
    const files = listSeries(path)
    expect(files.length).toBeGreaterThan(3)
    for (const f of files) expect(statSync(f.path).size).toBeLessThanOrEqual(256 * 1024)
    expect(files.map((f) => readText(f.path)).join('') === expected).toBe(true)
  })

  it('appends to an existing file', async () => {
    const path = files.next()
    for (const run of [1, 2]) {
      const transport = pino.transport({ target: TARGET, options: { destination: path } })
      pino(deterministic, transport).info({ run }, 'run')
      await endTransport(transport)
    }
    expect(readLines(path).map((l) => JSON.parse(l).run)).toEqual([1, 2])
  })
})

describe('transport options', () => {
  it("append: false, as pino/file's, empties the file it opens", async () => {
    const path = files.next()
    for (const run of [1, 2]) {
      const transport = pino.transport({ target: TARGET, options: { destination: path, append: false } })
      pino(deterministic, transport).info({ run }, 'run')
      await endTransport(transport)
    }
    expect(readLines(path).map((l) => JSON.parse(l).run)).toEqual([2])
  })

  /** The error a transport with these options reports (the target throws in the worker). */
  async function optionError(options: Record<string, unknown>): Promise<Error> {
    const transport = pino.transport({ target: TARGET, options })
    const [err] = (await once(transport, 'error')) as [Error]
    return err
  }

  it('a missing destination is named', async () => {
    expect((await optionError({})).message).toMatch(/invalid config\.destination: required/)
  })

  it('append: false with rotate is refused, naming append', async () => {
    const err = await optionError({ destination: files.next(), append: false, rotate: { size: '1MiB' } })
    expect(err.message).toMatch(/config\.append: false empties the file at open.*rotate/)
  })

  it('an empty destination is named', async () => {
    expect((await optionError({ destination: '' })).message).toMatch(/config\.destination/)
  })

  it('an invalid core option is named, with what it accepts', async () => {
    const err = await optionError({ destination: files.next(), numShards: 0 })
    expect(err.message).toMatch(/config\.numShards: expected an integer from 1 to 256/)
  })

  it("an unknown option is named, with a hint when it is another adapter's spelling", async () => {
    const err = await optionError({ dest: files.next() })
    expect(err.message).toMatch(
      /config\.dest: unknown option \(the transport names the file with 'destination'\)/,
    )
  })
})

import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { attach, type LogFormat, type LoggerHandle, verify } from '../dist/index.js'
import { open, readBuffers, tempPath } from './support/temp-loggers.js'

// Whatever a caller hands the logger, and whenever: each input has one documented outcome
// (a TypeError, a counted drop, or the entry written byte for byte), never a crash, a hang or a
// file that does not decode. The outcomes are listed in docs/guarantees.md.

const KiB = 1024
const MiB = 1024 * KiB
const FORMATS: LogFormat[] = ['framed', 'lines']
/** 64 KiB shards: the largest entry that fits one is 65524 bytes (framed) or 65527 (lines). */
const SMALL = { bufferSize: 128 * KiB, numShards: 2 }

/** What a reader returns for `text` logged in `format` (lines: one newline at the end is the separator). */
function expectedBytes(entry: string | Uint8Array, format: LogFormat): Buffer {
  const b = typeof entry === 'string' ? Buffer.from(entry, 'utf8') : Buffer.from(entry)
  return format === 'lines' && b.at(-1) === 0x0a ? b.subarray(0, -1) : b
}

async function expectFile(
  path: string,
  entries: Array<string | Uint8Array>,
  format: LogFormat,
): Promise<void> {
  expect((await verify(path)).problems).toEqual([])
  const got = await readBuffers(path)
  expect(got.length).toBe(entries.length)
  const first = got.findIndex((g, i) => !g.equals(expectedBytes(entries[i]!, format)))
  expect(first, first < 0 ? '' : `entry ${first} differs`).toBe(-1)
}

describe('values that are not entries', () => {
  const notStrings: Array<[string, unknown]> = [
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { toString: () => 'sneaky' }],
    ['a String object', new String('boxed')],
    ['a Buffer', Buffer.from('bytes')],
    ['a symbol', Symbol('s')],
    ['a bigint', 10n],
    ['a function', () => 'f'],
  ]
  const notBytes: Array<[string, unknown]> = [
    ['a string', 'text'],
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an array of numbers', [1, 2, 3]],
    ['an ArrayBuffer', new ArrayBuffer(8)],
    ['a DataView', new DataView(new ArrayBuffer(8))],
    ['a Uint16Array', new Uint16Array(4)],
    ['a Uint8ClampedArray', new Uint8ClampedArray(4)],
    ['a Uint8Array of another realm (vm context)', runInNewContext('new Uint8Array([1, 2, 3])')],
    ['an array-like object', { length: 3, 0: 1, 1: 2, 2: 3 }],
  ]

  it.each(FORMATS)(
    '%s: log() and logBytes() throw a TypeError naming the method; nothing is counted or written',
    async (format) => {
      const path = tempPath()
      const logger = await open({ path, format, ...SMALL })
      logger.log('before')
      for (const [what, value] of notStrings) {
        expect(() => logger.log(value as string), `log(${what})`).toThrow(TypeError)
        expect(() => logger.log(value as string), `log(${what})`).toThrow(
          expect.objectContaining({ code: 'ASYNCDIRECT_INVALID_ARGUMENT' }),
        )
        expect(() => logger.log(value as string), `log(${what})`).toThrow(/log\(\) accepts a string/)
      }
      for (const [what, value] of notBytes) {
        expect(() => logger.logBytes(value as Uint8Array), `logBytes(${what})`).toThrow(TypeError)
        expect(() => logger.logBytes(value as Uint8Array), `logBytes(${what})`).toThrow(
          /logBytes\(\) accepts a Uint8Array/,
        )
      }
      logger.log('after')
      await logger.close()
      // A bad value is the caller's bug, reported to the caller: it is not a log call.
      expect(logger.getStatsSnapshot().totalLogs).toBe(2)
      expect(logger.getStatsSnapshot().droppedLogs).toBe(0)
      // After close the type is still checked first.
      expect(() => logger.log(42 as unknown as string)).toThrow(TypeError)
      await expectFile(path, ['before', 'after'], format)
    },
  )

  it('attach() refuses what is not a logger handle', async () => {
    for (const bad of [null, undefined, {}, 'handle', { kind: 'asyncdirect.handle', version: 2 }]) {
      await expect(attach(bad as LoggerHandle)).rejects.toThrow(TypeError)
      await expect(attach(bad as LoggerHandle)).rejects.toMatchObject({
        code: 'ASYNCDIRECT_INVALID_ARGUMENT',
      })
    }
  })
})

describe('entries at the edges', () => {
  it.each(FORMATS)(
    '%s: empty entries (string, Uint8Array, Buffer) are written as empty entries',
    async (format) => {
      const path = tempPath()
      const logger = await open({ path, format, ...SMALL })
      const entries: Array<string | Uint8Array> = ['a', '', new Uint8Array(0), Buffer.alloc(0), 'b']
      for (const e of entries) expect(typeof e === 'string' ? logger.log(e) : logger.logBytes(e)).toBe(true)
      await logger.close()
      expect(logger.getStatsSnapshot().entriesWritten).toBe(5)
      await expectFile(path, entries, format)
    },
  )

  it.each(FORMATS)(
    '%s: lone and reversed surrogates are written as U+FFFD, as Buffer.from does, on every path',
    async (format) => {
      const path = tempPath()
      const logger = await open({ path, format, ...SMALL })
      const maxEntry = format === 'lines' ? 64 * KiB - 8 - 1 : 64 * KiB - 8 - 4
      const entries = [
        '\uD800',
        '\uDFFF',
        'a\uD800b',
        '\uDC00\uD800',
        'pair \uD83D\uDE00 ok',
        '\uD83D',
        // Exactly the largest entry that fits a shard (a lone surrogate is 3 bytes of U+FFFD)...
        'a'.repeat(maxEntry - 3 * 21_000) + '\uD800'.repeat(21_000),
        // ...and one byte more: the oversize path, which encodes with Buffer.from.
        'a'.repeat(maxEntry - 3 * 21_000 + 1) + '\uDBFF'.repeat(21_000),
        // Larger than the whole buffer.
        `${'\uDC00'.repeat(100_000)}end`,
      ]
      expect(Buffer.byteLength(entries[6]!)).toBe(maxEntry)
      for (const e of entries) expect(logger.log(e)).toBe(true)
      await logger.close()
      const s = logger.getStatsSnapshot()
      expect(s.oversizeEntries).toBe(2)
      await expectFile(path, entries, format)
      const got = await readBuffers(path)
      expect(got[0]!.equals(Buffer.from([0xef, 0xbf, 0xbd]))).toBe(true)
    },
  )

  it.each(FORMATS)(
    '%s: entries larger than a shard and than both buffer sets are written whole, in order',
    async (format) => {
      const path = tempPath()
      const logger = await open({ path, format, ...SMALL })
      const shardPlus = Buffer.alloc(64 * KiB + 1, 0x61)
      const huge = Buffer.alloc(3 * MiB)
      for (let i = 0; i < huge.length; i++) huge[i] = 0x20 + (i % 90) // printable: a line of its own in 'lines'
      const entries: Array<string | Uint8Array> = []
      const add = (e: string | Uint8Array) => {
        entries.push(e)
        expect(typeof e === 'string' ? logger.log(e) : logger.logBytes(e)).toBe(true)
      }
      for (let i = 0; i < 50; i++) add(`small ${i}`)
      add(shardPlus)
      add('between')
      add(huge)
      add(huge.toString('latin1'))
      for (let i = 0; i < 50; i++) add(`small after ${i}`)
      await logger.close()
      expect(logger.getStatsSnapshot().oversizeEntries).toBe(3)
      await expectFile(path, entries, format)
    },
  )

  it('a view into a larger buffer is copied as the view, not the buffer behind it', async () => {
    const path = tempPath()
    const logger = await open({ path, ...SMALL })
    const backing = Buffer.from('0123456789abcdef')
    const shared = new Uint8Array(new SharedArrayBuffer(8))
    shared.set([0x73, 0x61, 0x62])
    logger.logBytes(backing.subarray(4, 8))
    logger.logBytes(new Uint8Array(backing.buffer, backing.byteOffset + 10, 3))
    logger.logBytes(shared.subarray(0, 3))
    // A Uint8Array whose buffer was transferred away has no bytes left: an empty entry.
    const detached = new Uint8Array([1, 2, 3])
    structuredClone(detached.buffer, { transfer: [detached.buffer] })
    logger.logBytes(detached)
    await logger.close()
    const got = (await readBuffers(path)).map((b) => b.toString('latin1'))
    expect(got).toEqual(['4567', 'abc', 'sab', ''])
  })
})

describe('after close and detach', () => {
  it.each(FORMATS)(
    '%s: every call returns false and is counted as dropped; the file does not change',
    async (format) => {
      const path = tempPath()
      const logger = await open({ path, format, ...SMALL })
      logger.log('kept')
      await logger.close()
      const size = readFileSync(path).length
      expect(logger.log('late')).toBe(false)
      expect(logger.logBytes(Buffer.from('late'))).toBe(false)
      expect(logger.log('')).toBe(false)
      expect(logger.logBytes(Buffer.alloc(300 * KiB))).toBe(false)
      expect(logger.log('x'.repeat(300 * KiB))).toBe(false)
      await logger.close()
      await logger.flush()
      const s = logger.getStatsSnapshot()
      expect(s.droppedLogs).toBe(5)
      expect(s.totalLogs).toBe(6)
      expect(readFileSync(path).length).toBe(size)
      await expectFile(path, ['kept'], format)
    },
  )
})

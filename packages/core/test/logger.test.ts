import { existsSync, readFileSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readEntries, verify } from '../dist/index.js'
import { open, readBuffers, readStrings, tempPath } from './support/temp-loggers.js'

const KiB = 1024
// Keeps the interval flush and early writes out of the tests that look at what is still buffered.
const NEVER = 3_600_000

/** Compares two long lists of strings, with a short message on failure. */
function expectSameList(got: string[], expected: string[]): void {
  const show = (v: string | undefined) => (v === undefined ? '(none)' : JSON.stringify(v.slice(0, 24)))
  const first = got.findIndex((g, i) => g !== expected[i])
  const at = first >= 0 ? first : got.length < expected.length ? got.length : -1
  expect(
    { length: got.length, firstDifference: at },
    at < 0 ? '' : `entry ${at}: got ${show(got[at])}, expected ${show(expected[at])}`,
  ).toEqual({ length: expected.length, firstDifference: -1 })
}

/** Deterministic 32-bit PRNG (mulberry32): the same seed gives the same sequence. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

describe('basic logging', () => {
  it('creates the file and reads every entry back in order', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    expect(existsSync(path)).toBe(true)
    expect(logger.path).toBe(path)
    const expected = Array.from({ length: 500 }, (_, i) => `entry ${i}: the quick brown fox`)
    for (const e of expected) expect(logger.log(e)).toBe(true)
    await logger.close()
    expectSameList(await readStrings(path), expected)
  })

  it('string API', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    const expected = ['plain ascii', 'ünïcödé ✓ 中文 😀', '{"json":true,"n":1}\n', 'tab\there']
    for (const e of expected) logger.log(e)
    await logger.close()
    const got = await readBuffers(path)
    expect(got).toEqual(expected.map((e) => Buffer.from(e, 'utf8')))
  })

  it('bytes API, including bytes that are not UTF-8 and a subarray with an offset', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
    const expected = [
      all,
      new Uint8Array([0xff, 0xfe, 0x00, 0x80]),
      all.subarray(100, 140),
      Buffer.from('bytes'),
      new Uint8Array(new ArrayBuffer(16), 4, 8).fill(7),
    ]
    for (const e of expected) expect(logger.logBytes(e)).toBe(true)
    await logger.close()
    const got = await readBuffers(path)
    expect(got.map((b) => [...b])).toEqual(expected.map((e) => [...e]))
  })

  it('mixed string and bytes calls keep their order', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    const expected: string[] = []
    for (let i = 0; i < 1000; i++) {
      const text = `mixed ${i} ${'é'.repeat(i % 7)}`
      expected.push(text)
      if (i % 3 === 0) logger.logBytes(Buffer.from(text))
      else logger.log(text)
    }
    await logger.close()
    expectSameList(await readStrings(path), expected)
  })

  it('a message without a newline is stored exactly, nothing added', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    logger.log('no newline')
    logger.log('one newline\n')
    logger.logBytes(Buffer.from('bytes without newline'))
    await logger.close()
    const got = await readBuffers(path)
    expect(got.map((b) => b.toString())).toEqual(['no newline', 'one newline\n', 'bytes without newline'])
    expect(got.map((b) => b.length)).toEqual([10, 12, 21])
    // One block whose valid bytes are exactly the three records: nothing was added to any entry.
    const raw = readFileSync(path)
    expect(raw.readUInt32LE(4)).toBe(3 * 4 + 10 + 12 + 21)
    expect(raw.subarray(8 + 4, 8 + 4 + 10).toString()).toBe('no newline')
    expect(raw.readUInt32LE(8 + 4 + 10)).toBe(12)
  })
})

describe('statistics', () => {
  it('after close: counts, bytes written equal the file growth, flushes, I/O mode', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 256 * KiB, numShards: 4 })
    const n = 3000
    let payload = 0
    for (let i = 0; i < n; i++) {
      const text = `stat entry ${i} ${'x'.repeat(i % 50)}`
      payload += Buffer.byteLength(text)
      logger.log(text)
    }
    await logger.close()
    const s = logger.getStatsSnapshot()
    const size = statSync(path).size
    expect(s.totalLogs).toBe(n)
    expect(s.entriesWritten).toBe(n)
    expect(s.droppedLogs).toBe(0)
    expect(s.abandonedEntries).toBe(0)
    expect(s.oversizeEntries).toBe(0)
    expect(s.flushErrors).toBe(0)
    expect(s.bytesWritten).toBe(size)
    expect(s.bytesWritten).toBeGreaterThanOrEqual(payload + 4 * n)
    expect(s.flushes).toBeGreaterThanOrEqual(1)
    expect(Number.isInteger(s.setSwaps)).toBe(true)
    expect(s.setSwaps).toBeGreaterThanOrEqual(0)
    expect(s.directIO).toBe(true)
    expect([512, 4096]).toContain(s.alignment)
    expect(size % s.alignment).toBe(0)
    const report = await verify(path)
    expect(report.ok).toBe(true)
    expect(report.entries).toBe(n)
    expect(report.entryBytes).toBe(payload)
  })

  it('getFlushMetrics: zero before the first flush, consistent after', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, flushInterval: NEVER, writeDelay: NEVER })
    const before = logger.getFlushMetrics()
    expect(before).toEqual({
      totalFlushes: 0,
      totalFlushDuration: 0,
      avgFlushDuration: 0,
      maxFlushDuration: 0,
      lastFlushDuration: 0,
      lastFlushBytes: 0,
      lastFlushAt: 0,
    })
    for (let i = 0; i < 100; i++) logger.log(`metric ${i}`)
    const t0 = Date.now()
    await logger.flush()
    const t1 = Date.now()
    const m = logger.getFlushMetrics()
    const s = logger.getStatsSnapshot()
    expect(m.totalFlushes).toBeGreaterThanOrEqual(1)
    expect(m.totalFlushes).toBe(s.flushes)
    expect(m.totalFlushDuration).toBeGreaterThanOrEqual(0)
    expect(m.avgFlushDuration).toBeCloseTo(m.totalFlushDuration / m.totalFlushes, 9)
    expect(m.maxFlushDuration).toBeGreaterThanOrEqual(m.avgFlushDuration - 1e-9)
    expect(m.maxFlushDuration).toBeGreaterThanOrEqual(m.lastFlushDuration)
    expect(m.lastFlushBytes).toBeGreaterThan(0)
    expect(m.lastFlushBytes % s.alignment).toBe(0)
    expect(m.lastFlushBytes).toBeLessThanOrEqual(s.bytesWritten)
    expect(m.lastFlushAt).toBeGreaterThanOrEqual(t0)
    expect(m.lastFlushAt).toBeLessThanOrEqual(t1)
    for (let i = 0; i < 100; i++) logger.log(`metric 2 ${i}`)
    await logger.close()
    const after = logger.getFlushMetrics()
    expect(after.totalFlushes).toBe(logger.getStatsSnapshot().flushes)
    expect(after.totalFlushes).toBeGreaterThan(m.totalFlushes)
    expect(after.totalFlushDuration).toBeGreaterThanOrEqual(m.totalFlushDuration)
  })

  it('getShardStats: one entry per shard, capacities, counts, the main thread on one shard', async () => {
    const path = tempPath()
    const numShards = 4
    const bufferSize = numShards * 64 * KiB
    const logger = await open({
      format: 'framed',
      path,
      bufferSize,
      numShards,
      flushInterval: NEVER,
      writeDelay: NEVER,
    })
    const n = 200
    let recordBytes = 0
    for (let i = 0; i < n; i++) {
      const text = `shard stats ${i}`
      recordBytes += 4 + Buffer.byteLength(text)
      logger.log(text)
    }
    const stats = logger.getShardStats()
    expect(stats).toHaveLength(numShards)
    expect(stats.map((s) => s.shardId)).toEqual([0, 1, 2, 3])
    for (const s of stats) {
      expect(s.capacity).toBe(bufferSize / numShards)
      expect(s.utilizationPct).toBeGreaterThanOrEqual(0)
      expect(s.utilizationPct).toBeLessThanOrEqual(100)
      expect(s.utilizationPct).toBeCloseTo((s.bytesUsed / s.capacity) * 100, 9)
    }
    expect(stats.reduce((sum, s) => sum + s.writeCount, 0)).toBe(n)
    const used = stats.filter((s) => s.writeCount > 0)
    expect(used).toHaveLength(1)
    expect(used[0]!.writeCount).toBe(n)
    // Still buffered: header plus every record.
    expect(used[0]!.bytesUsed).toBe(8 + recordBytes)
    expect(stats.filter((s) => s.writeCount === 0).every((s) => s.bytesUsed === 0)).toBe(true)
    await logger.close()
    const after = logger.getShardStats()
    expect(after.reduce((sum, s) => sum + s.writeCount, 0)).toBe(n)
    expect(after.find((s) => s.shardId === used[0]!.shardId)!.writeCount).toBe(n)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(n)
  })
})

describe('buffers', () => {
  it('a small buffer fills and swaps many times; everything is read back in order', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 64 * KiB, numShards: 2 })
    const n = 20_000
    const expected: string[] = []
    for (let i = 0; i < n; i++) {
      const text = `swap entry ${i} ${'abcdefghij'.repeat(i % 20)}`
      expected.push(text)
      expect(logger.log(text)).toBe(true)
    }
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.setSwaps).toBeGreaterThan(0)
    expect(s.flushes).toBeGreaterThan(1)
    expect(s.droppedLogs).toBe(0)
    expect(s.entriesWritten).toBe(n)
    expect(s.bytesWritten).toBe(statSync(path).size)
    expectSameList(await readStrings(path), expected)
  })

  it('data presence: bytes are used in the shard before any flush, and none after flush()', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, flushInterval: NEVER, writeDelay: NEVER })
    expect(logger.getShardStats().every((s) => s.bytesUsed === 0)).toBe(true)
    logger.log('present')
    logger.logBytes(Buffer.from('and accounted for'))
    const used = logger.getShardStats().reduce((sum, s) => sum + s.bytesUsed, 0)
    expect(used).toBe(8 + 4 + 7 + 4 + 17)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(0)
    expect(logger.getStatsSnapshot().bytesWritten).toBe(0)
    expect(statSync(path).size).toBe(0)
    await logger.flush()
    expect(logger.getShardStats().every((s) => s.bytesUsed === 0)).toBe(true)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(2)
    expect(await readStrings(path)).toEqual(['present', 'and accounted for'])
  })

  it('useMMap: true round trips, through swaps', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, useMMap: true, bufferSize: 64 * KiB, numShards: 2 })
    const expected: string[] = []
    for (let i = 0; i < 5000; i++) {
      const text = `mmap ${i} ${'ü'.repeat(i % 30)}`
      expected.push(text)
      logger.log(text)
      if (i % 2 === 1) {
        expected.push(`bytes ${i}`)
        logger.logBytes(Buffer.from(`bytes ${i}`))
      }
    }
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.setSwaps).toBeGreaterThan(0)
    expect(s.entriesWritten).toBe(expected.length)
    expectSameList(await readStrings(path), expected)
  })
})

describe('lifecycle', () => {
  it('double close: the same promise, both resolve; later logs are dropped and counted', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    for (let i = 0; i < 10; i++) logger.log(`before close ${i}`)
    expect(logger.closed).toBe(false)
    const first = logger.close()
    const second = logger.close()
    expect(second).toBe(first)
    await expect(first).resolves.toBeUndefined()
    await expect(second).resolves.toBeUndefined()
    await expect(logger.close()).resolves.toBeUndefined()
    expect(logger.closed).toBe(true)
    const before = logger.getStatsSnapshot()
    expect(before.droppedLogs).toBe(0)
    expect(before.totalLogs).toBe(10)
    expect(logger.log('after close')).toBe(false)
    expect(logger.logBytes(Buffer.from('after close too'))).toBe(false)
    const after = logger.getStatsSnapshot()
    expect(after.droppedLogs).toBe(2)
    expect(after.totalLogs).toBe(12)
    expect(after.entriesWritten).toBe(10)
    // flush() after close resolves and writes nothing more.
    await logger.flush()
    expect(await readStrings(path)).toEqual(Array.from({ length: 10 }, (_, i) => `before close ${i}`))
  })

  it('close emits close', async () => {
    const logger = await open({ format: 'framed', path: tempPath() })
    let closes = 0
    logger.on('close', () => closes++)
    await logger.close()
    await logger.close()
    expect(closes).toBe(1)
  })

  it('flush() resolves with the entries durable in the file, before close', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, flushInterval: NEVER, writeDelay: NEVER })
    const first = Array.from({ length: 300 }, (_, i) => `first ${i}`)
    for (const e of first) logger.log(e)
    await logger.flush()
    expect(await readStrings(path)).toEqual(first)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(300)
    const second = Array.from({ length: 300 }, (_, i) => `second ${i}`)
    for (const e of second) logger.logBytes(Buffer.from(e))
    await logger.flush()
    expectSameList(await readStrings(path), [...first, ...second])
    // A flush with nothing buffered resolves too and changes nothing.
    const size = statSync(path).size
    await logger.flush()
    expect(statSync(path).size).toBe(size)
    expect(logger.closed).toBe(false)
    await logger.close()
    expectSameList(await readStrings(path), [...first, ...second])
  })

  it('a second logger on an existing file appends after the first run (never truncates)', async () => {
    const path = tempPath()
    const run1 = Array.from({ length: 1000 }, (_, i) => `run1 ${i}`)
    const run2 = Array.from({ length: 1000 }, (_, i) => `run2 ${i} ${'z'.repeat(i % 40)}`)
    const first = await open({ format: 'framed', path, bufferSize: 64 * KiB, numShards: 2 })
    for (const e of run1) first.log(e)
    await first.close()
    const size1 = statSync(path).size
    expect(size1).toBeGreaterThan(0)
    const second = await open({ format: 'framed', path, bufferSize: 64 * KiB, numShards: 2 })
    for (const e of run2) second.log(e)
    await second.close()
    const size2 = statSync(path).size
    expect(second.getStatsSnapshot().bytesWritten).toBe(size2 - size1)
    expectSameList(await readStrings(path), [...run1, ...run2])
    // A third run with defaults, and nothing logged: the file is unchanged.
    const third = await open({ format: 'framed', path })
    await third.close()
    expect(statSync(path).size).toBe(size2)
    expect((await verify(path)).ok).toBe(true)
  })
})

describe('entry content', () => {
  it('a reused Buffer mutated between logBytes calls (zero-allocation pattern)', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 64 * KiB, numShards: 2 })
    const scratch = Buffer.alloc(64)
    const expected: string[] = []
    for (let i = 0; i < 5000; i++) {
      const n = scratch.write(`req user=${i} status=${i % 2 ? 'ok' : 'fail'}`, 0, 'latin1')
      scratch[n] = 0x0a
      expected.push(scratch.toString('latin1', 0, n + 1))
      logger.logBytes(scratch.subarray(0, n + 1))
      scratch.fill(0x21) // scribble over it: the logger must have copied already
    }
    await logger.close()
    const got = await readStrings(path)
    expect(new Set(got).size).toBe(5000)
    expectSameList(got, expected)
  })

  it('wrong types throw a TypeError naming what is accepted, and are not counted', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    const log = logger.log.bind(logger) as (v: unknown) => boolean
    const logBytes = logger.logBytes.bind(logger) as (v: unknown) => boolean
    for (const bad of [123, null, undefined, Buffer.from('x'), { toString: () => 'x' }, ['a']]) {
      expect(() => log(bad)).toThrow(TypeError)
      expect(() => log(bad)).toThrow(/log\(\) accepts a string/)
    }
    for (const bad of ['text', 123, null, undefined, [1, 2, 3], new ArrayBuffer(4), new Uint16Array(2)]) {
      expect(() => logBytes(bad)).toThrow(TypeError)
      expect(() => logBytes(bad)).toThrow(/logBytes\(\) accepts a Uint8Array or Buffer/)
    }
    expect(logger.getStatsSnapshot().totalLogs).toBe(0)
    expect(logger.log('still works')).toBe(true)
    await logger.close()
    expect(logger.getStatsSnapshot().totalLogs).toBe(1)
    expect(await readStrings(path)).toEqual(['still works'])
  })

  it('empty string and empty Uint8Array are valid zero-length entries', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    expect(logger.log('')).toBe(true)
    expect(logger.logBytes(new Uint8Array(0))).toBe(true)
    expect(logger.log('after the empties')).toBe(true)
    expect(logger.logBytes(Buffer.alloc(0))).toBe(true)
    await logger.close()
    expect(await readStrings(path)).toEqual(['', '', 'after the empties', ''])
    expect(logger.getStatsSnapshot().entriesWritten).toBe(4)
  })

  it('invalid UTF-16 (lone surrogates) is written as U+FFFD, as Buffer.from does', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path })
    const inputs = ['\uD800', 'a\uDC00b', 'x\uD83D', '\uDE00\uD83D', 'pair \uD83D\uDE00 ok', '\uDBFF\uDFFF']
    for (const s of inputs) logger.log(s)
    await logger.close()
    const got = await readBuffers(path)
    expect(got).toEqual(inputs.map((s) => Buffer.from(s, 'utf8')))
    expect([...got[0]!]).toEqual([0xef, 0xbf, 0xbd])
    expect(got[1]!.toString('hex')).toBe('61efbfbd62')
  })
})

describe('a quarter of a million entries', () => {
  // Entries are slices of one source (a string of mixed 1- to 4-byte characters and its UTF-8
  // bytes), chosen by a seeded PRNG: the read-back regenerates them instead of holding ~1 GB.
  const CODE_POINTS = 1 << 18
  const MAX_BYTES = 8 * KiB
  const COUNT = 250_000
  const alphabet = [
    ...'abcdefghijklmnopqrstuvwxyz0123456789 ',
    ...'ABCDEFGHIJKLMNOPQRSTUVWXYZ,.;:!?-_',
    '\n',
    '\t',
    '"',
    '\\',
    'é',
    'ß',
    'ж',
    'ع',
    '€',
    '中',
    '✓',
    'ア',
    '😀',
    '𝄞',
    '🚀',
  ]
  const rand = prng(0x5eed)
  const chars: string[] = []
  for (let i = 0; i < CODE_POINTS; i++) chars.push(alphabet[rand() % alphabet.length]!)
  const source = chars.join('')
  const sourceBytes = Buffer.from(source, 'utf8')
  /** UTF-16 index and UTF-8 offset of code point i (and of the end, at CODE_POINTS). */
  const unitAt = new Uint32Array(CODE_POINTS + 1)
  const byteAt = new Uint32Array(CODE_POINTS + 1)
  for (let i = 0, u = 0, b = 0; i <= CODE_POINTS; i++) {
    unitAt[i] = u
    byteAt[i] = b
    if (i < CODE_POINTS) {
      const c = chars[i]!
      u += c.length
      b += Buffer.byteLength(c)
    }
  }

  interface Spec {
    isString: boolean
    /** UTF-16 range of the string entry. */
    u0: number
    u1: number
    /** UTF-8 bytes of the entry in sourceBytes. */
    b0: number
    b1: number
  }

  /** The i-th entry of the sequence drawn from `next`: always the same for the same seed. */
  function nextSpec(next: () => number, spec: Spec): void {
    const length = next() % (MAX_BYTES + 1)
    spec.isString = (next() & 1) === 0
    if (!spec.isString) {
      spec.b0 = next() % (sourceBytes.length - length + 1)
      spec.b1 = spec.b0 + length
      return
    }
    // Whole code points, as many as fit in `length` bytes.
    const first = next() % CODE_POINTS
    const limit = byteAt[first]! + length
    let lo = first
    let hi = CODE_POINTS
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if (byteAt[mid]! <= limit) lo = mid
      else hi = mid - 1
    }
    spec.u0 = unitAt[first]!
    spec.u1 = unitAt[lo]!
    spec.b0 = byteAt[first]!
    spec.b1 = byteAt[lo]!
  }

  it('random lengths 0..8 KiB, multibyte UTF-8, log and logBytes mixed: identical and in order', async () => {
    expect(sourceBytes.length).toBe(byteAt[CODE_POINTS])
    const path = tempPath('many.log')
    const logger = await open({ format: 'framed', path })
    const spec: Spec = { isString: false, u0: 0, u1: 0, b0: 0, b1: 0 }
    let next = prng(1234567)
    let rejected = 0
    let strings = 0
    let multibyte = 0
    let payload = 0
    for (let i = 0; i < COUNT; i++) {
      nextSpec(next, spec)
      payload += spec.b1 - spec.b0
      if (spec.isString) {
        strings++
        const text = source.slice(spec.u0, spec.u1)
        if (text.length !== spec.b1 - spec.b0) multibyte++
        if (!logger.log(text)) rejected++
      } else if (!logger.logBytes(sourceBytes.subarray(spec.b0, spec.b1))) {
        rejected++
      }
    }
    await logger.close()
    expect(rejected).toBe(0)
    // The sequence really mixes both APIs and multibyte text.
    expect(strings).toBeGreaterThan(COUNT * 0.45)
    expect(strings).toBeLessThan(COUNT * 0.55)
    expect(multibyte).toBeGreaterThan(strings * 0.9)
    const s = logger.getStatsSnapshot()
    expect(s.totalLogs).toBe(COUNT)
    expect(s.entriesWritten).toBe(COUNT)
    expect(s.droppedLogs).toBe(0)
    expect(s.abandonedEntries).toBe(0)
    expect(s.flushErrors).toBe(0)
    expect(s.bytesWritten).toBe(statSync(path).size)

    next = prng(1234567)
    let read = 0
    let firstMismatch = -1
    let mismatches = 0
    let detail = ''
    let readPayload = 0
    for await (const entry of readEntries(path)) {
      readPayload += entry.length
      if (read < COUNT) {
        nextSpec(next, spec)
        if (!entry.equals(sourceBytes.subarray(spec.b0, spec.b1))) {
          mismatches++
          if (firstMismatch < 0) {
            firstMismatch = read
            detail = `entry ${read}: got ${entry.length} bytes, expected ${spec.b1 - spec.b0}`
          }
        }
      }
      read++
    }
    expect({ firstMismatch, mismatches }, detail).toEqual({ firstMismatch: -1, mismatches: 0 })
    expect(read).toBe(COUNT)
    expect(readPayload).toBe(payload)
  }, 600_000)
})

import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { readEntries, verify } from '../dist/index.js'
import { viewControlBlock } from '../dist/shared/control-block.js'
import { lockIo, unlockIo } from '../dist/shared/io-lock.js'
import { open, readStrings, tempPath } from './support/temp-loggers.js'

const KiB = 1024
const MiB = 1024 * KiB
const NEVER = 3_600_000

/** Compares two long lists of strings with a short message on failure. */
function expectSameList(got: string[], expected: string[]): void {
  expect(got.length).toBe(expected.length)
  const first = got.findIndex((g, i) => g !== expected[i])
  const show = (s: string | undefined) => (s ?? '(none)').slice(0, 16)
  expect(
    first,
    first < 0 ? '' : `first difference at ${first}: ${show(got[first])} vs ${show(expected[first])}`,
  ).toBe(-1)
}

/** A burst entry: its index, then 200 to 300 bytes of filler. */
function burstEntry(i: number): string {
  return `burst ${i} ${'abcdefghijklmnopqrstuvwxyz'.repeat(12).slice(0, 200 + (i % 101))}`
}

/** Entries totalling at least `bytes` bytes of records. */
function burst(bytes: number): string[] {
  const out: string[] = []
  let total = 0
  while (total < bytes) {
    const e = burstEntry(out.length)
    out.push(e)
    total += 4 + Buffer.byteLength(e)
  }
  return out
}

const recordBytes = (entries: string[]): number => entries.reduce((n, e) => n + 4 + Buffer.byteLength(e), 0)

describe("backpressure 'block' (default)", () => {
  it('loses nothing under a burst of 10x the buffer size', async () => {
    const path = tempPath()
    const bufferSize = 256 * KiB
    const numShards = 2
    const logger = await open({ format: 'framed', path, bufferSize, numShards })
    const entries = burst(10 * bufferSize)
    let refused = 0
    for (const e of entries) if (!logger.log(e)) refused++
    await logger.close()
    expect(refused).toBe(0)
    const s = logger.getStatsSnapshot()
    expect(s.droppedLogs).toBe(0)
    expect(s.totalLogs).toBe(entries.length)
    expect(s.entriesWritten).toBe(entries.length)
    expect(s.flushErrors).toBe(0)
    expect(s.bytesWritten).toBe(statSync(path).size)
    // One thread uses one shard: the data went through many set fills.
    const shardSize = bufferSize / numShards
    expect(s.flushes).toBeGreaterThanOrEqual(Math.ceil(recordBytes(entries) / (shardSize - 8)))
    expect(s.setSwaps).toBeGreaterThan(0)
    expectSameList(await readStrings(path), entries)
  })

  it('the same burst through logBytes', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 256 * KiB, numShards: 2 })
    const entries = burst(10 * 256 * KiB)
    for (const e of entries) expect(logger.logBytes(Buffer.from(e))).toBe(true)
    await logger.close()
    expect(logger.getStatsSnapshot().droppedLogs).toBe(0)
    expectSameList(await readStrings(path), entries)
  })
})

describe('order across a blocked swap', () => {
  // A writer fills its shard exactly, so its next entry must wait for the other set and swap:
  // that entry must still reach the file after the one that filled the shard. A race between
  // the flusher's flushAll() and the writer's swap can make it overtake; one round shows it
  // about a third of the time here, so the test runs many rounds.
  it("a thread's entries stay in order when a full shard makes it wait for a swap (40 rounds)", async () => {
    const shardSize = 64 * KiB
    const fill = Buffer.alloc(shardSize - 8 - 4, 0x46)
    const outOfOrder: number[] = []
    for (let round = 0; round < 40; round++) {
      const path = tempPath()
      const logger = await open({ format: 'framed', path, bufferSize: 2 * shardSize, numShards: 2 })
      logger.log('a')
      logger.logBytes(fill)
      logger.log('b')
      await logger.close()
      const lengths: number[] = []
      for await (const e of readEntries(path)) lengths.push(e.length)
      expect(lengths.slice().sort((x, y) => x - y)).toEqual([1, 1, fill.length])
      if (lengths[1] !== fill.length) outOfOrder.push(round)
    }
    expect(outOfOrder, `rounds with 'b' written before the shard-filling entry: ${outOfOrder}`).toEqual([])
  })
})

describe("backpressure 'drop'", () => {
  it('under a burst: totalLogs == entriesWritten + droppedLogs, and the file holds exactly the accepted entries', async () => {
    const path = tempPath()
    const logger = await open({
      format: 'framed',
      path,
      bufferSize: 256 * KiB,
      numShards: 2,
      backpressure: 'drop',
    })
    const entries = burst(10 * 256 * KiB)
    const accepted: string[] = []
    for (const e of entries) if (logger.log(e)) accepted.push(e)
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.totalLogs).toBe(entries.length)
    expect(s.totalLogs).toBe(s.entriesWritten + s.droppedLogs)
    expect(s.droppedLogs).toBe(entries.length - accepted.length)
    expect(s.entriesWritten).toBe(accepted.length)
    expect(s.abandonedEntries).toBe(0)
    expectSameList(await readStrings(path), accepted)
  })

  it('with the flusher held off: writes beyond both sets are dropped and counted, the rest kept in order', async () => {
    const path = tempPath()
    const bufferSize = 256 * KiB
    const numShards = 2
    const shardSize = bufferSize / numShards
    const logger = await open({
      format: 'framed',
      path,
      bufferSize,
      numShards,
      backpressure: 'drop',
      flushInterval: NEVER,
      writeDelay: NEVER,
    })
    // Holding the I/O lock keeps every set from being written, so both sets fill for certain.
    const { i32 } = viewControlBlock(logger.handle.control, numShards)
    expect(lockIo(i32, 60_000)).toBe(true)
    const entries = burst(4 * bufferSize)
    const accepted: string[] = []
    const results: boolean[] = []
    try {
      for (const e of entries) {
        const ok = logger.log(e)
        results.push(ok)
        if (ok) accepted.push(e)
      }
      // Larger than any burst entry, so it cannot fit the space a dropped one left.
      expect(logger.logBytes(Buffer.alloc(1000, 0x2e))).toBe(false)
    } finally {
      unlockIo(i32)
    }
    const during = logger.getStatsSnapshot()
    expect(during.droppedLogs).toBe(entries.length - accepted.length + 1)
    expect(during.entriesWritten).toBe(0)
    // At most both sets' worth of this thread's shard was accepted, and most of it.
    expect(recordBytes(accepted)).toBeLessThanOrEqual(2 * (shardSize - 8))
    expect(recordBytes(accepted)).toBeGreaterThan(shardSize)
    // Accepted entries are a prefix: once both sets are full, everything after is dropped.
    expect(results.indexOf(false)).toBe(accepted.length)
    expect(results.slice(accepted.length).every((r) => !r)).toBe(true)

    // Once the flusher can write again, entries are accepted again.
    await logger.flush()
    const later = ['after the stall 1', 'after the stall 2']
    for (const e of later) expect(logger.log(e)).toBe(true)
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.totalLogs).toBe(entries.length + 1 + later.length)
    expect(s.totalLogs).toBe(s.entriesWritten + s.droppedLogs)
    expect(s.entriesWritten).toBe(accepted.length + later.length)
    expectSameList(await readStrings(path), [...accepted, ...later])
    expect((await verify(path)).ok).toBe(true)
  })
})

describe('entries larger than a shard', () => {
  it('a 200 KiB entry with 64 KiB shards round trips through log and logBytes, in order', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 128 * KiB, numShards: 2 })
    const bigText = `big text ${'日本語のログ ✓ '.repeat(20_000)}`.slice(0, 200 * KiB)
    expect(Buffer.byteLength(bigText)).toBeGreaterThan(64 * KiB)
    const bigBytes = Buffer.alloc(200 * KiB)
    for (let i = 0; i < bigBytes.length; i++) bigBytes[i] = (i * 31 + 7) & 0xff
    const expected: Buffer[] = []
    const logText = (t: string) => {
      expected.push(Buffer.from(t))
      expect(logger.log(t)).toBe(true)
    }
    for (let i = 0; i < 100; i++) logText(`before ${i}`)
    logText(bigText)
    for (let i = 0; i < 100; i++) logText(`between ${i}`)
    expected.push(bigBytes)
    expect(logger.logBytes(bigBytes)).toBe(true)
    for (let i = 0; i < 100; i++) logText(`after ${i}`)
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.oversizeEntries).toBe(2)
    expect(s.totalLogs).toBe(302)
    expect(s.entriesWritten).toBe(302)
    const got: Buffer[] = []
    for await (const e of readEntries(path)) got.push(e)
    expect(got.length).toBe(expected.length)
    const first = got.findIndex((g, i) => !g.equals(expected[i]!))
    expect(first).toBe(-1)
  })

  it('an entry larger than the whole buffer (1 MiB with bufferSize 128 KiB) round trips', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 128 * KiB, numShards: 2 })
    const huge = Buffer.alloc(MiB)
    for (let i = 0; i < huge.length; i += 4) huge.writeUInt32LE(i, i)
    const hugeText = 'ü'.repeat(MiB / 2) // 1 MiB of UTF-8
    logger.log('first')
    expect(logger.logBytes(huge)).toBe(true)
    logger.log('middle')
    expect(logger.log(hugeText)).toBe(true)
    logger.log('last')
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.oversizeEntries).toBe(2)
    expect(s.entriesWritten).toBe(5)
    expect(s.droppedLogs).toBe(0)
    const got: Buffer[] = []
    for await (const e of readEntries(path)) got.push(e)
    expect(got.map((g) => g.length)).toEqual([5, MiB, 6, MiB, 4])
    expect(got[1]!.equals(huge)).toBe(true)
    expect(got[3]!.toString('utf8')).toBe(hugeText)
    expect(got[0]!.toString()).toBe('first')
    expect(got[2]!.toString()).toBe('middle')
    expect(got[4]!.toString()).toBe('last')
    expect((await verify(path)).ok).toBe(true)
  })

  it('the boundary: the largest entry that fits a shard is not oversize, one byte more is', async () => {
    const path = tempPath()
    const shardSize = 64 * KiB
    const logger = await open({ format: 'framed', path, bufferSize: 2 * shardSize, numShards: 2 })
    const fits = Buffer.alloc(shardSize - 8 - 4, 0x41)
    const over = Buffer.alloc(shardSize - 8 - 4 + 1, 0x42)
    logger.log('a')
    expect(logger.logBytes(fits)).toBe(true)
    logger.log('b')
    expect(logger.logBytes(over)).toBe(true)
    logger.log('c')
    await logger.close()
    expect(logger.getStatsSnapshot().oversizeEntries).toBe(1)
    const got: Buffer[] = []
    for await (const e of readEntries(path)) got.push(e)
    expect(got.map((g) => g.length)).toEqual([1, fits.length, 1, over.length, 1])
    expect(got[1]!.equals(fits)).toBe(true)
    expect(got[3]!.equals(over)).toBe(true)
  })

  it("under 'drop' an oversize entry is still written, and after close it is dropped and counted", async () => {
    const path = tempPath()
    const logger = await open({
      format: 'framed',
      path,
      bufferSize: 128 * KiB,
      numShards: 2,
      backpressure: 'drop',
    })
    const big = Buffer.alloc(300 * KiB, 0x5a)
    logger.log('x')
    expect(logger.logBytes(big)).toBe(true)
    await logger.close()
    expect(logger.logBytes(big)).toBe(false)
    const s = logger.getStatsSnapshot()
    expect(s.oversizeEntries).toBe(1)
    expect(s.droppedLogs).toBe(1)
    expect(s.totalLogs).toBe(3)
    const got: Buffer[] = []
    for await (const e of readEntries(path)) got.push(e)
    expect(got.map((g) => g.length)).toEqual([1, big.length])
    expect(got[1]!.equals(big)).toBe(true)
  })
})

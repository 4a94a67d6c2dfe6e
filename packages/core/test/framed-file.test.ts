import { closeSync, openSync, readFileSync, statSync, truncateSync, writeSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { attach, type Logger, verify } from '../dist/index.js'
import { open, readBuffers, tempPath } from './support/temp-loggers.js'

// The files here are written by the engine; the test parses their raw bytes with its own code,
// written from the format description (DESIGN.md, "File formats"), not with the package's reader.

const KiB = 1024
const NEVER = 3_600_000

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to

interface ParsedBlock {
  offset: number
  capacity: number
  validBytes: number
  entries: Buffer[]
  /** File offsets of the entries' length prefixes. */
  entryOffsets: number[]
}

/**
 * Steps through the file by `capacity`, checking each block as it goes: aligned offset, capacity a
 * multiple of the alignment and holding the valid bytes, entries filling validBytes exactly,
 * zero padding, and the last block ending at the end of the file.
 */
function parseByCapacity(raw: Buffer, alignment: number): ParsedBlock[] {
  const blocks: ParsedBlock[] = []
  let offset = 0
  while (offset < raw.length) {
    expect(offset % alignment, `block offset ${offset}`).toBe(0)
    expect(raw.length - offset, `room for a header at ${offset}`).toBeGreaterThanOrEqual(8)
    const capacity = raw.readUInt32LE(offset)
    const validBytes = raw.readUInt32LE(offset + 4)
    expect(capacity, `capacity at ${offset}`).toBeGreaterThan(0)
    expect(capacity % alignment, `capacity ${capacity} at ${offset}`).toBe(0)
    expect(8 + validBytes, `validBytes at ${offset}`).toBeLessThanOrEqual(capacity)
    expect(offset + capacity, `block at ${offset} ends within the file`).toBeLessThanOrEqual(raw.length)
    const entries: Buffer[] = []
    const entryOffsets: number[] = []
    const validEnd = offset + 8 + validBytes
    let p = offset + 8
    while (p < validEnd) {
      expect(p + 4, `length prefix at ${p}`).toBeLessThanOrEqual(validEnd)
      const length = raw.readUInt32LE(p)
      expect(p + 4 + length, `entry at ${p} within validBytes`).toBeLessThanOrEqual(validEnd)
      entryOffsets.push(p)
      entries.push(raw.subarray(p + 4, p + 4 + length))
      p += 4 + length
    }
    expect(p, `entries of the block at ${offset} fill validBytes exactly`).toBe(validEnd)
    const padding = raw.subarray(validEnd, offset + capacity)
    expect(
      padding.findIndex((b) => b !== 0),
      `padding of the block at ${offset}`,
    ).toBe(-1)
    blocks.push({ offset, capacity, validBytes, entries, entryOffsets })
    offset += capacity
  }
  expect(offset).toBe(raw.length)
  return blocks
}

/** The seed's way: skip to the next 512 boundary after the valid bytes, pass over zero headers. */
function seedRead(raw: Buffer): Buffer[] {
  const out: Buffer[] = []
  let offset = 0
  while (offset + 8 <= raw.length) {
    const validBytes = raw.readUInt32LE(offset + 4)
    if (raw.readUInt32LE(offset) === 0 && validBytes === 0) {
      offset += 512
      continue
    }
    let p = offset + 8
    const end = p + validBytes
    while (p < end) {
      const length = raw.readUInt32LE(p)
      out.push(raw.subarray(p + 4, p + 4 + length))
      p += 4 + length
    }
    offset = roundUp(end, 512)
  }
  return out
}

/** Entry text: who wrote it, its sequence number, then filler. */
function entryText(writer: number, seq: number, fill: number): string {
  return `w${writer}:${seq}|${'0123456789abcdéf€'.repeat(Math.ceil(fill / 17)).slice(0, fill)}`
}

function parseTag(entry: Buffer): { writer: number; seq: number } {
  const text = entry.toString('utf8', 0, Math.min(entry.length, 32))
  const m = /^w(\d+):(\d+)\|/.exec(text)
  if (!m) throw new Error(`untagged entry: ${text}`)
  return { writer: Number(m[1]), seq: Number(m[2]) }
}

/**
 * Writes a file with several blocks per set (three writers on three shards), small and empty
 * entries, entries near a shard's size, entries larger than a shard, and flush() calls between.
 */
async function writeVariedFile(path: string): Promise<{ logger: Logger; expected: string[][] }> {
  const logger = await open({
    format: 'framed',
    path,
    bufferSize: 4 * 16 * KiB,
    numShards: 4,
    flushInterval: NEVER,
    writeDelay: NEVER,
  })
  const writers = [logger, await attach(logger.handle), await attach(logger.handle)]
  const expected: string[][] = [[], [], []]
  const sizes = [0, 1, 10, 100, 500, 2000, 7000, 15_000, 16_000, 40_000]
  for (let round = 0; round < 40; round++) {
    for (let w = 0; w < writers.length; w++) {
      const fill = sizes[(round * 7 + w * 3) % sizes.length]!
      const text = entryText(w, expected[w]!.length, fill)
      expected[w]!.push(text)
      const ok = round % 2 === 0 ? writers[w]!.log(text) : writers[w]!.logBytes(Buffer.from(text))
      expect(ok).toBe(true)
    }
    if (round % 9 === 4) await logger.flush()
  }
  // And a burst of small entries from each, to fill and swap sets.
  for (let i = 0; i < 600; i++) {
    const w = i % writers.length
    const text = entryText(w, expected[w]!.length, i % 60)
    expected[w]!.push(text)
    writers[w]!.log(text)
  }
  await logger.close()
  return { logger, expected }
}

/** A file of `blocks` blocks from one writer, one flush() per block. */
async function writeBlocks(path: string, blocks: number, perBlock: number): Promise<{ alignment: number }> {
  const logger = await open({ format: 'framed', path, flushInterval: NEVER, writeDelay: NEVER })
  for (let b = 0; b < blocks; b++) {
    for (let i = 0; i < perBlock; i++) logger.log(entryText(0, b * perBlock + i, 50 + ((i * 37) % 300)))
    await logger.flush()
  }
  await logger.close()
  return { alignment: logger.getStatsSnapshot().alignment }
}

describe('structure of engine-written framed files', () => {
  it('aligned blocks, capacity = size on disk, validBytes = records, zero padding; three readers agree', async () => {
    const path = tempPath()
    const { logger, expected } = await writeVariedFile(path)
    const stats = logger.getStatsSnapshot()
    expect([512, 4096]).toContain(stats.alignment)
    expect(stats.oversizeEntries).toBeGreaterThan(0)
    const raw = readFileSync(path)
    expect(raw.length).toBe(stats.bytesWritten)
    const blocks = parseByCapacity(raw, stats.alignment)
    // Several writers, several flushes: many blocks, some sets with more than one block.
    expect(blocks.length).toBeGreaterThan(10)
    expect(stats.flushes).toBeLessThan(blocks.length)

    const byCapacity = blocks.flatMap((b) => b.entries)
    const total = expected.reduce((n, e) => n + e.length, 0)
    expect(byCapacity).toHaveLength(total)
    expect(stats.entriesWritten).toBe(total)
    // Each writer's entries are all there, in the order it logged them.
    for (let w = 0; w < expected.length; w++) {
      const mine = byCapacity.filter((e) => parseTag(e).writer === w).map((e) => e.toString('utf8'))
      expect(mine).toEqual(expected[w])
    }
    // The seed's reader and the package's reader read exactly the same entries.
    expect(seedRead(raw)).toEqual(byCapacity)
    expect(await readBuffers(path)).toEqual(byCapacity)
  })

  it('an entry larger than a shard is a block of its own', async () => {
    const path = tempPath()
    const logger = await open({ format: 'framed', path, bufferSize: 2 * 16 * KiB, numShards: 2 })
    logger.log('small before')
    const big = Buffer.alloc(100 * KiB, 0x61)
    logger.logBytes(big)
    logger.log('small after')
    await logger.close()
    const { alignment } = logger.getStatsSnapshot()
    const blocks = parseByCapacity(readFileSync(path), alignment)
    expect(blocks.map((b) => b.entries.map((e) => e.length))).toEqual([[12], [100 * KiB], [11]])
    expect(blocks[1]!.validBytes).toBe(4 + 100 * KiB)
    expect(blocks[1]!.capacity).toBeGreaterThanOrEqual(8 + 4 + 100 * KiB)
  })

  it('verify() is ok on a clean file and its counts match the raw parse', async () => {
    const path = tempPath()
    const { logger } = await writeVariedFile(path)
    const raw = readFileSync(path)
    const blocks = parseByCapacity(raw, logger.getStatsSnapshot().alignment)
    const report = await verify(path)
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.bytes).toBe(raw.length)
    expect(report.blocks).toBe(blocks.length)
    expect(report.entries).toBe(blocks.reduce((n, b) => n + b.entries.length, 0))
    expect(report.entryBytes).toBe(
      blocks.reduce((n, b) => n + b.entries.reduce((m, e) => m + e.length, 0), 0),
    )
    expect(report.paddingBytes).toBe(blocks.reduce((n, b) => n + b.capacity - 8 - b.validBytes, 0))
  })
})

describe('damaged engine-written files', () => {
  it('truncated mid-block: verify reports torn-block at that block, the intact blocks are all read', async () => {
    const path = tempPath()
    const { alignment } = await writeBlocks(path, 5, 60)
    const blocks = parseByCapacity(readFileSync(path), alignment)
    expect(blocks).toHaveLength(5)
    const torn = blocks[3]!
    // Cut in the middle of the 20th entry of block 3: block 4 is gone, block 3 is torn.
    const cut = torn.entryOffsets[20]! + 10
    truncateSync(path, cut)
    const report = await verify(path)
    expect(report.ok).toBe(false)
    expect(report.problems).toHaveLength(1)
    expect(report.problems[0]!.kind).toBe('torn-block')
    expect(report.problems[0]!.offset).toBe(torn.offset)
    expect(report.problems[0]!.message).toContain(String(torn.offset))

    const intact = blocks.slice(0, 3).flatMap((b) => b.entries)
    const got = await readBuffers(path)
    expect(got.slice(0, intact.length)).toEqual(intact)
    // Whatever comes after is whole entries of the torn block, in order, nothing made up.
    const rest = got.slice(intact.length)
    expect(rest.length).toBeLessThanOrEqual(20)
    expect(rest).toEqual(torn.entries.slice(0, rest.length))
    expect(report.entries).toBe(got.length)
  })

  it('truncated in the padding of the last block: torn-block reported, every entry read', async () => {
    const path = tempPath()
    const { alignment } = await writeBlocks(path, 3, 40)
    const blocks = parseByCapacity(readFileSync(path), alignment)
    const last = blocks[2]!
    const validEnd = last.offset + 8 + last.validBytes
    if (validEnd === last.offset + last.capacity) throw new Error('test setup: the last block has no padding')
    truncateSync(path, validEnd + 1)
    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['torn-block', last.offset]])
    expect(await readBuffers(path)).toEqual(blocks.flatMap((b) => b.entries))
  })

  const overrunCases = [
    { name: 'the first entry of the first block', block: 0, entry: 0 },
    { name: 'an entry in the middle of a middle block', block: 2, entry: 17 },
    { name: 'the last entry of the last block', block: 4, entry: -1 },
  ]
  for (const c of overrunCases) {
    it(`a huge length word in ${c.name}: length-overrun at that entry, the other blocks still read`, async () => {
      const path = tempPath()
      const { alignment } = await writeBlocks(path, 5, 40)
      const blocks = parseByCapacity(readFileSync(path), alignment)
      expect(blocks).toHaveLength(5)
      const damaged = blocks[c.block]!
      const index = c.entry < 0 ? damaged.entries.length + c.entry : c.entry
      const at = damaged.entryOffsets[index]!
      const fd = openSync(path, 'r+')
      try {
        const word = Buffer.alloc(4)
        word.writeUInt32LE(0xfffffff0, 0)
        expect(writeSync(fd, word, 0, 4, at)).toBe(4)
      } finally {
        closeSync(fd)
      }
      const report = await verify(path)
      expect(report.ok).toBe(false)
      expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['length-overrun', at]])
      expect(report.problems[0]!.message).toContain(String(at))
      const expected = [
        ...blocks.slice(0, c.block).flatMap((b) => b.entries),
        ...damaged.entries.slice(0, index),
        ...blocks.slice(c.block + 1).flatMap((b) => b.entries),
      ]
      expect(await readBuffers(path)).toEqual(expected)
      expect(report.entries).toBe(expected.length)
    })
  }
})

describe('appending to a damaged file', () => {
  // Where a crash cut the last block (of three, 40 entries each), relative to that block.
  const cuts: { name: string; cut: (b: ParsedBlock) => number; whole: (b: ParsedBlock) => number }[] = [
    { name: 'inside an entry', cut: (b) => b.entryOffsets[10]! + 3, whole: () => 10 },
    {
      name: 'at a 512-byte boundary inside the valid bytes (a torn O_DIRECT write)',
      cut: (b) => b.offset + 1024,
      whole: (b) => b.entryOffsets.filter((o, i) => o + 4 + b.entries[i]!.length <= b.offset + 1024).length,
    },
    {
      name: 'inside its padding',
      cut: (b) => b.offset + 8 + b.validBytes + 1,
      whole: (b) => b.entries.length,
    },
    { name: 'inside its header, after the capacity', cut: (b) => b.offset + 4, whole: () => 0 },
    { name: 'inside its header, in the capacity', cut: (b) => b.offset + 2, whole: () => 0 },
  ]
  for (const c of cuts) {
    it(`cut ${c.name}: the next run appends, both runs read back, nothing spurious`, async () => {
      const path = tempPath()
      const { alignment } = await writeBlocks(path, 3, 40)
      const blocks = parseByCapacity(readFileSync(path), alignment)
      const last = blocks[2]!
      const cut = c.cut(last)
      const whole = c.whole(last)
      expect(cut).toBeLessThan(last.offset + last.capacity)
      truncateSync(path, cut)
      // More than the cut block claimed: a reader that trusts a stale capacity would skip into it.
      const run2 = Array.from({ length: 200 }, (_, i) => entryText(1, i, 200))
      expect(run2.reduce((n, e) => n + 4 + Buffer.byteLength(e), 0)).toBeGreaterThan(2 * last.capacity)
      const logger = await open({ format: 'framed', path })
      for (const e of run2) logger.log(e)
      await logger.close()
      const s = logger.getStatsSnapshot()
      const raw = readFileSync(path)
      // The new run's blocks are aligned and at the end of the file.
      const newStart = raw.length - s.bytesWritten
      expect(newStart % alignment).toBe(0)
      // A header cut short held no entry: its stray bytes are zeroed and the new run may reuse them.
      expect(newStart).toBeGreaterThanOrEqual(c.cut(last) - last.offset < 8 ? last.offset : cut)
      const appended = parseByCapacity(raw.subarray(newStart), alignment)
      expect(appended.flatMap((b) => b.entries).map((e) => e.toString())).toEqual(run2)

      // Readers see the intact blocks, at most the whole entries of the cut block, then the new run.
      const intact = blocks.slice(0, 2).flatMap((b) => b.entries)
      const got = await readBuffers(path)
      // Counts first, so that a failure says what went missing in one line.
      const report = await verify(path)
      const readRun2 = got.filter((e) => parseTag(e).writer === 1).length
      // Damage may be reported where the cut was, never inside the new run.
      const inNewRun = report.problems.filter((p) => p.offset >= newStart)
      expect({ readRun2, inNewRun }).toEqual({ readRun2: run2.length, inNewRun: [] })
      expect(got.slice(0, intact.length)).toEqual(intact)
      expect(got.slice(-run2.length).map((e) => e.toString())).toEqual(run2)
      const tornPart = got.slice(intact.length, got.length - run2.length)
      expect(tornPart.length).toBeLessThanOrEqual(whole)
      expect(tornPart).toEqual(last.entries.slice(0, tornPart.length))
      expect(seedRead(raw)).toEqual(got)
      expect(report.entries).toBe(got.length)
      // A repaired tail is said once, naming the file; a cut header held no entry to repair.
      const repaired = takeWarnings('ASYNCDIRECT_TORN_TAIL_REPAIRED')
      expect(repaired.length).toBeLessThanOrEqual(1)
      for (const w of repaired)
        expect(w).toContain(`${path}: the last block (offset ${last.offset}) was torn`)
    })
  }

  it('after a file cut at a block boundary, the next run appends cleanly', async () => {
    const path = tempPath()
    const { alignment } = await writeBlocks(path, 4, 30)
    const blocks = parseByCapacity(readFileSync(path), alignment)
    truncateSync(path, blocks[3]!.offset)
    const logger = await open({ format: 'framed', path })
    logger.log('next run')
    await logger.close()
    expect((await verify(path)).ok).toBe(true)
    const got = await readBuffers(path)
    expect(got.map((e) => e.toString())).toEqual([
      ...blocks.slice(0, 3).flatMap((b) => b.entries.map((e) => e.toString())),
      'next run',
    ])
    parseByCapacity(readFileSync(path), alignment)
  })
})

describe('file size', () => {
  it('bytesWritten equals the file size, which is a multiple of the alignment', async () => {
    const path = tempPath()
    const { logger } = await writeVariedFile(path)
    const s = logger.getStatsSnapshot()
    expect(statSync(path).size).toBe(s.bytesWritten)
    expect(s.bytesWritten % s.alignment).toBe(0)
  })
})

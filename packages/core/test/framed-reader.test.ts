import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { readEntries, verify } from '../dist/index.js'
import { type Encoded, encodeFramed } from './fixtures/cli-framed-encoder.js'

// The package's readEntries and verify on framed files. An encoder
// (fixtures/cli-framed-encoder.ts) and a reader written from the format description alone,
// independent of the code under test, so that a shared misunderstanding of the format cannot
// make both sides agree.

const dir = testDir('framed-reader')

let fileCounter = 0
function writeTemp(bytes: Uint8Array): string {
  const path = join(dir, `file-${fileCounter++}.log`)
  writeFileSync(path, bytes)
  return path
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to

/** The seed's way: skip to the next 512 boundary after the valid bytes, pass over zero headers. */
function referenceRead(file: Buffer): Buffer[] {
  const out: Buffer[] = []
  let offset = 0
  while (offset + 8 <= file.length) {
    const validBytes = file.readUInt32LE(offset + 4)
    if (file.readUInt32LE(offset) === 0 && validBytes === 0) {
      offset += 512
      continue
    }
    let p = offset + 8
    const end = p + validBytes
    while (p < end) {
      const length = file.readUInt32LE(p)
      out.push(file.subarray(p + 4, p + 4 + length))
      p += 4 + length
    }
    offset = roundUp(end, 512)
  }
  return out
}

async function collect(path: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const entry of readEntries(path)) out.push(entry)
  return out
}

/** Deterministic so that a failure reproduces. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const words = ['héllo', 'wörld', '✓', '日本語', '🎉', 'plain', 'ascii', 'Ωμέγα', '']

/** Text entries: their bytes cannot pass for a plausible block header (no zero bytes). */
function textEntries(rand: () => number, count: number, maxWords = 40): Buffer[] {
  const out: Buffer[] = []
  for (let i = 0; i < count; i++) {
    const n = Math.floor(rand() * maxWords)
    const parts = [`#${i}`]
    for (let w = 0; w < n; w++) parts.push(words[Math.floor(rand() * words.length)] ?? '')
    out.push(Buffer.from(parts.join(' '), 'utf8'))
  }
  return out
}

function splitIntoBlocks(entries: Buffer[], rand: () => number, maxPerBlock: number): Buffer[][] {
  const blocks: Buffer[][] = []
  let i = 0
  while (i < entries.length) {
    const n = 1 + Math.floor(rand() * maxPerBlock)
    blocks.push(entries.slice(i, i + n))
    i += n
  }
  return blocks
}

function expectedCounts(encoded: Encoded, entries: Buffer[]) {
  return {
    entries: entries.length,
    blocks: encoded.blocks.length,
    bytes: encoded.bytes.length,
    entryBytes: entries.reduce((sum, e) => sum + e.length, 0),
    paddingBytes: encoded.blocks.reduce((sum, b) => sum + b.capacity - 8 - b.validBytes, 0),
  }
}

/** Three blocks of text entries with 2,000+ bytes each, so a block spans several 512 steps. */
function threeBlocks(alignment = 512) {
  const rand = prng(7)
  const blocks = [textEntries(rand, 30), textEntries(rand, 30), textEntries(rand, 30)]
  return { blocks, encoded: encodeFramed(blocks, alignment) }
}

describe('readEntries / verify on clean files', () => {
  for (const alignment of [512, 4096]) {
    it(`round-trips many entries across many blocks (alignment ${alignment})`, async () => {
      const rand = prng(alignment)
      const entries = textEntries(rand, 6000)
      // Zero-length entries, including a block made only of them.
      entries.splice(10, 0, Buffer.alloc(0), Buffer.alloc(0))
      entries.splice(500, 0, Buffer.alloc(0))
      // Larger than the reader's 1 MiB chunk, binary, with zero bytes.
      const big = Buffer.alloc(1536 * 1024 + 3)
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
      entries.splice(1500, 0, big)
      const blocks = splitIntoBlocks(entries, rand, 60)
      blocks.splice(3, 0, [Buffer.alloc(0), Buffer.alloc(0)])
      const all = blocks.flat()
      const encoded = encodeFramed(blocks, alignment)
      expect(encoded.bytes.length).toBeGreaterThan(2 * 1024 * 1024)
      const path = writeTemp(encoded.bytes)

      const read = await collect(path)
      expect(read.length).toBe(all.length)
      for (let i = 0; i < all.length; i++) expect(read[i]?.equals(all[i] ?? Buffer.alloc(0))).toBe(true)
      expect(read.map((b) => b.toString('utf8')).slice(0, 200)).toEqual(
        all.map((b) => b.toString('utf8')).slice(0, 200),
      )

      // Stepping by capacity and the seed's way read the same entries.
      const reference = referenceRead(encoded.bytes)
      expect(reference.length).toBe(read.length)
      expect(reference.every((b, i) => b.equals(read[i] ?? Buffer.alloc(1)))).toBe(true)

      const report = await verify(path)
      expect(report).toEqual({ format: 'framed', ok: true, problems: [], ...expectedCounts(encoded, all) })
    })
  }

  it('gives exact counts for a small clean file', async () => {
    const blocks = [[Buffer.from('a'), Buffer.from('bc'), Buffer.alloc(0)], [Buffer.from('日本')]]
    const encoded = encodeFramed(blocks, 512)
    const path = writeTemp(encoded.bytes)
    expect(await verify(path)).toEqual({
      format: 'framed',
      ok: true,
      entries: 4,
      blocks: 2,
      bytes: 1024,
      entryBytes: 1 + 2 + 0 + 6,
      // (512 - 8 - 15) + (512 - 8 - 10)
      paddingBytes: 489 + 494,
      problems: [],
    })
    expect((await collect(path)).map((b) => b.toString('utf8'))).toEqual(['a', 'bc', '', '日本'])
  })

  it('passes over zero holes between blocks and zero padding at the end', async () => {
    const a = encodeFramed([[Buffer.from('first')]], 512).bytes
    const b = encodeFramed([[Buffer.from('second')]], 4096).bytes
    const file = Buffer.concat([a, Buffer.alloc(1024), b, Buffer.alloc(700)])
    const path = writeTemp(file)
    expect((await collect(path)).map((e) => e.toString())).toEqual(['first', 'second'])
    expect(referenceRead(file).map((e) => e.toString())).toEqual(['first', 'second'])
    const report = await verify(path)
    expect(report.ok).toBe(true)
    expect(report.blocks).toBe(2)
    expect(report.paddingBytes).toBe(file.length - 2 * 8 - 2 * 4 - 'first'.length - 'second'.length)
  })

  it('treats an empty file as ok with no entries', async () => {
    const path = writeTemp(Buffer.alloc(0))
    expect(await collect(path)).toEqual([])
    expect(await verify(path)).toEqual({
      format: 'empty',
      ok: true,
      entries: 0,
      blocks: 0,
      bytes: 0,
      entryBytes: 0,
      paddingBytes: 0,
      problems: [],
    })
  })

  it('stops when the signal aborts and when the consumer breaks', async () => {
    const { encoded } = threeBlocks()
    const path = writeTemp(encoded.bytes)
    const controller = new AbortController()
    let seen = 0
    const iterate = async () => {
      for await (const _ of readEntries(path, { signal: controller.signal })) {
        if (++seen === 5) controller.abort()
      }
    }
    await expect(iterate()).rejects.toMatchObject({ name: 'AbortError' })
    expect(seen).toBe(5)

    let first: string | undefined
    for await (const entry of readEntries(path)) {
      first = entry.toString()
      break
    }
    expect(first).toBe(threeBlocks().blocks[0]?.[0]?.toString())
  })
})

describe('damaged files', () => {
  it('reports a file truncated mid-block as torn and keeps every complete entry', async () => {
    const { blocks, encoded } = threeBlocks()
    const torn = encoded.blocks[2]!
    const cutEntry = 5
    // Cut in the middle of the sixth entry of the last block.
    const cut = (torn.entryOffsets[cutEntry] ?? 0) + 6
    const path = writeTemp(encoded.bytes.subarray(0, cut))

    const expected = [...blocks[0]!, ...blocks[1]!, ...blocks[2]!.slice(0, cutEntry)]
    const read = await collect(path)
    expect(read.map((b) => b.toString())).toEqual(expected.map((b) => b.toString()))

    const report = await verify(path)
    expect(report.ok).toBe(false)
    expect(report.problems).toHaveLength(1)
    expect(report.problems[0]).toMatchObject({ kind: 'torn-block', offset: torn.offset })
    expect(report.entries).toBe(expected.length)
    expect(report.blocks).toBe(3)
    expect(report.bytes).toBe(cut)
  })

  it('reports a block cut in its padding as torn with all of its entries', async () => {
    const { blocks, encoded } = threeBlocks(4096)
    const last = encoded.blocks[2]!
    const cut = last.offset + 8 + last.validBytes + 100
    expect(cut).toBeLessThan(last.offset + last.capacity)
    const path = writeTemp(encoded.bytes.subarray(0, cut))
    expect((await collect(path)).length).toBe(blocks.flat().length)
    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['torn-block', last.offset]])
  })

  it('reports a corrupted entry length and reads the blocks before and after', async () => {
    const { blocks, encoded } = threeBlocks()
    const bytes = Buffer.from(encoded.bytes)
    const middle = encoded.blocks[1]!
    const badEntry = 3
    const badOffset = middle.entryOffsets[badEntry]!
    bytes.writeUInt32LE(middle.validBytes, badOffset)
    const path = writeTemp(bytes)

    const expected = [...blocks[0]!, ...blocks[1]!.slice(0, badEntry), ...blocks[2]!]
    expect((await collect(path)).map((b) => b.toString())).toEqual(expected.map((b) => b.toString()))

    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['length-overrun', badOffset]])
    expect(report.problems[0]?.message).toContain(String(badOffset))
    expect(report.entries).toBe(expected.length)
    expect(report.blocks).toBe(3)
  })

  it('reports a garbage header once and reads the later blocks', async () => {
    const rand = prng(99)
    const blocks = [
      textEntries(rand, 30),
      textEntries(rand, 30),
      textEntries(rand, 30),
      textEntries(rand, 30),
    ]
    const encoded = encodeFramed(blocks, 512)
    const bytes = Buffer.from(encoded.bytes)
    const middle = encoded.blocks[1]!
    expect(middle.capacity).toBeGreaterThanOrEqual(3 * 512)
    bytes.writeUInt32LE(0xdeadbeef, middle.offset)
    bytes.writeUInt32LE(0x12345678, middle.offset + 4)
    const path = writeTemp(bytes)

    const expected = [...blocks[0]!, ...blocks[2]!, ...blocks[3]!]
    expect((await collect(path)).map((b) => b.toString())).toEqual(expected.map((b) => b.toString()))

    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['bad-header', middle.offset]])
    expect(report.problems[0]?.message).toContain(String(middle.capacity))
    expect(report.blocks).toBe(3)
  })

  it('resynchronises after a garbage header onto a torn last block', async () => {
    const { blocks, encoded } = threeBlocks()
    const bytes = Buffer.from(encoded.bytes)
    const [, middle, last] = encoded.blocks
    bytes.writeUInt32LE(0xdeadbeef, middle!.offset)
    const cut = last!.entryOffsets[4]! + 2
    const path = writeTemp(bytes.subarray(0, cut))

    const expected = [...blocks[0]!, ...blocks[2]!.slice(0, 4)]
    expect((await collect(path)).map((b) => b.toString())).toEqual(expected.map((b) => b.toString()))
    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([
      ['bad-header', middle!.offset],
      ['torn-block', last!.offset],
    ])
  })

  it('reports validBytes beyond capacity as a bad header', async () => {
    const { blocks, encoded } = threeBlocks()
    const bytes = Buffer.from(encoded.bytes)
    const middle = encoded.blocks[1]!
    bytes.writeUInt32LE(middle.capacity, middle.offset + 4)
    const path = writeTemp(bytes)
    expect((await collect(path)).length).toBe(blocks[0]!.length + blocks[2]!.length)
    const report = await verify(path)
    expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([['bad-header', middle.offset]])
  })

  it('reports random bytes appended after the last block as trailing garbage', async () => {
    const { blocks, encoded } = threeBlocks()
    const rand = prng(5)
    for (const length of [1000, 3, 5000]) {
      const garbage = Buffer.alloc(length)
      for (let i = 0; i < length; i++) garbage[i] = Math.floor(rand() * 256)
      // A capacity that is not a multiple of 512, so the garbage cannot pass for a block.
      garbage[0] = 0xff
      const path = writeTemp(Buffer.concat([encoded.bytes, garbage]))
      expect((await collect(path)).length).toBe(blocks.flat().length)
      const report = await verify(path)
      expect(report.problems.map((p) => [p.kind, p.offset])).toEqual([
        ['trailing-garbage', encoded.bytes.length],
      ])
      expect(report.entries).toBe(blocks.flat().length)
    }
  })

  it('survives hostile headers and lengths without throwing, hanging or allocating by them', async () => {
    const hostile: Buffer[] = []
    const header = (capacity: number, validBytes: number, rest: number[] = []) => {
      const b = Buffer.alloc(512)
      b.writeUInt32LE(capacity, 0)
      b.writeUInt32LE(validBytes, 4)
      for (const [i, v] of rest.entries()) b.writeUInt32LE(v, 8 + 4 * i)
      return b
    }
    hostile.push(header(0xffffffff, 0xfffffff0, [0xffffffff]))
    hostile.push(header(0xfffffe00, 0xfffffff0, [0xffffffff]))
    // Plausible and far past the end; entry lengths inside validBytes but past the file.
    hostile.push(header(0xfffffe00, 0xfffff000, [0xffffffff]))
    hostile.push(header(0xfffffe00, 0xfffff000, [0x7fffffff]))
    hostile.push(header(0xfffffe00, 0xfffff000, [0, 0, 0, 0xffffff00]))
    // A well-formed block whose only entry claims 4 GiB.
    hostile.push(header(512, 8, [0xffffffff, 0]))
    // validBytes leaving stray bytes shorter than a length prefix.
    hostile.push(header(512, 2, [0, 0]))
    const good = encodeFramed([[Buffer.from('ok')]], 512).bytes

    const allocSpy = vi.spyOn(Buffer, 'allocUnsafe')
    const allocSlowSpy = vi.spyOn(Buffer, 'allocUnsafeSlow')
    try {
      for (const h of hostile) {
        for (const file of [h, Buffer.concat([good, h]), Buffer.concat([good, h, good]), h.subarray(0, 20)]) {
          const path = writeTemp(file)
          const started = Date.now()
          const report = await verify(path)
          const read = await collect(path)
          expect(Date.now() - started).toBeLessThan(5000)
          expect(report.ok).toBe(false)
          expect(report.problems.length).toBeGreaterThan(0)
          expect(read.length).toBe(report.entries)
          for (const entry of read) if (entry.length > 0) expect(entry.toString()).toBe('ok')
        }
      }
      const sizes = [...allocSpy.mock.calls, ...allocSlowSpy.mock.calls].map(([size]) => size)
      expect(Math.max(0, ...sizes)).toBeLessThanOrEqual(1024 * 1024)
    } finally {
      allocSpy.mockRestore()
      allocSlowSpy.mockRestore()
    }
  })
})

describe('errors', () => {
  it('rejects for a missing file with a message naming it', async () => {
    const path = join(dir, 'does-not-exist.log')
    await expect(verify(path)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(path),
    })
    await expect(collect(path)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(path),
    })
  })
})

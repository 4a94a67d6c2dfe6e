import { existsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { readEntries, verify } from '../dist/index.js'
import { type Encoded, encodeFramed } from './fixtures/cli-framed-encoder.js'
import { countingSignal, trackLargestAllocation } from './support/decoder-probes.js'
import './support/fuzz-seed.js'

// Property tests of the readers against hostile and damaged input. For every case: no throw,
// termination with work linear in the file size (counted in decoder steps: every loop of the
// decoders calls signal.throwIfAborted() once per step, so a counting signal measures iterations,
// not wall time), bounded allocations, readEntries and verify agreeing on the entry count. For
// mutations of valid framed files: what is yielded is explained by the original or by the damage.

// Thousands of small files written and read back: in memory where there is a tmpfs.
const dir = testDir('reader-fuzz', existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const path = join(dir, 'case.log')

const MiB = 1024 * 1024

const allocations = trackLargestAllocation()

interface Examined {
  entries: Buffer[]
  report: Awaited<ReturnType<typeof verify>>
}

/** Writes `bytes`, reads and verifies them, and checks what holds for any input. */
async function examine(bytes: Uint8Array): Promise<Examined> {
  writeFileSync(path, bytes)
  const size = bytes.length
  allocations.reset()
  const reading = countingSignal()
  const entries: Buffer[] = []
  for await (const entry of readEntries(path, { signal: reading.signal })) entries.push(entry)
  const verifying = countingSignal()
  const report = await verify(path, { signal: verifying.signal })

  // Linear work: a decoder step consumes at least a byte of a line, a 4-byte length prefix or a
  // 512-byte step, and checking a resynchronisation candidate walks at most 256 entries.
  const bound = 2 * size + 64
  expect(reading.steps()).toBeLessThanOrEqual(bound)
  expect(verifying.steps()).toBeLessThanOrEqual(bound)
  expect(allocations.largest()).toBeLessThanOrEqual(2 * MiB + size)
  expect(report.bytes).toBe(size)
  expect(entries.length).toBe(report.entries)
  expect(entries.reduce((n, e) => n + e.length, 0)).toBe(report.entryBytes)
  expect(report.ok).toBe(report.problems.length === 0)
  for (const p of report.problems) {
    expect(p.offset).toBeGreaterThanOrEqual(0)
    expect(p.offset).toBeLessThanOrEqual(size)
  }
  for (let i = 1; i < report.problems.length; i++)
    expect(report.problems[i]!.offset).toBeGreaterThanOrEqual(report.problems[i - 1]!.offset)
  return { entries, report }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/** Pieces of hostile files: zeros, random bytes, headers (plausible or not), lengths, text. */
const segment = fc.oneof(
  fc.integer({ min: 1, max: 2048 }).map((n) => new Uint8Array(n)),
  fc.uint8Array({ minLength: 1, maxLength: 700 }),
  fc
    .tuple(
      fc.oneof(
        fc.integer({ min: 1, max: 64 }).map((k) => k * 512),
        fc.constantFrom(0, 0xffffffff, 0xfffffe00, 0x80000000, 511, 513),
        fc.nat(),
      ),
      fc.oneof(fc.nat({ max: 4096 }), fc.constantFrom(0, 0xffffffff, 0xfffffff0, 0x7ffffff8), fc.nat()),
    )
    .map(([capacity, validBytes]) => {
      const b = Buffer.alloc(8)
      b.writeUInt32LE(capacity >>> 0, 0)
      b.writeUInt32LE(validBytes >>> 0, 4)
      return b
    }),
  fc
    .oneof(fc.nat({ max: 600 }), fc.constantFrom(0xffffffff, 0x7fffffff, 0x10000000), fc.nat())
    .map((length) => {
      const b = Buffer.alloc(4)
      b.writeUInt32LE(length >>> 0, 0)
      return b
    }),
  fc.string({ maxLength: 80 }).map((s) => Buffer.from(`${s}\n`)),
)

/** A hostile file laid out on 512-byte boundaries now and then, as real headers would be. */
const hostileFile = fc.array(fc.tuple(segment, fc.boolean()), { maxLength: 40 }).map((parts) => {
  const out: Buffer[] = []
  let length = 0
  for (const [bytes, align] of parts) {
    if (align && length % 512 !== 0) {
      const pad = 512 - (length % 512)
      out.push(Buffer.alloc(pad))
      length += pad
    }
    out.push(Buffer.from(bytes))
    length += bytes.length
  }
  return Buffer.concat(out).subarray(0, 64 * 1024)
})

/** Entries: mostly text (which can never pass for a header), sometimes binary. */
const textEntry = fc
  .tuple(
    fc.string({ maxLength: 24 }),
    fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 2, max: 40 })),
  )
  .map(([s, n]) => Buffer.from(s.replaceAll('\0', ' ').repeat(n)))
const binaryEntry = fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u))

interface Original {
  encoded: Encoded
  /** Entry bytes by the file offset of their length prefix. */
  byOffset: Map<number, Buffer>
  text: boolean
}

function original(entries: Buffer[][], alignment: number, holes: number[], text: boolean): Original {
  const encoded = encodeFramed(entries, alignment, { holes })
  const byOffset = new Map<number, Buffer>()
  for (const [b, block] of encoded.blocks.entries()) {
    for (const [i, offset] of block.entryOffsets.entries()) byOffset.set(offset, entries[b]![i]!)
  }
  return { encoded, byOffset, text }
}

const blocksOf = (entry: fc.Arbitrary<Buffer>) =>
  fc.array(fc.array(entry, { maxLength: 12 }), { minLength: 1, maxLength: 8 })
const alignment = fc.constantFrom(512, 512, 4096)
const holes = fc.array(fc.constantFrom(0, 0, 0, 512, 1024), { maxLength: 8 })

const validFile = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(blocksOf(textEntry), alignment, holes).map(([e, a, h]) => original(e, a, h, true)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(blocksOf(fc.oneof(textEntry, binaryEntry)), alignment, holes)
      .map(([e, a, h]) => original(e, a, h, false)),
  },
)

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'flip-structure'; pick: number; byte: number; mask: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice-header'; from: number; to: number; aligned: boolean }
  | { kind: 'huge-length'; pick: number; value: number }
  | { kind: 'zero'; at: number; length: number }
  | { kind: 'garbage'; at: number; bytes: Uint8Array }

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fraction, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({
    kind: fc.constant('flip-structure' as const),
    pick: fraction,
    byte: fc.integer({ min: 0, max: 7 }),
    mask: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({
    kind: fc.constant('splice-header' as const),
    from: fraction,
    to: fraction,
    aligned: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('huge-length' as const),
    pick: fraction,
    value: fc.oneof(fc.constantFrom(0xffffffff, 0x7fffffff, 0xfffffe00, 0x80000000), fc.nat()),
  }),
  fc.record({ kind: fc.constant('zero' as const), at: fraction, length: fc.integer({ min: 1, max: 1500 }) }),
  fc.record({
    kind: fc.constant('garbage' as const),
    at: fraction,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
)

interface Mutated {
  bytes: Buffer
  /** Byte ranges [start, end) that differ from (or may differ from) the original. */
  touched: [number, number][]
}

/** Applies mutations in order; positions are fractions of the current length, so they always land. */
function mutate(original: Original, mutations: Mutation[]): Mutated {
  let bytes = Buffer.from(original.encoded.bytes)
  const touched: [number, number][] = []
  const headers = original.encoded.blocks.map((b) => b.offset)
  const prefixes = [...original.byOffset.keys()]
  const structure = [...headers.map((h) => [h, 8] as const), ...prefixes.map((p) => [p, 4] as const)]
  const at = (f: number) => Math.floor(f * bytes.length)
  for (const m of mutations) {
    if (bytes.length === 0) break
    switch (m.kind) {
      case 'flip': {
        const p = at(m.at)
        bytes[p]! ^= m.mask
        touched.push([p, p + 1])
        break
      }
      case 'flip-structure': {
        const [start, width] = structure[Math.floor(m.pick * structure.length)]!
        const p = start + (m.byte % width)
        if (p >= bytes.length) break
        bytes[p]! ^= m.mask
        touched.push([p, p + 1])
        break
      }
      case 'truncate':
        bytes = bytes.subarray(0, at(m.at))
        break
      case 'splice-header': {
        const from = headers[Math.floor(m.from * headers.length)]!
        const to = m.aligned ? Math.floor(at(m.to) / 512) * 512 : at(m.to)
        const header = Buffer.from(original.encoded.bytes.subarray(from, from + 8))
        const end = Math.min(to + 8, bytes.length)
        header.copy(bytes, to, 0, end - to)
        touched.push([to, end])
        break
      }
      case 'huge-length': {
        const [start, width] = structure[Math.floor(m.pick * structure.length)]!
        // A header's validBytes or capacity, or an entry's length.
        const p = width === 8 ? start + (m.value % 2 === 0 ? 0 : 4) : start
        if (p + 4 > bytes.length) break
        bytes.writeUInt32LE(m.value >>> 0, p)
        touched.push([p, p + 4])
        break
      }
      case 'zero': {
        const p = at(m.at)
        const end = Math.min(p + m.length, bytes.length)
        bytes.fill(0, p, end)
        touched.push([p, end])
        break
      }
      case 'garbage': {
        const p = at(m.at)
        const end = Math.min(p + m.bytes.length, bytes.length)
        bytes.set(m.bytes.subarray(0, end - p), p)
        touched.push([p, end])
        break
      }
    }
  }
  return { bytes, touched }
}

interface ModelEntry {
  /** Offset of the length prefix. */
  offset: number
  /** Offset of the enclosing block's header. */
  block: number
  bytes: Buffer
}

/**
 * The format as DESIGN.md states it, strictly: a well-formed file decodes to its entries, anything
 * else to null. Steps by capacity; all-zero headers are 512-byte steps of padding.
 */
function modelDecode(file: Buffer): ModelEntry[] | null {
  const out: ModelEntry[] = []
  let offset = 0
  while (offset < file.length) {
    if (file.length - offset < 8) return file.subarray(offset).every((b) => b === 0) ? out : null
    const capacity = file.readUInt32LE(offset)
    const validBytes = file.readUInt32LE(offset + 4)
    if (capacity === 0 && validBytes === 0) {
      offset = Math.min(offset + 512, file.length)
      continue
    }
    if (capacity === 0 || capacity % 512 !== 0 || 8 + validBytes > capacity) return null
    if (offset + capacity > file.length) return null
    let p = offset + 8
    const end = p + validBytes
    while (p < end) {
      if (p + 4 > end) return null
      const length = file.readUInt32LE(p)
      if (p + 4 + length > end) return null
      out.push({ offset: p, block: offset, bytes: file.subarray(p + 4, p + 4 + length) })
      p += 4 + length
    }
    offset += capacity
  }
  return out
}

const overlaps = (ranges: [number, number][], start: number, end: number) =>
  ranges.some(([a, b]) => a < end && start < b)

// ---------------------------------------------------------------------------------------------

// A case is well under a millisecond (a file written, read and verified); ~10k cases in all, a
// few seconds. FUZZ_SCALE=20 runs twenty times as many, for a longer hunt by hand.
const scale = Number(process.env.FUZZ_SCALE ?? 1)
const RUNS = { random: 2500 * scale, hostile: 3000 * scale, mutated: 3500 * scale, lines: 1000 * scale }

describe('readers on hostile input (properties)', () => {
  it('random bytes: no throw, linear work, bounded memory, consistent counts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: fc.uint8Array({ maxLength: 2048 }) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 * 1024 }) },
        ),
        async (bytes) => {
          await examine(bytes)
        },
      ),
      { numRuns: RUNS.random },
    )
  })

  it('hostile framed-looking files: no throw, linear work, bounded memory, consistent counts', async () => {
    await fc.assert(
      fc.asyncProperty(hostileFile, async (bytes) => {
        const { entries, report } = await examine(bytes)
        for (const e of entries) expect(e.length).toBeLessThanOrEqual(bytes.length)
        // A clean framed report means the file is well-formed as the format states it.
        if (report.format === 'framed' && report.ok) {
          const model = modelDecode(bytes)
          expect(model).not.toBeNull()
          expect(entries).toEqual(model!.map((m) => Buffer.from(m.bytes)))
        }
      }),
      { numRuns: RUNS.hostile },
    )
  })

  it('mutated valid files: every entry is original or the damage explains it; intact blocks are kept', async () => {
    await fc.assert(
      fc.asyncProperty(
        validFile,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        async (original, mutations) => {
          const { bytes, touched } = mutate(original, mutations)
          const { entries, report } = await examine(bytes)
          if (report.format !== 'framed') return // damage at offset 0 can make it read as lines

          if (report.ok) {
            // Nothing reported: the file is well-formed, the reader returned exactly its entries, and
            // each one is the original entry at that offset unless the mutation touched it or its header.
            const model = modelDecode(bytes)
            expect(model).not.toBeNull()
            expect(entries).toEqual(model!.map((m) => Buffer.from(m.bytes)))
            for (const m of model!) {
              const same = original.byOffset.get(m.offset)?.equals(m.bytes) ?? false
              const explained =
                same ||
                overlaps(touched, m.offset, m.offset + 4 + m.bytes.length) ||
                overlaps(touched, m.block, m.block + 8)
              expect(explained, `entry at ${m.offset} neither original nor touched`).toBe(true)
            }
          }

          // Text entries cannot pass for headers, so damage elsewhere never costs an intact block:
          // each block untouched and inside the file has all its entries read, in order.
          if (!original.text) return
          const read = entries.map((e) => e.toString('latin1'))
          for (const block of original.encoded.blocks) {
            if (block.offset + block.capacity > bytes.length) continue
            if (overlaps(touched, block.offset, block.offset + block.capacity)) continue
            const own = block.entryOffsets.map((o) => original.byOffset.get(o)!.toString('latin1'))
            if (own.length === 0) continue
            const found = read.some((_, i) => own.every((e, k) => read[i + k] === e))
            expect(found, `intact block at ${block.offset} lost`).toBe(true)
          }
        },
      ),
      { numRuns: RUNS.mutated },
    )
  })

  it('lines files with NULs, long lines and partial ends: entries are exactly the complete lines', async () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('\n', '\n', '\0', '\0\0\0\0'),
      fc.integer({ min: 1, max: 3000 }).map((n) => 'L'.repeat(n)),
    )
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
        const text = `x${pieces.join('')}`
        const bytes = Buffer.from(text)
        const { entries, report } = await examine(bytes)
        expect(report.format).toBe('lines')
        const lines = bytes.toString('latin1').split('\n')
        const partial = lines.pop()!
        expect(entries.map((e) => e.toString('latin1'))).toEqual(lines)
        const kinds = new Set(report.problems.map((p) => p.kind))
        expect(kinds.has('partial-line')).toBe(partial !== '')
        expect(kinds.has('nul-byte')).toBe(bytes.includes(0))
      }),
      { numRuns: RUNS.lines },
    )
  })

  it('a missing file is the one thing that rejects, with ENOENT', async () => {
    const missing = join(dir, 'missing.log')
    await expect(verify(missing)).rejects.toMatchObject({ code: 'ENOENT' })
    await expect(
      (async () => {
        for await (const _ of readEntries(missing)) {
          // nothing to read
        }
      })(),
    ).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, type FormatProblemKind, type LogFormat, readEntries, verify } from '../dist/index.js'
import { within } from './support/deadlines.js'
import { countingSignal, trackLargestAllocation } from './support/decoder-probes.js'
import { tempDir } from './support/temp-loggers.js'
import './support/fuzz-seed.js'

// Damaged and hostile files, starting from real ones: files the logger wrote (both formats, with
// empty, binary and oversize entries), then damaged. (reader-fuzz.test.ts does the same from
// files built by an independent encoder.)
//  - Injected faults the format can show (a torn block, an implausible header, a length past its
//    block, trailing garbage; NUL bytes, a cut last line, an over-long line): verify reports each,
//    with its kind, in the damaged block or at the damaged line.
//  - Random mutations: no throw, work linear in the file size, no allocation by a length read
//    from the file, readEntries and verify agreeing.
//  - The CLI on hostile files, in real processes: exit status 0 or 1, never a crash, peak memory
//    bounded even where the file claims gigabytes.

const work = testDir('hostile', existsSync('/dev/shm') ? '/dev/shm' : tmpdir())
const casePath = join(work, 'case.log')

const MiB = 1024 * 1024
const scale = Number(process.env.FUZZ_SCALE ?? 1)
const RUNS = { fault: 150 * scale, mutation: 1500 * scale }
let cases = 0

// ---------------------------------------------------------------------------------------------
// Real files

interface Block {
  offset: number
  capacity: number
  validBytes: number
  /** Offsets of the entries' length prefixes. */
  entries: number[]
}

interface Line {
  start: number
  /** Offset of its '\n'. */
  newline: number
}

const real: { framed: Buffer; lines: Buffer; blocks: Block[]; lineList: Line[] } = {
  framed: Buffer.alloc(0),
  lines: Buffer.alloc(0),
  blocks: [],
  lineList: [],
}

/** Writes ~600 varied entries with small shards (many blocks, partly filled: flushes in between). */
async function writeReal(format: LogFormat): Promise<Buffer> {
  const path = join(tempDir(), `real-${format}.log`)
  const logger = await createLogger({ path, format, bufferSize: 8192, numShards: 2 })
  for (let i = 0; i < 600; i++) {
    if (i % 97 === 0) logger.log(`oversize ${i} ${'o'.repeat(5000)}`)
    else if (i % 13 === 0) logger.log('')
    else if (format === 'framed' && i % 7 === 0)
      logger.logBytes(Buffer.from([i & 0xff, 0, 0, 1, 0xff, 0, i >> 8]))
    else logger.log(`{"i":${i},"msg":"${'abcdefghij'.repeat(i % 17)}"}`)
    if (i % 50 === 49) await logger.flush()
  }
  await logger.close()
  return readFileSync(path)
}

/** The blocks of a file the logger wrote (valid by construction; the tests check it). */
function layout(file: Buffer): Block[] {
  const blocks: Block[] = []
  for (let off = 0; off + 8 <= file.length; ) {
    const capacity = file.readUInt32LE(off)
    const validBytes = file.readUInt32LE(off + 4)
    if (capacity === 0) {
      off += 512
      continue
    }
    const entries: number[] = []
    for (let p = off + 8; p < off + 8 + validBytes; p += 4 + file.readUInt32LE(p)) entries.push(p)
    blocks.push({ offset: off, capacity, validBytes, entries })
    off += capacity
  }
  return blocks
}

function linesOf(file: Buffer): Line[] {
  const out: Line[] = []
  for (let start = 0; start < file.length; ) {
    const newline = file.indexOf(0x0a, start)
    out.push({ start, newline })
    start = newline + 1
  }
  return out
}

beforeAll(async () => {
  real.framed = await writeReal('framed')
  real.lines = await writeReal('lines')
  real.blocks = layout(real.framed)
  real.lineList = linesOf(real.lines)
})

// ---------------------------------------------------------------------------------------------
// What holds for any input

const allocations = trackLargestAllocation()

/** Reads and verifies `bytes` as a file; checks what must hold for any input. */
async function examine(bytes: Buffer, maxLineBytes?: number) {
  cases++
  writeFileSync(casePath, bytes)
  allocations.reset()
  const reading = countingSignal()
  const entries: Buffer[] = []
  for await (const e of readEntries(casePath, { signal: reading.signal, maxLineBytes })) entries.push(e)
  const verifying = countingSignal()
  const report = await verify(casePath, { signal: verifying.signal, maxLineBytes })
  // Linear: a step consumes a byte of a line, a length prefix or a 512-byte step (x2 for resync).
  expect(reading.steps()).toBeLessThanOrEqual(2 * bytes.length + 64)
  expect(verifying.steps()).toBeLessThanOrEqual(2 * bytes.length + 64)
  // One read window (1 MiB) plus what the file itself holds: never what a length in it claims.
  expect(allocations.largest()).toBeLessThanOrEqual(2 * MiB + bytes.length)
  expect(entries.length).toBe(report.entries)
  expect(report.ok).toBe(report.problems.length === 0)
  return { entries, report }
}

// ---------------------------------------------------------------------------------------------
// Injected faults

const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })
const pick = <T>(list: readonly T[], f: number): T => list[Math.floor(f * list.length)]!

/** A fault injected into the framed file, and where verify must report it. */
interface Injected {
  bytes: Buffer
  kinds: FormatProblemKind[]
  /** The problem must be at an offset in [from, to]. */
  from: number
  to: number
}

type FramedFault = 'torn' | 'bad-header' | 'overrun' | 'garbage'

function injectFramed(kind: FramedFault, f1: number, f2: number, noise: Uint8Array): Injected {
  const file = Buffer.from(real.framed)
  const b = pick(real.blocks, f1)
  switch (kind) {
    case 'torn': {
      // Cut inside the block, its header whole: the block runs past the end of the file.
      const cut = b.offset + 8 + Math.floor(f2 * (b.capacity - 8))
      return { bytes: file.subarray(0, cut), kinds: ['torn-block'], from: b.offset, to: b.offset }
    }
    case 'bad-header': {
      // Any 8 bytes with an odd first one: the capacity is not a multiple of 512.
      const header = Buffer.alloc(8)
      header.set(noise.subarray(0, 8))
      header[0] = header[0]! | 1
      header.copy(file, b.offset)
      return { bytes: file, kinds: ['bad-header', 'trailing-garbage'], from: b.offset, to: b.offset }
    }
    case 'overrun': {
      const withEntries = real.blocks.filter((x) => x.entries.length > 0)
      const blk = pick(withEntries, f1)
      const e = pick(blk.entries, f2)
      const validEnd = blk.offset + 8 + blk.validBytes
      file.writeUInt32LE(validEnd - (e + 4) + 1 + (noise[0] ?? 0) * 3, e)
      return { bytes: file, kinds: ['length-overrun', 'bad-header'], from: blk.offset, to: e }
    }
    case 'garbage': {
      const tail = Buffer.from(noise.length > 0 ? noise : [1])
      tail[0] = tail[0]! | 1
      return {
        bytes: Buffer.concat([file, tail]),
        kinds: ['bad-header', 'trailing-garbage'],
        from: file.length,
        to: file.length,
      }
    }
  }
}

type LinesFault = 'nul' | 'partial' | 'long'

function injectLines(kind: LinesFault, f1: number, f2: number): Injected & { maxLineBytes?: number } {
  const file = Buffer.from(real.lines)
  const nonEmpty = real.lineList.filter((l) => l.newline > l.start)
  const line = pick(nonEmpty, f1)
  switch (kind) {
    case 'nul': {
      const at = line.start + Math.floor(f2 * (line.newline - line.start))
      file[at] = 0
      return { bytes: file, kinds: ['nul-byte'], from: at, to: at }
    }
    case 'partial': {
      // Cut after the line's first byte and before its '\n' is complete.
      const cut = line.start + 1 + Math.floor(f2 * (line.newline - line.start))
      return { bytes: file.subarray(0, cut), kinds: ['partial-line'], from: line.start, to: line.start }
    }
    case 'long': {
      // Two lines run together, longer than any line of the file: over the bound set to that.
      const longest = Math.max(...real.lineList.map((l) => l.newline - l.start))
      const merged = real.lineList.filter(
        (l, i) => i + 1 < real.lineList.length && real.lineList[i + 1]!.newline - l.start > longest,
      )
      const l = pick(merged.length > 0 ? merged : nonEmpty, f2)
      file[l.newline] = 0x20
      return { bytes: file, kinds: ['long-line'], from: l.start, to: l.start, maxLineBytes: longest }
    }
  }
}

function expectReported(report: Awaited<ReturnType<typeof verify>>, fault: Injected, what: string): void {
  const found = report.problems.some(
    (p) => fault.kinds.includes(p.kind) && p.offset >= fault.from && p.offset <= fault.to,
  )
  expect(
    found,
    `${what}: expected ${fault.kinds.join(' or ')} in [${fault.from}, ${fault.to}], got ${JSON.stringify(report.problems)}`,
  ).toBe(true)
}

describe('faults injected into real files are all reported', () => {
  it('the real files are clean to begin with', async () => {
    for (const file of [real.framed, real.lines]) {
      const { report } = await examine(file)
      expect(report.problems).toEqual([])
      expect(report.entries).toBe(600)
    }
    expect(real.blocks.length).toBeGreaterThan(20)
  })

  it.each(['torn', 'bad-header', 'overrun', 'garbage'] as FramedFault[])('framed: %s', async (kind) => {
    await fc.assert(
      fc.asyncProperty(fraction, fraction, fc.uint8Array({ maxLength: 600 }), async (f1, f2, noise) => {
        const fault = injectFramed(kind, f1, f2, noise)
        const { report } = await examine(fault.bytes)
        if (report.format === 'framed') expectReported(report, fault, kind)
        // A broken first header leaves nothing that looks framed at the start: the file is read
        // as lines (format-detect.ts), and the damage shows as NUL bytes of that format.
        else expect(report.ok, `${kind}: read as ${report.format}`).toBe(false)
      }),
      { numRuns: RUNS.fault },
    )
  })

  it.each(['nul', 'partial', 'long'] as LinesFault[])('lines: %s', async (kind) => {
    await fc.assert(
      fc.asyncProperty(fraction, fraction, async (f1, f2) => {
        const fault = injectLines(kind, f1, f2)
        const { report } = await examine(fault.bytes, fault.maxLineBytes)
        if (report.format === 'lines') expectReported(report, fault, kind)
        // A NUL as the very first byte can make the first 8 bytes a plausible framed header
        // ('over' -> 00 76 65 72: capacity 0x72657600, a multiple of 512): the file then reads
        // as framed, and the fault shows as damage of that kind.
        else expect(report.ok, `${kind}: read as ${report.format}`).toBe(false)
      }),
      { numRuns: RUNS.fault },
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Random mutations of real files

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fraction, mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fraction }),
  fc.record({ kind: fc.constant('zero' as const), at: fraction, length: fc.integer({ min: 1, max: 5000 }) }),
  fc.record({
    kind: fc.constant('garbage' as const),
    at: fraction,
    bytes: fc.uint8Array({ minLength: 1, maxLength: 600 }),
  }),
  // A piece of the file copied elsewhere: headers and entries where they do not belong.
  fc.record({
    kind: fc.constant('copy' as const),
    from: fraction,
    to: fraction,
    length: fc.integer({ min: 1, max: 4096 }),
  }),
  // Lengths and sizes a hostile file would claim.
  fc.record({
    kind: fc.constant('claim' as const),
    at: fraction,
    value: fc.constantFrom(0xffffffff, 0x7fffffff, 0xfffffe00, 0x80000000, 0x10000000),
  }),
)

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never

function mutate(original: Buffer, mutations: Mutation[]): Buffer {
  let bytes = Buffer.from(original)
  for (const m of mutations) {
    if (bytes.length === 0) break
    const at = (f: number) => Math.floor(f * bytes.length)
    switch (m.kind) {
      case 'flip':
        bytes[at(m.at)]! ^= m.mask
        break
      case 'truncate':
        bytes = bytes.subarray(0, at(m.at))
        break
      case 'zero':
        bytes.fill(0, at(m.at), Math.min(at(m.at) + m.length, bytes.length))
        break
      case 'garbage':
        bytes.set(m.bytes.subarray(0, bytes.length - at(m.at)), at(m.at))
        break
      case 'copy': {
        const from = at(m.from)
        const piece = Buffer.from(bytes.subarray(from, from + m.length))
        bytes.set(piece.subarray(0, bytes.length - at(m.to)), at(m.to))
        break
      }
      case 'claim': {
        // At a 4-byte boundary, where lengths and header words are.
        const p = at(m.at) & ~3
        if (p + 4 <= bytes.length) bytes.writeUInt32LE(m.value, p)
        break
      }
    }
  }
  return bytes
}

describe('random mutations of real files', () => {
  it.each(['framed', 'lines'] as LogFormat[])(
    '%s: no throw, linear work, bounded memory, consistent counts',
    async (format) => {
      const original = format === 'framed' ? real.framed : real.lines
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 6 }), async (mutations) => {
          await examine(mutate(original, mutations))
        }),
        { numRuns: RUNS.mutation },
      )
    },
  )
})

// ---------------------------------------------------------------------------------------------
// The CLI, in real processes

const MEASURED_CLI = fileURLToPath(new URL('./fixtures/cli-measured.mjs', import.meta.url))
/** Node itself takes ~45 MiB; the reader a read window and one entry. A reader allocating by a
 * claimed length would need gigabytes for the files below. */
const CLI_RSS_BOUND_KIB = 200 * 1024

interface CliRun {
  status: number | null
  stdoutBytes: number
  stderr: string
  maxRssKiB: number
}

function runCli(args: string[]): Promise<CliRun> {
  const child = spawn(process.execPath, [MEASURED_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdoutBytes = 0
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdoutBytes += d.length
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => {
      const m = /asyncdirect-max-rss-kib (\d+)/.exec(stderr)
      resolve({ status, stdoutBytes, stderr, maxRssKiB: m ? Number(m[1]) : Number.NaN })
    })
  })
  return within(done, `asyncdirect ${args.join(' ')}`, 60_000).finally(() => child.kill('SIGKILL'))
}

function hostileSamples(): Array<[string, Buffer]> {
  const claims = Buffer.alloc(64 * 1024)
  // Block headers at every 512-byte step claiming ~4 GiB, entries claiming 4 GiB.
  for (let off = 0; off < claims.length; off += 512) {
    claims.writeUInt32LE(0xfffffe00, off)
    claims.writeUInt32LE(0xfffff000, off + 4)
    claims.writeUInt32LE(0xffffffff, off + 8)
  }
  const random = Buffer.alloc(2 * MiB)
  for (let i = 0; i < random.length; i++) random[i] = (i * 2654435761) >>> 24
  return [
    ['real framed', real.framed],
    ['real lines', real.lines],
    ['framed, torn', injectFramed('torn', 0.5, 0.5, new Uint8Array()).bytes],
    [
      'framed, bad header',
      injectFramed('bad-header', 0.3, 0.2, new Uint8Array([7, 7, 7, 7, 7, 7, 7, 7])).bytes,
    ],
    ['framed, overrun', injectFramed('overrun', 0.7, 0.4, new Uint8Array([9])).bytes],
    ['framed, garbage tail', injectFramed('garbage', 0, 0, new Uint8Array(300).fill(0x41)).bytes],
    ['lines, NUL', injectLines('nul', 0.4, 0.5).bytes],
    ['lines, cut', injectLines('partial', 0.99, 0.5).bytes],
    ['4 GiB claims', claims],
    ['2 MiB of noise', random],
    ['one 5 MiB line without a newline', Buffer.alloc(5 * MiB, 0x61)],
    ['1 MiB of zeros', Buffer.alloc(MiB)],
    ['empty', Buffer.alloc(0)],
  ]
}

describe('the CLI on hostile files (real processes)', () => {
  it('verify, cat, stats and tail: exit 0 or 1, never a crash, bounded memory', async () => {
    const runs: string[] = []
    let maxRss = 0
    for (const [name, bytes] of hostileSamples()) {
      const file = join(work, `cli-${name.replace(/\W+/g, '-')}.log`)
      writeFileSync(file, bytes)
      const report = await verify(file)
      const commands: Array<[string[], number[]]> = [
        [['verify', file], [report.ok ? 0 : 1]],
        [['stats', '--json', file], [0]],
        [['cat', file], [0]],
        [['tail', '-n', '5', file], [0]],
      ]
      await Promise.all(
        commands.map(async ([args, statuses]) => {
          const r = await runCli(args)
          const what = `asyncdirect ${args[0]} on ${name}`
          expect(r.stderr, what).not.toMatch(/internal error|FATAL|out of memory|RangeError/i)
          expect(statuses, `${what}: exit ${r.status}\n${r.stderr}`).toContain(r.status)
          expect(r.maxRssKiB, what).toBeLessThan(CLI_RSS_BOUND_KIB)
          maxRss = Math.max(maxRss, r.maxRssKiB)
          runs.push(what)
        }),
      )
      cases++
    }
    console.log(
      `[hostile-files] ${runs.length} CLI runs on ${hostileSamples().length} hostile files: peak RSS ${Math.round(maxRss / 1024)} MiB (bound ${CLI_RSS_BOUND_KIB / 1024} MiB)`,
    )
  })

  afterAll(() => {
    console.log(`[hostile-files] ${cases} cases examined (plus reader-fuzz.test.ts's own)`)
  })
})

import { readFileSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, readEntries, verify } from '../dist/index.js'
import { encodeFramed } from './fixtures/cli-framed-encoder.js'
import { run } from './support/cli-process.js'
import { decodeFramedBuffers } from './support/framed-decoder.js'
import { hasStrace, traceNodeWrites } from './support/strace-writes.js'

// ext4 reports a direct-I/O offset alignment of 512, but a direct write that starts inside one of
// its 4096-byte blocks goes down a path about ten times slower: every block is cut and written at
// multiples of 4096. The writes are observed from outside, as the kernel sees them (strace), not
// through the logger's own account of them.

const dir = testDir('align')
let counter = 0
const nextPath = (): string => join(dir, `aligned-${counter++}.log`)

const EXT4_SUPER_MAGIC = 0xef53
const onExt4 = statfsSync(dir).type === EXT4_SUPER_MAGIC
const fixture = fileURLToPath(new URL('./fixtures/aligned-writes-child.mjs', import.meta.url))

describe.skipIf(!onExt4)('block alignment on ext4', () => {
  it('getStatsSnapshot().alignment is 4096 for both formats', async () => {
    for (const format of ['framed', 'lines'] as const) {
      const logger = await createLogger({ path: nextPath(), format, bufferSize: 64 * 1024, numShards: 4 })
      expect(logger.getStatsSnapshot().directIO).toBe(true)
      expect(logger.getStatsSnapshot().alignment, format).toBe(4096)
      await logger.close()
    }
  })

  describe.skipIf(!hasStrace)('writes as the kernel sees them (strace)', () => {
    for (const format of ['framed', 'lines'] as const) {
      it(`${format}: every O_DIRECT write starts and ends on a 4096-byte boundary`, async () => {
        const path = nextPath()
        const { directFds, writes, stdout: out } = traceNodeWrites([fixture, path, format], path, dir)
        const { entries, stats } = JSON.parse(out.trim()) as {
          entries: number
          stats: { alignment: number; directIO: boolean; flushes: number; entriesWritten: number }
        }
        expect(stats.directIO).toBe(true)
        expect(stats.alignment).toBe(4096)
        expect(stats.entriesWritten).toBe(entries)
        expect(directFds.size).toBeGreaterThan(0)
        const direct = writes.filter((w) => directFds.has(w.fd))
        // Writes of many sizes, so a block cut at a 512 multiple would have shown. (A lines flush
        // of less than a block writes only the partial block, without O_DIRECT.)
        expect(direct.length).toBeGreaterThanOrEqual(format === 'framed' ? stats.flushes : 20)
        expect(new Set(direct.map((w) => w.length)).size).toBeGreaterThanOrEqual(5)
        const misplaced = direct.filter((w) => w.offset % 4096 !== 0 || w.length % 4096 !== 0)
        expect(misplaced).toEqual([])
        if (format === 'lines') {
          // The partial last block goes through a descriptor without O_DIRECT, after the whole ones.
          expect(writes.length).toBeGreaterThan(direct.length)
          const lines = readFileSync(path, 'utf8').split('\n')
          expect(lines.pop()).toBe('')
          expect(lines.length).toBe(entries)
          expect(lines.every((l, i) => l.startsWith(`entry ${i} `))).toBe(true)
          return
        }
        // Framed: every block starts and ends on a 4096 boundary and its padding is zeros, though
        // the shards were reused for smaller entries after larger ones.
        const raw = readFileSync(path)
        expect(raw.length % 4096).toBe(0)
        let blocks = 0
        for (let offset = 0; offset < raw.length; blocks++) {
          const capacity = raw.readUInt32LE(offset)
          const valid = raw.readUInt32LE(offset + 4)
          expect(offset % 4096, `block at ${offset}`).toBe(0)
          expect(capacity > 0 && capacity % 4096 === 0, `capacity ${capacity} at ${offset}`).toBe(true)
          const padding = raw.subarray(offset + 8 + valid, offset + capacity)
          expect(
            padding.findIndex((b) => b !== 0),
            `padding of the block at ${offset}`,
          ).toBe(-1)
          offset += capacity
        }
        expect(blocks).toBeGreaterThanOrEqual(stats.flushes)
        const decoded = decodeFramedBuffers(path).map((e) => e.toString())
        expect(decoded.length).toBe(entries)
        expect(decoded.every((e, i) => e.startsWith(`entry ${i} `))).toBe(true)
        expect((await verify(path)).ok).toBe(true)
      })
    }
  })
})

describe('files written with 512-byte alignment', () => {
  it('framed: a logger appends after them on its own alignment; every entry reads back', async () => {
    const path = nextPath()
    const old = [
      [Buffer.from('old 0'), Buffer.from('old 1')],
      [Buffer.from('old 2'), Buffer.alloc(700, 0x6f)],
      [Buffer.from('old 3')],
    ]
    const encoded = encodeFramed(old, 512)
    // Blocks at 0, 512 and 1536: the file ends at 2048, a 512 multiple that is not a 4096 one.
    expect(encoded.bytes.length % 4096).not.toBe(0)
    writeFileSync(path, encoded.bytes)
    const logger = await createLogger({ path, format: 'framed', bufferSize: 64 * 1024, numShards: 4 })
    const alignment = logger.getStatsSnapshot().alignment
    for (let i = 0; i < 100; i++) logger.log(`new ${i}`)
    await logger.close()
    const raw = readFileSync(path)
    // The first new block starts at the old end rounded up to the logger's alignment.
    const newStart = Math.ceil(encoded.bytes.length / alignment) * alignment
    expect(raw.subarray(encoded.bytes.length, newStart).findIndex((b) => b !== 0)).toBe(-1)
    expect(raw.readUInt32LE(newStart) % alignment).toBe(0)
    expect(raw.readUInt32LE(newStart)).toBeGreaterThan(0)
    const want = [
      ...old.flat().map((b) => b.toString()),
      ...Array.from({ length: 100 }, (_, i) => `new ${i}`),
    ]
    const got: string[] = []
    for await (const e of readEntries(path)) got.push(e.toString())
    expect(got).toEqual(want)
    expect(decodeFramedBuffers(path).map((e) => e.toString())).toEqual(want)
    const report = await verify(path)
    expect(report.ok).toBe(true)
    expect(report.entries).toBe(want.length)
    const cat = await run(['cat', path])
    expect(cat.code, cat.stderr).toBe(0)
    expect(cat.stdout).toBe(`${want.join('\n')}\n`)
    const checked = await run(['verify', path])
    expect(checked.code, checked.stderr).toBe(0)
  })

  it('lines: a logger reopening a file whose size is no multiple of 4096 goes on after its last line', async () => {
    const path = nextPath()
    const before = Array.from({ length: 40 }, (_, i) => `{"old":${i},"pad":"${'p'.repeat(i * 3)}"}`)
    writeFileSync(path, `${before.join('\n')}\n`)
    expect(readFileSync(path).length % 512).not.toBe(0)
    const logger = await createLogger({ path, format: 'lines', bufferSize: 64 * 1024, numShards: 4 })
    expect(logger.getStatsSnapshot().alignment % 4096).toBe(0)
    for (let i = 0; i < 3000; i++) logger.log(`{"new":${i}}`)
    await logger.close()
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines.pop()).toBe('')
    expect(lines).toEqual([...before, ...Array.from({ length: 3000 }, (_, i) => `{"new":${i}}`)])
  })
})

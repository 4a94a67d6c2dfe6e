import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import {
  detectFormat,
  detectFormatFromBytes,
  type FormatProblem,
  readEntries,
  readLines,
  verify,
} from '../dist/index.js'
import { encodeFramed, texts } from './fixtures/cli-framed-encoder.js'

const dir = testDir('lines-reader')

let counter = 0
function writeTemp(bytes: Uint8Array | string): string {
  const path = join(dir, `file-${counter++}.log`)
  writeFileSync(path, bytes)
  return path
}

async function lines(path: string, options: Parameters<typeof readLines>[1] = {}) {
  const out: string[] = []
  const problems: FormatProblem[] = []
  for await (const line of readLines(path, { ...options, onProblem: (p) => problems.push(p) }))
    out.push(line.toString('utf8'))
  return { out, problems }
}

describe('readLines', () => {
  it('yields each line without its newline, empty lines included, bytes untouched', async () => {
    const path = writeTemp('{"a":1}\n\nplain text\r\n日本語 🎉\n')
    const { out, problems } = await lines(path)
    expect(out).toEqual(['{"a":1}', '', 'plain text\r', '日本語 🎉'])
    expect(problems).toEqual([])
  })

  it('reports a final partial line instead of yielding it', async () => {
    const path = writeTemp('one\ntwo\nthr')
    const { out, problems } = await lines(path)
    expect(out).toEqual(['one', 'two'])
    expect(problems).toEqual([
      { offset: 8, kind: 'partial-line', message: expect.stringContaining('3 bytes') },
    ])
  })

  it('reads lines that cross the 1 MiB read window, and a file of one huge line', async () => {
    const a = 'a'.repeat(1024 * 1024 - 3)
    const b = 'b'.repeat(2 * 1024 * 1024 + 17)
    const path = writeTemp(`${a}\nxy\n${b}\nend\n`)
    const { out, problems } = await lines(path)
    expect(out.map((l) => l.length)).toEqual([a.length, 2, b.length, 3])
    expect(out[2]).toBe(b)
    expect(problems).toEqual([])
  })

  it('skips and reports lines over the bound, without buffering them, and goes on', async () => {
    const long = 'x'.repeat(3 * 1024 * 1024)
    const path = writeTemp(`short\n${long}\nafter\n${'y'.repeat(100)}`)
    const spy = vi.spyOn(Buffer, 'concat')
    try {
      const { out, problems } = await lines(path, { maxLineBytes: 1000 })
      expect(out).toEqual(['short', 'after'])
      expect(problems.map((p) => [p.kind, p.offset])).toEqual([
        ['long-line', 6],
        ['partial-line', 6 + long.length + 1 + 6],
      ])
      expect(problems[0]?.message).toContain(String(long.length))
      // Nothing of the long line was assembled.
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
  })

  it('reports NUL bytes once per line, at the first NUL, and still yields the line', async () => {
    const path = writeTemp(Buffer.from('ok\nzz\0\0\0z\n\0\0\0\0'))
    const { out, problems } = await lines(path)
    expect(out).toEqual(['ok', 'zz\0\0\0z'])
    expect(problems.map((p) => [p.kind, p.offset])).toEqual([
      ['nul-byte', 5],
      ['partial-line', 10],
      ['nul-byte', 10],
    ])
  })

  it('keeps memory at one window for a big file of small lines', async () => {
    const path = writeTemp(`${'0123456789abcdef\n'.repeat(300_000)}`)
    const spy = vi.spyOn(Buffer, 'allocUnsafe')
    try {
      let n = 0
      for await (const _ of readLines(path)) n++
      expect(n).toBe(300_000)
      expect(Math.max(0, ...spy.mock.calls.map(([size]) => size))).toBeLessThanOrEqual(1024 * 1024)
    } finally {
      spy.mockRestore()
    }
  })

  it('agrees with split("\\n") on random text (property)', async () => {
    const path = join(dir, 'property.log')
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('\n', '\n\n', '\r\n')), {
          maxLength: 40,
        }),
        async (parts) => {
          const text = parts.join('').replaceAll('\0', '')
          writeFileSync(path, text)
          const { out, problems } = await lines(path)
          const expected = text.split('\n')
          const partial = expected.pop() ?? ''
          expect(out).toEqual(expected)
          expect(problems.map((p) => p.kind)).toEqual(partial === '' ? [] : ['partial-line'])
        },
      ),
      { numRuns: 300 },
    )
  })

  it('rejects for a missing file with its name and ENOENT', async () => {
    const path = join(dir, 'missing.log')
    await expect(lines(path)).rejects.toMatchObject({
      code: 'ENOENT',
      message: expect.stringContaining(path),
    })
  })
})

describe('detectFormat', () => {
  const framed = encodeFramed([texts('hello')]).bytes

  it('tells framed, lines and empty apart by the bytes', async () => {
    expect(detectFormatFromBytes(framed)).toBe('framed')
    expect(detectFormatFromBytes(Buffer.from('{"a":1}\n'))).toBe('lines')
    expect(detectFormatFromBytes(Buffer.alloc(0))).toBe('empty')
    expect(await detectFormat(writeTemp(framed))).toBe('framed')
    expect(await detectFormat(writeTemp('x\n'))).toBe('lines')
    expect(await detectFormat(writeTemp(''))).toBe('empty')
    expect(await detectFormat(Buffer.from('x'))).toBe('lines')
  })

  it('looks past a leading zero-filled hole for a framed header at a 512 boundary', () => {
    expect(detectFormatFromBytes(Buffer.concat([Buffer.alloc(1536), framed]))).toBe('framed')
    // Zeros with nothing after them, or an implausible header after them, are not framed.
    expect(detectFormatFromBytes(Buffer.alloc(2048))).toBe('lines')
    const bad = Buffer.alloc(1024)
    bad.writeUInt32LE(1000, 512)
    expect(detectFormatFromBytes(bad)).toBe('lines')
    // validBytes beyond capacity is implausible.
    const over = Buffer.alloc(512)
    over.writeUInt32LE(512, 0)
    over.writeUInt32LE(505, 4)
    expect(detectFormatFromBytes(over)).toBe('lines')
  })

  it('never takes bytes starting with a non-NUL byte for framed (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.uint8Array({ maxLength: 600 }), (first, rest) => {
        expect(detectFormatFromBytes(Buffer.concat([Buffer.from([first]), rest]))).toBe('lines')
      }),
      { numRuns: 2000 },
    )
  })

  it('rejects for a missing file with ENOENT', async () => {
    await expect(detectFormat(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})

describe('readEntries and verify dispatch on the format', () => {
  it('read a lines file as lines and a framed file as framed', async () => {
    const linesPath = writeTemp('a\nb\n')
    const framedPath = writeTemp(encodeFramed([texts('x', 'y\n'), texts('z')]).bytes)
    const read = async (path: string) => {
      const out: string[] = []
      for await (const e of readEntries(path)) out.push(e.toString())
      return out
    }
    expect(await read(linesPath)).toEqual(['a', 'b'])
    expect(await read(framedPath)).toEqual(['x', 'y\n', 'z'])
  })

  it('verify says a lines file is one, with lines as entries and its problems', async () => {
    expect(await verify(writeTemp('a\nbc\n'))).toEqual({
      format: 'lines',
      ok: true,
      entries: 2,
      blocks: 0,
      bytes: 5,
      entryBytes: 3,
      paddingBytes: 0,
      problems: [],
    })
    const damaged = await verify(writeTemp(Buffer.from('a\n\0\0b\nrest')))
    expect(damaged.format).toBe('lines')
    expect(damaged.ok).toBe(false)
    expect(damaged.entries).toBe(2)
    expect(damaged.problems.map((p) => [p.kind, p.offset])).toEqual([
      ['nul-byte', 2],
      ['partial-line', 6],
    ])
  })

  it('verify of a framed file and of an empty file carry their format', async () => {
    const framed = await verify(writeTemp(encodeFramed([texts('hello')]).bytes))
    expect(framed).toMatchObject({ format: 'framed', ok: true, entries: 1, blocks: 1, bytes: 512 })
    expect(await verify(writeTemp(''))).toMatchObject({ format: 'empty', ok: true, entries: 0 })
  })
})

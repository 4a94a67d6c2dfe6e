import { createLogger, type LogFormat, type Logger, readEntries } from '@asyncdirect/core'
import { afterEach, describe, expect, it } from 'vitest'
import { LineSplitter } from '../dist/line-splitter.js'
import { readText, tempFiles } from './support/files.js'

// The transport's line cutting, alone, into a real logger: whatever the chunk boundaries and
// whether thread-stream hands over bytes or text, each line is one entry, newline included,
// bytes unchanged.

const files = tempFiles('splitter')
const opened: Logger[] = []
afterEach(async () => {
  await Promise.allSettled(opened.splice(0).map((l) => l.close()))
})

/** A deterministic pseudo-random generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff
    return s / 0x7fffffff
  }
}

const lines = Array.from(
  { length: 300 },
  (_, i) => `{"i":${i},"msg":"${'é✓🎉x'.repeat(i % 23)}","pad":"${'y'.repeat((i * 37) % 700)}"}\n`,
)
const text = lines.join('')
const bytes = Buffer.from(text)

/** A logger on a fresh file; small shards, so that batches meet a shard's end often. */
async function splitterInto(format: LogFormat): Promise<{ splitter: LineSplitter; logger: Logger }> {
  const logger = await createLogger({ path: files.next(), format, bufferSize: 64 * 1024, numShards: 2 })
  opened.push(logger)
  return { splitter: new LineSplitter(logger), logger }
}

/** What the file holds, as entries: the lines of a lines file, the records of a framed one. */
async function entriesOf(logger: Logger): Promise<string[]> {
  await logger.close()
  if (logger.format === 'lines') return readText(logger.path).split(/(?<=\n)/)
  const out: string[] = []
  for await (const e of readEntries(logger.path)) out.push(e.toString('utf8'))
  return out
}

describe.each(['lines', 'framed'] as const)('LineSplitter, %s format', (format) => {
  it.each([1, 2, 3, 7, 64, 4096, bytes.length])('chunks of %i bytes: one entry per line', async (size) => {
    const { splitter, logger } = await splitterInto(format)
    for (let at = 0; at < bytes.length; at += size) splitter.write(bytes.subarray(at, at + size))
    splitter.end()
    expect(await entriesOf(logger)).toEqual(lines)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(lines.length)
  })

  it.each([1, 5, 333, text.length])('text chunks of %i characters: the same', async (size) => {
    const { splitter, logger } = await splitterInto(format)
    // Whole characters, as thread-stream's StringDecoder hands them over (never half a pair).
    const chars = Array.from(text)
    for (let at = 0; at < chars.length; at += size) splitter.write(chars.slice(at, at + size).join(''))
    splitter.end()
    expect(await entriesOf(logger)).toEqual(lines)
    expect(logger.getStatsSnapshot().entriesWritten).toBe(lines.length)
  })

  it('random boundaries, bytes and text mixed, including inside multi-byte characters', async () => {
    const next = random(42)
    for (let round = 0; round < 10; round++) {
      const { splitter, logger } = await splitterInto(format)
      let at = 0
      while (at < bytes.length) {
        const size = 1 + Math.floor(next() * 2000)
        const chunk = bytes.subarray(at, at + size)
        // Text only where the cut falls between characters, as a decoder would hand it over.
        const asText = next() < 0.5 && Buffer.from(chunk.toString('utf8')).equals(chunk)
        splitter.write(asText ? chunk.toString('utf8') : chunk)
        at += size
      }
      splitter.end()
      expect(await entriesOf(logger)).toEqual(lines)
    }
  })

  it('a last line without a newline is logged at the end, given one in the lines format', async () => {
    const { splitter, logger } = await splitterInto(format)
    splitter.write(Buffer.from('a\nb\n\nunfinished'))
    splitter.write(' still')
    splitter.end()
    const last = format === 'lines' ? 'unfinished still\n' : 'unfinished still'
    expect(await entriesOf(logger)).toEqual(['a\n', 'b\n', '\n', last])
  })

  it('keeps carriage returns and other bytes as they are', async () => {
    const { splitter, logger } = await splitterInto(format)
    splitter.write(Buffer.from('crlf\r\n\ttab\u0000nul\n'))
    expect(await entriesOf(logger)).toEqual(['crlf\r\n', '\ttab\u0000nul\n'])
  })
})

import type { Logger } from '@asyncdirect/core'
import { describe, expect, it } from 'vitest'
import { LineSplitter } from '../src/line-splitter.js'

// The transport's line cutting, alone: whatever the chunk boundaries, each line is one entry,
// newline included, bytes unchanged.

function recordingLogger(): { logger: Logger; entries: string[] } {
  const entries: string[] = []
  const logger = {
    logBytes(bytes: Uint8Array) {
      entries.push(Buffer.from(bytes).toString('utf8'))
      return true
    },
  } as unknown as Logger
  return { logger, entries }
}

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
const bytes = Buffer.from(lines.join(''))

describe('LineSplitter', () => {
  it.each([1, 2, 3, 7, 64, 4096, bytes.length])('chunks of %i bytes: one entry per line', (size) => {
    const { logger, entries } = recordingLogger()
    const splitter = new LineSplitter(logger)
    for (let at = 0; at < bytes.length; at += size) splitter.write(bytes.subarray(at, at + size))
    splitter.end()
    expect(entries).toEqual(lines)
  })

  it('random chunk boundaries, including inside multi-byte characters', () => {
    const next = random(42)
    for (let round = 0; round < 50; round++) {
      const { logger, entries } = recordingLogger()
      const splitter = new LineSplitter(logger)
      let at = 0
      while (at < bytes.length) {
        const size = 1 + Math.floor(next() * 2000)
        splitter.write(bytes.subarray(at, at + size))
        at += size
      }
      splitter.end()
      expect(entries).toEqual(lines)
    }
  })

  it('a last line without a newline is logged at the end, as it is', () => {
    const { logger, entries } = recordingLogger()
    const splitter = new LineSplitter(logger)
    splitter.write(Buffer.from('a\nb\n\nunfinished'))
    expect(entries).toEqual(['a\n', 'b\n', '\n'])
    splitter.write(Buffer.from(' still'))
    splitter.end()
    expect(entries).toEqual(['a\n', 'b\n', '\n', 'unfinished still'])
  })

  it('keeps carriage returns and other bytes as they are', () => {
    const { logger, entries } = recordingLogger()
    const splitter = new LineSplitter(logger)
    splitter.write(Buffer.from('crlf\r\n\ttab\u0000nul\n'))
    expect(entries).toEqual(['crlf\r\n', '\ttab\u0000nul\n'])
  })
})

import { describe, expect, it } from 'vitest'
import { ChunkRelay } from '../dist/chunk-relay.js'
import type { LineSplitter } from '../dist/line-splitter.js'

// The transport's overlap of taking and logging chunks: order kept, at most one chunk held.

function recordingSplitter(): { splitter: LineSplitter; written: string[] } {
  const written: string[] = []
  const splitter = { write: (c: Buffer) => written.push(c.toString()) } as unknown as LineSplitter
  return { splitter, written }
}

const big = (tag: string): Buffer => Buffer.from(tag.padEnd(100 * 1024, '.'))
const small = (tag: string): Buffer => Buffer.from(tag)
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('ChunkRelay', () => {
  it('logs small chunks at once', () => {
    const { splitter, written } = recordingSplitter()
    const relay = new ChunkRelay(splitter)
    let done = 0
    relay.accept(small('a'), () => done++)
    relay.accept(small('b'), () => done++)
    expect(written).toEqual(['a', 'b'])
    expect(done).toBe(2)
  })

  it('takes a large chunk at once and logs it on the next turn; the one after waits for it', async () => {
    const { splitter, written } = recordingSplitter()
    const relay = new ChunkRelay(splitter)
    const done: string[] = []
    relay.accept(big('1'), () => done.push('1'))
    expect(done).toEqual(['1'])
    expect(written).toEqual([])
    relay.accept(small('2'), () => done.push('2'))
    expect(done).toEqual(['1'])
    await turn()
    expect(written.map((w) => w[0])).toEqual(['1', '2'])
    expect(done).toEqual(['1', '2'])
  })

  it('settle() logs the held chunk and the waiting one, in order, without a turn', () => {
    const { splitter, written } = recordingSplitter()
    const relay = new ChunkRelay(splitter)
    relay.accept(big('1'), () => {})
    relay.accept(big('2'), () => {})
    relay.settle()
    expect(written.map((w) => w[0])).toEqual(['1', '2'])
  })

  it('keeps the order of a long mixed sequence fed as a Writable feeds it', async () => {
    const { splitter, written } = recordingSplitter()
    const relay = new ChunkRelay(splitter)
    const chunks = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? big(`${i}:`) : small(`${i}:`)))
    // A Writable calls _transform for the next chunk only after the previous one's callback.
    let i = 0
    await new Promise<void>((resolve) => {
      const feed = (): void => {
        if (i === chunks.length) {
          resolve()
          return
        }
        relay.accept(chunks[i++]!, () => setImmediate(feed))
      }
      feed()
    })
    relay.settle()
    expect(written.map((w) => Number(w.split(':')[0]))).toEqual(chunks.map((_, k) => k))
  })
})

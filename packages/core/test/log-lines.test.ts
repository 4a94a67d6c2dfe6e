import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { viewControlBlock } from '../dist/shared/control-block.js'
import { lockIo, unlockIo } from '../dist/shared/io-lock.js'
import { open, tempPath } from './support/temp-loggers.js'

const KiB = 1024
const NEVER = 3_600_000

/** `count` distinct lines, joined: the batch a caller would hand over. */
function batch(tag: string, count: number): { text: string; lines: string[] } {
  const lines = Array.from({ length: count }, (_, i) => `{"batch":"${tag}","i":${i},"é":"ü"}\n`)
  return { text: lines.join(''), lines }
}

describe('logLines (lines format)', () => {
  it('writes a batch of lines as given, from a string or bytes, each line counted as an entry', async () => {
    const path = tempPath()
    const logger = await open({ path, format: 'lines' })
    const a = batch('a', 50)
    const b = batch('b', 30)
    expect(logger.logLines(a.text, a.lines.length)).toBe(true)
    expect(logger.log('single')).toBe(true)
    expect(logger.logLines(Buffer.from(b.text), b.lines.length)).toBe(true)
    await logger.close()
    expect(readFileSync(path, 'utf8')).toBe(`${a.text}single\n${b.text}`)
    const s = logger.getStatsSnapshot()
    expect(s.totalLogs).toBe(81)
    expect(s.entriesWritten).toBe(81)
  })

  it("lastFlushBytes counts a flush's whole blocks and its partial block", async () => {
    const path = tempPath()
    const logger = await open({ path, format: 'lines' })
    const a = batch('a', 200) // more than one 4 KiB block, and a partial one
    logger.logLines(a.text, 200)
    await logger.flush()
    const size = Buffer.byteLength(a.text)
    expect(size % 4096).not.toBe(0)
    expect(logger.getFlushMetrics().lastFlushBytes).toBe(size)
  })

  it('a batch larger than a shard is written whole, after what came before, and counted per line', async () => {
    const path = tempPath()
    const logger = await open({ path, format: 'lines', bufferSize: 64 * KiB, numShards: 2 })
    const big = batch('big', 2000)
    expect(Buffer.byteLength(big.text)).toBeGreaterThan(logger.maxEntryBytes)
    logger.log('before')
    expect(logger.logLines(big.text, big.lines.length)).toBe(true)
    logger.log('after')
    await logger.close()
    expect(readFileSync(path, 'utf8')).toBe(`before\n${big.text}after\n`)
    const s = logger.getStatsSnapshot()
    expect(s.oversizeEntries).toBe(2000)
    expect(s.totalLogs).toBe(2002)
    expect(s.entriesWritten).toBe(2002)
  })

  it("under 'drop', a batch that finds no room is dropped whole and each of its lines counted", async () => {
    const path = tempPath()
    const bufferSize = 64 * KiB
    const logger = await open({
      path,
      format: 'lines',
      bufferSize,
      numShards: 2,
      backpressure: 'drop',
      flushInterval: NEVER,
      writeDelay: NEVER,
    })
    const { i32 } = viewControlBlock(logger.handle.control, 2)
    // Holding the I/O lock keeps both sets from being written, so they fill for certain.
    expect(lockIo(i32, 60_000)).toBe(true)
    const kept: string[] = []
    let dropped = 0
    try {
      for (let i = 0; i < 200; i++) {
        const b = batch(`d${i}`, 10)
        if (logger.logLines(b.text, 10)) kept.push(b.text)
        else dropped += 10
      }
    } finally {
      unlockIo(i32)
    }
    expect(dropped).toBeGreaterThan(0)
    await logger.close()
    const s = logger.getStatsSnapshot()
    expect(s.droppedLogs).toBe(dropped)
    expect(s.entriesWritten).toBe(kept.length * 10)
    expect(s.totalLogs).toBe(2000)
    expect(readFileSync(path, 'utf8')).toBe(kept.join(''))
  })

  it('refuses the framed format, a count that is not a positive integer, and values that are not text', async () => {
    const framed = await open({ path: tempPath(), format: 'framed' })
    expect(() => framed.logLines('a\n', 1)).toThrow(/logLines\(\) needs format 'lines'/)
    const lines = await open({ path: tempPath(), format: 'lines' })
    for (const count of [0, -1, 1.5, Number.NaN])
      expect(() => lines.logLines('a\n', count)).toThrow(/count must be a positive integer/)
    expect(() => lines.logLines(42 as unknown as string, 1)).toThrow(
      /logLines\(\) accepts a string, a Uint8Array or a Buffer, got number/,
    )
  })
})

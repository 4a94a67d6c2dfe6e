import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, type Logger, readEntries } from '../dist/index.js'

// The seed's buffer-level tests, re-expressed: a shard's first 8 bytes are reserved for the block
// header, each entry takes 4 + length bytes, and crossing 90% of a shard swaps the set out and
// has it written without waiting for the shard to fill or for the flush interval.

const dir = testDir('threshold')
let n = 0
const SHARD = 64 * 1024

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (check()) return
    await sleep(5)
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function oneShardLogger(): Promise<Logger> {
  // One shard, and an interval and write delay far away: only the fill threshold can cause a flush here.
  return createLogger({
    format: 'framed',
    path: join(dir, `t-${n++}.log`),
    bufferSize: SHARD,
    numShards: 1,
    flushInterval: 3_600_000,
    writeDelay: 3_600_000,
  })
}

describe('a shard', () => {
  it('reserves its header: one entry of n bytes uses 8 + 4 + n bytes', async () => {
    const logger = await oneShardLogger()
    expect(logger.getShardStats()[0]!.bytesUsed).toBe(0)
    logger.log('x'.repeat(100))
    expect(logger.getShardStats()[0]!.bytesUsed).toBe(8 + 4 + 100)
    logger.logBytes(new Uint8Array(20))
    expect(logger.getShardStats()[0]!.bytesUsed).toBe(8 + 4 + 100 + 4 + 20)
    await logger.close()
  })

  it('below 90% full stays in memory; crossing 90% swaps the set and writes it', async () => {
    const logger = await oneShardLogger()
    const entry = 'e'.repeat(96) // 100 bytes with its length prefix
    const threshold = Math.floor(SHARD * 0.9)
    let used = 8
    let count = 0
    while (used + 100 <= threshold) {
      logger.log(entry)
      used += 100
      count++
    }
    // Give a flusher that would flush early every chance to do so: it must not.
    await sleep(50)
    let stats = logger.getStatsSnapshot()
    expect(stats.setSwaps).toBe(0)
    expect(stats.flushes).toBe(0)
    expect(logger.getShardStats()[0]!.utilizationPct).toBeLessThan(90)

    logger.log(entry) // crosses the threshold
    count++
    await until('the threshold flush', () => logger.getStatsSnapshot().flushes >= 1)
    stats = logger.getStatsSnapshot()
    expect(stats.setSwaps).toBe(1)
    expect(stats.entriesWritten).toBe(count)
    // The new active set is empty: the writer goes on in it.
    expect(logger.getShardStats()[0]!.bytesUsed).toBe(0)
    logger.log('after')
    await logger.close()
    const got: string[] = []
    for await (const e of readEntries(logger.path)) got.push(e.toString())
    expect(got.length).toBe(count + 1)
    expect(got.at(-1)).toBe('after')
  })

  it('an entry that does not fit what is left swaps the set and goes first in the next one', async () => {
    const logger = await oneShardLogger()
    // The threshold is 58 982 bytes: 58 entries of 1004 bytes stay under it, then one too big.
    const small = 'a'.repeat(1000)
    for (let i = 0; i < 58; i++) logger.log(small) // 8 + 58 * 1004 = 58 240 < 58 982
    expect(logger.getStatsSnapshot().setSwaps).toBe(0)
    const big = 'b'.repeat(10_000) // 58 240 + 10 004 > 65 536: does not fit
    logger.log(big)
    await until('the swap', () => logger.getStatsSnapshot().flushes >= 1)
    expect(logger.getStatsSnapshot().setSwaps).toBe(1)
    expect(logger.getShardStats()[0]!.bytesUsed).toBe(8 + 4 + 10_000)
    await logger.close()
    const got: string[] = []
    for await (const e of readEntries(logger.path)) got.push(e.toString())
    expect(got.length).toBe(59)
    expect(got.at(-1)).toBe(big)
  })
})

// The control block's layout (src/shared/control-block.ts): every word the threads of a logger
// share has one index, and no two words, runs of words or shard lines overlap.
import { describe, expect, it } from 'vitest'
import * as layout from '../dist/shared/control-block.js'
import {
  createControlBlock,
  F64_LAYOUT,
  I32_LAYOUT,
  SHARD_LAYOUT,
  SHARD_WORDS,
  shardWord,
} from '../dist/shared/control-block.js'

type Word = (typeof I32_LAYOUT)[number]

function overlaps(words: readonly Word[]): string[] {
  const found: string[] = []
  const sorted = [...words].sort((a, b) => a.at - b.at)
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!
    if (sorted[i]!.at < before.at + before.words) found.push(`${before.name} and ${sorted[i]!.name}`)
  }
  return found
}

/**
 * The exported constants that are bit masks or values, not word indices, and F_SHARD_WRITES, the
 * open-ended run of per-shard totals after every listed f64 word (checked below).
 */
const NOT_LISTED = new Set(['SEALED', 'CLOSED_FOR_GOOD', 'OFFSET_MASK', 'MAGIC_VALUE', 'F_SHARD_WRITES'])

describe('control block layout', () => {
  it('lists the words in index order, none overlapping another', () => {
    for (const table of [I32_LAYOUT, F64_LAYOUT, SHARD_LAYOUT]) {
      expect(table.map((w) => w.at)).toEqual([...table.map((w) => w.at)].sort((a, b) => a - b))
      expect(overlaps(table)).toEqual([])
    }
  })

  it('lists every exported word, at the index its constant names', () => {
    const listed = new Map([...I32_LAYOUT, ...F64_LAYOUT, ...SHARD_LAYOUT].map((w) => [w.name, w.at]))
    const exported = Object.entries(layout).filter(
      ([name, value]) => /^[A-Z][A-Z0-9_]*$/.test(name) && typeof value === 'number' && !NOT_LISTED.has(name),
    )
    for (const [name, value] of exported) expect(listed.get(name), name).toBe(value)
    expect(exported.length).toBe(listed.size)
  })

  it('puts the shards after every i32 word, one 64-byte line each, and the per-shard totals last', () => {
    const last = I32_LAYOUT.at(-1)!
    expect(SHARD_WORDS.base).toBeGreaterThanOrEqual(last.at + last.words)
    expect((SHARD_WORDS.base * 4) % 64).toBe(0)
    expect(SHARD_WORDS.stride * 4).toBe(64)
    const lastShard = SHARD_LAYOUT.at(-1)!
    expect(lastShard.at + lastShard.words).toBeLessThanOrEqual(SHARD_WORDS.stride)
    const f64Last = F64_LAYOUT.at(-1)!
    expect(layout.F_SHARD_WRITES).toBeGreaterThanOrEqual(f64Last.at + f64Last.words)
  })

  it('gives every shard of both sets its own line inside the i32 view', () => {
    for (const numShards of [1, 3, 8, 256]) {
      const ctl = createControlBlock(numShards)
      const lines = new Set<number>()
      for (let set = 0; set < 2; set++) {
        for (let shard = 0; shard < numShards; shard++) {
          const w = shardWord(numShards, set, shard)
          lines.add(w)
          expect(w + SHARD_WORDS.stride).toBeLessThanOrEqual(ctl.i32.length)
        }
      }
      expect(lines.size).toBe(2 * numShards)
      expect(ctl.f64.length).toBe(layout.F_SHARD_WRITES + numShards)
    }
  })
})

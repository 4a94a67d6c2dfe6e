import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { decodeFramedBuffers } from './support/framed-decoder.js'

// The two 64 MiB buffer sets (and the lines format's staging buffer) are reserved, not touched:
// fresh anonymous mappings, resident only as entries fill them. Zero-filling them up front cost
// 144 MiB (lines: 207 MiB) of resident memory at creation. Measured in fresh processes, with room
// to spare: this is a property of memory, not of timing.

const dir = testDir('rss')
const fixture = fileURLToPath(new URL('./fixtures/creation-rss-child.mjs', import.meta.url))

/** Resident-memory growth allowed at creation: the flusher thread and the native library included. */
const CREATION_BUDGET_MIB = 32

describe('buffer memory is reserved, not touched', () => {
  for (const format of ['framed', 'lines'] as const) {
    it(`${format}: createLogger() with defaults grows RSS by far less than its buffers`, () => {
      const path = join(dir, `${format}.log`)
      const r = spawnSync(process.execPath, [fixture, path, format], { encoding: 'utf8', timeout: 60_000 })
      expect(r.status, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout.trim()) as { directIO: boolean; createdMiB: number; usedMiB: number }
      expect(out.directIO).toBe(true)
      expect(out.createdMiB).toBeLessThan(CREATION_BUDGET_MIB)
      // A thousand entries and a flush touch a few pages of a set (and of the staging buffer).
      expect(out.usedMiB).toBeLessThan(CREATION_BUDGET_MIB + 8)
      const written =
        format === 'lines'
          ? readFileSync(path, 'utf8').split('\n').length - 1
          : decodeFramedBuffers(path).length
      expect(written).toBe(1000)
    })
  }
})

// The disk's own ceiling, measured in the same run as the loggers: the same bytes as a logger run,
// written by a plain loop through the project's native library with the logger's flags
// (O_DIRECT | O_DSYNC) and block size (8 MiB: one shard, what a flush writes when one thread
// logs with the defaults), at 4096-aligned offsets, with nothing else going on. Every asyncdirect
// scenario is reported as a share of it.
//
//   node raw-direct.mjs <dir> <bytes> [lines]
//
// `lines` only labels the result (the suite reads it as lines/s of ~171-byte lines).
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadNative } from '../packages/core/dist/shared/native-library.js'
import { pageCacheResidency } from './file-figures.mjs'
import { recordProcessFigures } from './process-figures.mjs'

const [dir, bytesArg, linesArg] = process.argv.slice(2)
const total = Number(bytesArg)
const native = loadNative()
if (!native.ok) {
  console.log(JSON.stringify({ scenario: 'raw-direct', error: native.reason }))
  process.exit(0)
}
const { lib } = native
const CHUNK = 8 * 1024 * 1024
const path = join(dir, 'raw-direct.bin')
rmSync(path, { force: true })
const addr = lib.allocAligned(4096, CHUNK)
new Uint8Array(lib.view(addr, CHUNK)).fill(0x61)
const fd = lib.open(path, 1 | 2 | 4, 0o600)
if (fd < 0) throw new Error(`open ${path}: ${fd}`)
const iov = new BigUint64Array([BigInt(addr), BigInt(CHUNK)])
const recording = recordProcessFigures()
const start = performance.now()
let offset = 0
while (offset < total) {
  const r = lib.writeBlocks(fd, iov, 1, offset)
  if (r < 0) throw new Error(`write: ${r}`)
  offset += r
}
const ms = performance.now() - start
lib.close(fd)
const figures = await recording.stop()
const residency = pageCacheResidency(path)
lib.free(addr)
rmSync(path, { force: true })
const lines = linesArg ? Number(linesArg) : undefined
console.log(
  JSON.stringify({
    scenario: 'raw-direct',
    lines,
    ...figures,
    ms,
    bytes: offset,
    file: { bytes: offset, residency },
  }),
)

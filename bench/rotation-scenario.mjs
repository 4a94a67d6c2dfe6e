// One rotation benchmark run in a fresh process: logBytes of the benchmark line from the main
// thread until the logger is closed, with or without size rotation. Prints one JSON line.
//
//   node rotation-scenario.mjs <plain|rotate> <framed|lines> <dir> <lines>
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '@asyncdirect/core'
import { listSeries } from '@asyncdirect/core/format'
import { line } from './line.mjs'

const [mode, format, dir, linesArg] = process.argv.slice(2)
const lines = Number(linesArg)
const path = join(dir, `rotation-${mode}-${format}.log`)
const clean = () => {
  rmSync(path, { force: true })
  for (const f of listSeries(path)) rmSync(f.path, { force: true })
}
clean()
const rotate = mode === 'rotate' ? { size: '64MiB' } : undefined
const logger = await createLogger({ path, format, rotate })
await logger.ready() // the flusher's start is creation's cost (creation-scenario.mjs)
const bytes = line()
const start = performance.now()
for (let i = 0; i < lines; i++) logger.logBytes(bytes)
await logger.close()
const ms = performance.now() - start
const stats = logger.getStatsSnapshot()
const files = mode === 'rotate' ? listSeries(path).length : 1
clean()
console.log(
  JSON.stringify({
    mode,
    format,
    lines,
    ms,
    files,
    rotations: stats.rotations,
    written: stats.entriesWritten,
  }),
)

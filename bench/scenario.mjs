// One single-thread scenario in a fresh process (no scenario inherits another's heap, JIT state,
// threads or open files). Prints one JSON line with its figures.
//
//   node scenario.mjs <sink> <burst|paced|rate> <dir> <lines>
//
// Time runs from the first log call until the sink is done (asyncdirect: every entry durable;
// pino's and winston's own sinks: every byte handed to the kernel; a no-op sink: the last call).
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileFigures } from './file-figures.mjs'
import { loadShapes } from './load-shapes.mjs'
import { recordProcessFigures } from './process-figures.mjs'
import { coreSinks } from './sinks/core-sinks.mjs'
import { pinoSinks } from './sinks/pino-sinks.mjs'
import { sonicBoomSinks } from './sinks/sonic-boom-sinks.mjs'
import { winstonSinks } from './sinks/winston-sinks.mjs'

const sinks = { ...coreSinks, ...sonicBoomSinks, ...pinoSinks, ...winstonSinks }
const [sinkName, shape, dir, linesArg] = process.argv.slice(2)
const lines = Number(linesArg)
if (!sinks[sinkName] || !loadShapes[shape] || !dir || !(lines > 0)) {
  console.error(`usage: scenario.mjs <${Object.keys(sinks).join('|')}> <burst|paced|rate> <dir> <lines>`)
  process.exit(2)
}
const path = join(dir, `${sinkName}-${shape}.log`)
rmSync(path, { force: true })

const sink = await sinks[sinkName](path)
const recording = recordProcessFigures()
const callMs = await loadShapes[shape](sink.logOne, lines, recording.warm)
await sink.done()
const figures = await recording.stop()
const stats = sink.stats?.() ?? null
const file = existsSync(path) ? fileFigures(path) : null
rmSync(path, { force: true })
console.log(JSON.stringify({ sink: sinkName, shape, lines, callMs, ...figures, file, stats }))

// One benchmark scenario in a fresh process (so no scenario inherits another's heap or JIT state).
// Prints one JSON line with its figures.
//
//   node core-scenario.mjs <api>-<main|workers>[-<framed|lines>] <dir> <lines>
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { createLogger } from '@asyncdirect/core'
import { LINE_BYTES, line, lineString } from './line.mjs'

const [scenario, dir, linesArg] = process.argv.slice(2)
const lines = Number(linesArg)
const path = join(dir, `${scenario}.log`)
rmSync(path, { force: true })

let gcEvents = 0
new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length
}).observe({ entryTypes: ['gc'] })

async function inProcess(api, format) {
  const logger = await createLogger({ path, format })
  await logger.ready() // the flusher's start is creation's cost (creation-scenario.mjs)
  const bytes = line()
  const text = lineString()
  gcEvents = 0
  const start = performance.now()
  if (api === 'logBytes') for (let i = 0; i < lines; i++) logger.logBytes(bytes)
  else for (let i = 0; i < lines; i++) logger.log(text)
  const callsDone = performance.now()
  const gcDuringCalls = gcEvents
  await logger.close()
  const end = performance.now()
  return { ms: end - start, callMs: callsDone - start, gcDuringCalls, stats: logger.getStatsSnapshot() }
}

async function workers(api, count, format) {
  const logger = await createLogger({ path, format })
  await logger.ready() // the flusher's start is creation's cost (creation-scenario.mjs)
  const per = Math.floor(lines / count)
  const started = []
  const threads = Array.from({ length: count }, () => {
    const w = new Worker(new URL('./core-worker.mjs', import.meta.url), {
      workerData: { handle: logger.handle, api, lines: per },
    })
    started.push(new Promise((resolve) => w.once('message', resolve)))
    return w
  })
  await Promise.all(started) // attached and warmed up, waiting for the go signal
  const go = new Int32Array(new SharedArrayBuffer(4))
  const start = performance.now()
  for (const w of threads) w.postMessage(go.buffer)
  await Promise.all(threads.map((w) => new Promise((resolve) => w.once('exit', resolve))))
  await logger.close()
  const end = performance.now()
  return { ms: end - start, stats: logger.getStatsSnapshot() }
}

const [api, where, format = 'framed'] = scenario.split('-')
const result = where === 'main' ? await inProcess(api, format) : await workers(api, 4, format)
rmSync(path, { force: true })
console.log(JSON.stringify({ scenario, lines, lineBytes: LINE_BYTES, ...result }))

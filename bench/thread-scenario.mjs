// One multi-thread scenario in a fresh process: N worker threads share `lines` entries and log
// them in tight loops into one file. Prints one JSON line with its figures.
//
//   node thread-scenario.mjs <core-logBytes|pino-asyncdirect|pino-destination> <threads> <dir> <lines>
//
// asyncdirect kinds log into one logger opened by the main thread (each worker attach()es to
// it); pino-destination gives each thread a pino.destination() of its own appending to the same
// file. Time runs from the go signal (every thread started and warmed up) until the file is done:
// the logger closed (durable), or every destination closed (handed to the kernel).
import { once } from 'node:events'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createLogger } from '@asyncdirect/core'
import { fileFigures } from './file-figures.mjs'
import { recordProcessFigures } from './process-figures.mjs'

const KINDS = ['core-logBytes', 'pino-asyncdirect', 'pino-destination']
const [kind, threadsArg, dir, linesArg] = process.argv.slice(2)
const threads = Number(threadsArg)
const lines = Number(linesArg)
if (!KINDS.includes(kind) || !(threads > 0) || !dir || !(lines > 0)) {
  console.error(`usage: thread-scenario.mjs <${KINDS.join('|')}> <threads> <dir> <lines>`)
  process.exit(2)
}
const path = join(dir, `threads-${kind}-${threads}.log`)
rmSync(path, { force: true })
const per = Math.floor(lines / threads)

// Lines format for both asyncdirect kinds: the same NDJSON the pino destinations write.
const logger = kind === 'pino-destination' ? null : await createLogger({ path, format: 'lines' })
await logger?.ready() // the flusher's start is creation's cost (creation-scenario.mjs)
// Each thread warms up (its own JIT: every isolate compiles the logging path anew) by logging
// into a scratch file first, so that the timed part measures the steady state for 1 thread and
// for 32 alike, not 32 compilations.
const warmPath = join(dir, `threads-${kind}-${threads}.warm.log`)
const warmLogger =
  kind === 'pino-destination'
    ? null
    : await createLogger({ path: warmPath, format: 'lines', bufferSize: 1 << 20 })
const workers = Array.from(
  { length: threads },
  (_, id) =>
    new Worker(new URL('./thread-writer.mjs', import.meta.url), {
      workerData: {
        kind,
        handle: logger?.handle,
        warmHandle: warmLogger?.handle,
        path,
        warmPath: `${warmPath}.${id}`,
        lines: per,
      },
    }),
)
await Promise.all(workers.map((w) => once(w, 'message')))
await warmLogger?.close()
for (let id = 0; id < threads; id++) rmSync(`${warmPath}.${id}`, { force: true })
rmSync(warmPath, { force: true })

const recording = recordProcessFigures()
const reports = workers.map((w) => once(w, 'message').then(([m]) => m))
for (const w of workers) w.postMessage('go')
const callMs = (await Promise.all(reports)).map((r) => r.callMs)
// Every writer has detached (or closed its destination) before reporting: once the logger is
// closed the file is done. Tearing the threads down (an isolate each) is not logging: the clock
// stops first.
await logger?.close()
const figures = await recording.stop()
await Promise.all(workers.map((w) => w.terminate()))
const stats = logger ? { ...logger.getStatsSnapshot(), ...logger.getFlushMetrics() } : null
const file = existsSync(path) ? fileFigures(path) : null
rmSync(path, { force: true })
const median = [...callMs].sort((a, b) => a - b)[Math.floor(callMs.length / 2)]
console.log(
  JSON.stringify({
    sink: kind,
    shape: `threads-${threads}`,
    threads,
    lines: per * threads,
    callMs: median,
    perThreadLines: per,
    ...figures,
    file,
    stats,
  }),
)

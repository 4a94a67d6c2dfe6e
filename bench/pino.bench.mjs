// pnpm --filter @asyncdirect/bench pino — pino's ways to a file, side by side, 1M entries of the
// same 171-byte line: asyncdirect's in-process destination and transport target, pino.destination()
// (sync, its default, and async with minLength 4096), pino.transport to 'pino/file', and pino
// writing to a no-op stream (the serialization floor: what pino costs before any I/O). For scale,
// also pino into a stream that only copies each line into memory: the least a sink that keeps the
// bytes must add to the floor.
//
// Two load shapes: burst (one tight loop of log calls) and paced (batches of 1000 calls with a
// turn of the event loop between them, as a server handling requests). Time runs from the first
// log call until the sink has closed its file; the event loop's share is the time spent inside
// log calls. asyncdirect's files are durable at close (O_DIRECT | O_DSYNC); pino's own sinks
// leave the data in the page cache.
//
// Each scenario runs in a fresh process, rounds alternate, and the table shows the median.
// A benchmark, not a test: the figures depend on the machine and what else it is doing.
//
//   node pino.bench.mjs [--lines N] [--rounds R] [--dir DIR]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const lines = Number(values.lines)
const rounds = Number(values.rounds)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-pino-bench-'))

const sinks = [
  'noop',
  'memcopy',
  'memcopy-batched',
  'asyncdirect-destination',
  'asyncdirect-transport',
  'pino-destination-sync',
  'pino-destination-async',
  'pino-file-transport',
]
const labels = {
  noop: 'pino → no-op stream (floor)',
  memcopy: 'pino → copy into memory, no I/O',
  'memcopy-batched': 'pino → copy into memory in batches, no I/O',
  'asyncdirect-destination': 'pino → asyncdirect destination()',
  'asyncdirect-transport': 'pino → asyncdirect transport',
  'pino-destination-sync': 'pino → pino.destination() sync',
  'pino-destination-async': 'pino → pino.destination() minLength 4096',
  'pino-file-transport': "pino → transport 'pino/file'",
}
const modes = ['burst', 'paced']

function run(sink, mode) {
  const out = execFileSync(
    process.execPath,
    [join(here, 'pino-scenario.mjs'), sink, mode, dir, String(lines)],
    {
      encoding: 'utf8',
    },
  )
  return JSON.parse(out.trim().split('\n').pop())
}

const started = performance.now()
const results = new Map()
for (let r = 0; r < rounds; r++) {
  for (const mode of modes) {
    for (const sink of sinks) {
      const key = `${sink}/${mode}`
      if (!results.has(key)) results.set(key, [])
      results.get(key).push(run(sink, mode))
    }
  }
}
rmSync(dir, { recursive: true, force: true })

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const msOf = (sink, mode) => median(results.get(`${sink}/${mode}`).map((x) => x.ms))
const pct = (x) => `${(x * 100).toFixed(0)}%`

console.log(
  `pino ${lines.toLocaleString('en-US')} entries of 171 bytes, median of ${rounds} rounds ` +
    `(${((performance.now() - started) / 1000).toFixed(0)} s)`,
)
for (const mode of modes) {
  const floor = msOf('noop', mode)
  const pinoFile = msOf('pino-file-transport', mode)
  console.log(`\n${mode}`)
  console.table(
    sinks.map((sink) => {
      const runs = results.get(`${sink}/${mode}`)
      const ms = msOf(sink, mode)
      const callMs = median(runs.map((x) => x.callMs))
      return {
        scenario: labels[sink],
        'lines/s': Math.round(lines / (ms / 1000)).toLocaleString('en-US'),
        'ms end to end': ms.toFixed(0),
        'ns/line on the event loop': ((callMs * 1e6) / lines).toFixed(0),
        'vs floor': pct(floor / ms),
        "vs 'pino/file'": `${(pinoFile / ms).toFixed(2)}×`,
        'file bytes': runs.at(-1).bytes.toLocaleString('en-US'),
      }
    }),
  )
  const destination = floor / msOf('asyncdirect-destination', mode)
  const transport = pinoFile / msOf('asyncdirect-transport', mode)
  console.log(
    `  asyncdirect destination at ${pct(destination)} of the floor (target 85%); ` +
      `asyncdirect transport ${transport.toFixed(2)}× 'pino/file' (target 1.2×)`,
  )
}

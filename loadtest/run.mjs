// pnpm loadtest: the seed's load test, for Node services. Each backend's service runs in a
// process of its own under autocannon at a fixed request rate for a fixed time; the report gives
// requests/s, latency, CPU, memory, page-cache growth and the logger's own statistics, read from
// the service's /metrics. Writes loadtest/results/latest.{json,md,svg} and the README's load test
// results (with --only: results/partial.*, README untouched).
//
//   node loadtest/run.mjs [--rate N] [--seconds S] [--warmup S] [--connections C] [--only REGEX] [--dir DIR]
//
// Loopback only, bounded in time: every run stops by itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { describeMachine, loadAverage } from '@asyncdirect/bench/machine'
import { updateReadmeSection } from '@asyncdirect/bench/readme-section'
import { runBackend } from './backend-run.mjs'
import { BACKENDS } from './backends.mjs'
import { loadtestChart, loadtestMarkdown } from './loadtest-report.mjs'

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '8000' },
    seconds: { type: 'string', default: '45' },
    warmup: { type: 'string', default: '5' },
    connections: { type: 'string', default: '20' },
    only: { type: 'string' },
    dir: { type: 'string' },
  },
})
const options = {
  rate: Number(values.rate),
  seconds: Number(values.seconds),
  warmupSeconds: Number(values.warmup),
  connections: Number(values.connections),
}
const only = values.only ? new RegExp(values.only) : null
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-loadtest-'))

const started = performance.now()
const loadAtStart = loadAverage()
const results = []
for (const backend of Object.keys(BACKENDS).filter((b) => !only || only.test(b))) {
  console.error(`${backend}: ${options.rate} requests/s for ${options.seconds} s`)
  try {
    results.push(await runBackend({ backend, dir, ...options }))
  } catch (err) {
    console.error(`${backend}: ${err.message}`)
    results.push({ backend, error: err.message })
  }
}
if (!values.dir) rmSync(dir, { recursive: true, force: true })

const meta = {
  date: new Date().toISOString(),
  ...options,
  wallSeconds: (performance.now() - started) / 1000,
  loadAverage: { start: loadAtStart, end: loadAverage() },
  machine: describeMachine(values.dir ?? tmpdir()),
}
const out = new URL('./results/', import.meta.url).pathname
mkdirSync(out, { recursive: true })
const name = only ? 'partial' : 'latest'
writeFileSync(join(out, `${name}.json`), `${JSON.stringify({ meta, results }, null, 1)}\n`)
const report = loadtestMarkdown({ meta, results })
writeFileSync(join(out, `${name}.md`), report)
writeFileSync(join(out, `${name}.svg`), await loadtestChart({ meta, results }))
if (!only) {
  const section = `![load test chart](loadtest/results/latest.svg)\n\n${loadtestMarkdown({ meta, results }, 3)}`
  if (!updateReadmeSection(new URL('../README.md', import.meta.url).pathname, 'loadtest-results', section))
    console.error('README.md has no load test results markers; not updated')
}
console.log(report)
console.error(`results in ${join(out, name)}.{json,md,svg} (${(meta.wallSeconds / 60).toFixed(1)} min)`)

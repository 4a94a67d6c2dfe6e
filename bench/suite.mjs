// pnpm bench: asyncdirect against its peers and against the disk's own ceiling (a native loop of
// O_DIRECT | O_DSYNC writes, measured in the same run), every scenario in a fresh process, rounds
// interleaved (A B C … A B C …) so that a change in the machine's load hits every scenario alike.
// Prints the report: the targets and whether each is met, the ceiling and every asyncdirect
// scenario's share of it, creation time and memory, and every scenario's figures.
// A full run writes results/latest.{json,md,svg} and the README's results section; a quick run
// (--quick: 100k lines, two rounds) writes results/quick.*, a partial one (--only) results/partial.*,
// and neither touches the README. `node bench/render-results.mjs` renders a run again.
//
//   node bench/suite.mjs [--quick] [--lines N] [--rounds R] [--dir DIR] [--only REGEX]
//
// A benchmark, not a test: the figures depend on the machine and on what else it is doing.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { scenarios } from './catalog.mjs'
import { describeMachine, loadAverage } from './machine.mjs'
import { writeResults } from './results-output.mjs'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    lines: { type: 'string' },
    rounds: { type: 'string' },
    dir: { type: 'string' },
    only: { type: 'string' },
  },
})
const quick = values.quick
const lines = Number(values.lines ?? (quick ? 100_000 : 1_000_000))
const rounds = Number(values.rounds ?? (quick ? 2 : 5))
const only = values.only ? new RegExp(values.only) : null
// On the real disk, never tmpfs: page-cache and O_DIRECT figures mean nothing in memory.
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-bench-'))
const LINE_BYTES = 171
/** A run that takes longer has hung; the round goes on without it. */
const RUN_TIMEOUT_MS = 180_000

const run = promisify(execFile)
async function runScenario(s) {
  const script = join(here, s.script)
  const args =
    s.script === 'raw-direct.mjs'
      ? [dir, String(lines * LINE_BYTES), String(lines)]
      : s.script === 'thread-scenario.mjs'
        ? [s.sink, String(s.threads), dir, String(lines)]
        : s.script === 'creation-scenario.mjs'
          ? [s.sink, s.shape, dir]
          : [s.sink, s.shape, dir, String(lines)]
  try {
    const { stdout } = await run(process.execPath, [script, ...args], {
      maxBuffer: 1 << 20,
      timeout: RUN_TIMEOUT_MS,
    })
    const result = JSON.parse(stdout.trim().split('\n').pop())
    if (result.error) return { error: result.error }
    return { result }
  } catch (err) {
    return { error: (err.stderr || err.message).trim().split('\n').slice(-3).join(' ') }
  }
}

const list = scenarios().filter((s) => !only || only.test(s.key))
const started = performance.now()
const loadAtStart = loadAverage()
const runs = []
for (let round = 1; round <= rounds; round++) {
  for (const [i, s] of list.entries()) {
    // One line per round in a log, a progress line on a terminal.
    if (process.stderr.isTTY)
      process.stderr.write(`\rround ${round}/${rounds}  ${i + 1}/${list.length}  ${s.key.padEnd(48)}`)
    else if (i === 0) process.stderr.write(`round ${round}/${rounds}: ${list.length} scenarios\n`)
    const outcome = await runScenario(s)
    if (outcome.error) process.stderr.write(`\n${s.key}: ${outcome.error}\n`)
    runs.push({ round, key: s.key, sink: s.sink, shape: s.shape, ...outcome })
  }
}
if (process.stderr.isTTY) process.stderr.write('\n')
if (!values.dir) rmSync(dir, { recursive: true, force: true })

const meta = {
  date: new Date().toISOString(),
  quick,
  lines,
  rounds,
  wallSeconds: (performance.now() - started) / 1000,
  loadAverage: { start: loadAtStart, end: loadAverage() },
  machine: describeMachine(values.dir ?? tmpdir()),
}
mkdirSync(join(here, 'results'), { recursive: true })
const name = quick ? 'quick' : only ? 'partial' : 'latest'
// A full run of every scenario is what the README shows; quick or partial runs leave it alone.
const report = await writeResults({ name, meta, runs, readme: !quick && !only })
console.log(report)
console.error(
  `results in ${join(here, 'results', name)}.{json,md,svg} (${(meta.wallSeconds / 60).toFixed(1)} min)`,
)

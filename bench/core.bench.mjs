// pnpm bench:core — the engine's throughput, end to end (first call until close() resolves),
// for logBytes and log with 171-byte lines, on the main thread and from 4 worker threads, in
// both file formats (framed, lines); GC events during the calls; and the disk's own ceiling for
// the same bytes (raw O_DIRECT loop). Ratios: against the raw loop, and lines against framed.
//
// Each scenario runs in a fresh process, several rounds, alternating, and reports the median.
// A benchmark, not a test: the figures depend on the machine and what else it is doing.
//
//   node core.bench.mjs [--lines N] [--rounds R] [--dir DIR]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '2000000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const lines = Number(values.lines)
const rounds = Number(values.rounds)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-bench-'))
const LINE = 171

function run(script, args) {
  const out = execFileSync(process.execPath, [join(here, script), ...args], { encoding: 'utf8' })
  return JSON.parse(out.trim().split('\n').pop())
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const scenarios = ['main', 'workers'].flatMap((where) =>
  ['framed', 'lines'].flatMap((format) => ['logBytes', 'log'].map((api) => `${api}-${where}-${format}`)),
)
const results = Object.fromEntries([...scenarios, 'raw-direct'].map((s) => [s, []]))
for (let r = 0; r < rounds; r++) {
  for (const s of scenarios) results[s].push(run('core-scenario.mjs', [s, dir, String(lines)]))
  results['raw-direct'].push(run('raw-direct.mjs', [dir, String(lines * (LINE + 4))]))
}
rmSync(dir, { recursive: true, force: true })

const payloadMB = (lines * LINE) / 1e6
const raw = median(results['raw-direct'].map((x) => x.ms))
const msOf = (s) => median(results[s].map((x) => x.ms))
const rows = scenarios.map((s) => {
  const ms = median(results[s].map((x) => x.ms))
  const gc = results[s].map((x) => x.gcDuringCalls).filter((x) => x !== undefined)
  const st = results[s].at(-1).stats
  return {
    scenario: s,
    'lines/s': Math.round(lines / (ms / 1000)).toLocaleString('en-US'),
    'MB/s': (payloadMB / (ms / 1000)).toFixed(0),
    'ms (median)': ms.toFixed(0),
    'vs raw disk': `${((raw / ms) * 100).toFixed(0)}%`,
    'lines vs framed': s.endsWith('-lines')
      ? `${((msOf(s.replace('-lines', '-framed')) / ms) * 100).toFixed(0)}%`
      : '',
    'GC events': gc.length ? gc.join('/') : '-',
    dropped: st.droppedLogs,
    directIO: st.directIO,
  }
})
rows.push({
  scenario: 'raw O_DIRECT loop',
  'lines/s': Math.round(lines / (raw / 1000)).toLocaleString('en-US'),
  'MB/s': (payloadMB / (raw / 1000)).toFixed(0),
  'ms (median)': raw.toFixed(0),
  'vs raw disk': '100%',
  'lines vs framed': '',
  'GC events': '-',
  dropped: 0,
  directIO: true,
})
console.log(
  `asyncdirect core: ${lines.toLocaleString('en-US')} lines of ${LINE} bytes, median of ${rounds} rounds`,
)
console.table(rows)

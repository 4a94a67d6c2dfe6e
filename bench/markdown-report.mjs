// The report as markdown: the run's context, the targets, one table per load shape (median of
// the rounds; throughput with its min–max), and the ratios computed round by round.
import { CEILING_SHARES, RAW_DIRECT } from './catalog.mjs'
import { RATE_PER_SECOND } from './load-shapes.mjs'
import { findRatio } from './summary.mjs'

const int = (x) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'))
const fixed = (d) => (x) => (x === null ? '–' : x.toFixed(d))
const thousands = (x) => (x === null ? '–' : `${Math.round(x / 1000).toLocaleString('en-US')}k`)
const pct = (x) => (x === null ? '–' : `${x.toFixed(x < 10 ? 2 : 0)}%`)

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n')
}

const SHAPE_TITLES = {
  burst: 'Single thread, burst (one tight loop)',
  paced: 'Single thread, paced (100 lines per event-loop turn, as fast as the sink allows)',
  rate: `Single thread, paced at ${RATE_PER_SECOND / 1000}k lines/s (100 per turn, timer when ahead)`,
}

function scenarioRow(s) {
  const f = s.figures
  const m = (name, fmt) => fmt(f[name]?.median ?? null)
  const errors = s.errors.length ? ` ⚠ ${s.errors.length} failed` : ''
  return [
    `${s.label}${errors}`,
    `${thousands(f.linesPerSec.median)} (${thousands(f.linesPerSec.min)}–${thousands(f.linesPerSec.max)})`,
    m('mbPerSec', int),
    m('nsPerCall', int),
    m('mainNsPerLine', int),
    `${m('cpuUserS', fixed(2))} / ${m('cpuSystemS', fixed(2))}`,
    `${m('loopDelayP99Ms', fixed(2))} / ${m('loopDelayMaxMs', fixed(1))}`,
    m('gcEvents', int),
    m('minorFaults', thousands),
    m('peakRssMB', int),
    m('pageCachePct', pct),
  ]
}

const HEADER = [
  'scenario',
  'lines/s (min–max)',
  'MB/s',
  'ns/call',
  'main-thread ns/line',
  'CPU user / sys (s)',
  'loop delay p99 / max (ms)',
  'GC',
  'page faults',
  'peak RSS (MB)',
  'page cache',
]

/** Scenarios of one shape, asyncdirect first, then peers, floors and the ceiling. */
function shapeTable(summary, shape) {
  const order = { asyncdirect: 0, peer: 1, floor: 2, ceiling: 3 }
  const rows = Object.values(summary.scenarios)
    .filter((s) => s.shape === shape || (shape === 'burst' && s.family === 'ceiling'))
    .filter((s) => s.figures.linesPerSec)
    .sort((a, b) => order[a.family] - order[b.family])
  return rows.length ? table(HEADER, rows.map(scenarioRow)) : ''
}

const threadsOf = (s) => Number(s.shape.slice('threads-'.length))

function threadsTable(summary) {
  const rows = Object.values(summary.scenarios)
    .filter((s) => s.shape.startsWith('threads-') && s.figures.linesPerSec)
    .sort((a, b) => a.sink.localeCompare(b.sink) || threadsOf(a) - threadsOf(b))
  if (!rows.length) return ''
  return table(
    ['scenario', 'threads', ...HEADER.slice(1)],
    rows.map((s) => {
      const [label, ...rest] = scenarioRow(s)
      return [label, String(threadsOf(s)), ...rest]
    }),
  )
}

/** The disk's ceiling measured in this run, and every asyncdirect scenario as a share of it. */
function ceilingSection(summary) {
  const ceiling = summary.scenarios[`${RAW_DIRECT}/burst`]
  if (!ceiling?.figures.linesPerSec) return []
  const t = ceiling.figures.linesPerSec
  const intro =
    `The disk's ceiling in this run, a native loop of 8 MiB writes with the logger's flags (O_DIRECT, O_DSYNC) ` +
    `through its C library: ${thousands(t.median)} lines/s of ~171 bytes ` +
    `(${thousands(t.min)}–${thousands(t.max)}), ${int(ceiling.figures.mbPerSec.median)} MB/s. ` +
    'Each asyncdirect scenario as a share of it, computed round by round (threads: the lines of all threads):'
  const f = (x) => pct(x * 100)
  const rows = CEILING_SHARES.map(({ subject, peer }) => ({
    s: summary.scenarios[subject],
    r: findRatio(summary, subject, peer),
  }))
    .filter(({ s, r }) => s && r && r.median !== null)
    .map(({ s, r }) => [
      s.label,
      s.shape,
      thousands(s.figures.linesPerSec.median),
      `${f(r.median)} (${f(r.min)}–${f(r.max)})`,
    ])
  return [intro, table(['scenario', 'shape', 'lines/s', 'share of the ceiling: median (min–max)'], rows)]
}

/** Creating a logger with the defaults: time and resident-memory growth, per API and format. */
function creationTable(summary) {
  const rows = Object.values(summary.scenarios)
    .filter((s) => s.family === 'creation')
    .map((s) => {
      const { createMs, readyMs, rssMiB, rssAnonMiB } = s.figures
      return [
        s.label,
        s.shape,
        `${fixed(1)(createMs.median)} (${fixed(1)(createMs.min)}–${fixed(1)(createMs.max)})`,
        readyMs?.median == null
          ? '–'
          : `${fixed(1)(readyMs.median)} (${fixed(1)(readyMs.min)}–${fixed(1)(readyMs.max)})`,
        `${fixed(1)(rssMiB.median)} (${fixed(1)(rssMiB.min)}–${fixed(1)(rssMiB.max)})`,
        fixed(1)(rssAnonMiB.median),
      ]
    })
  if (!rows.length) return ''
  return table(
    [
      'API',
      'format',
      'time (ms): median (min–max)',
      'until ready(): the flusher writes (ms)',
      'RSS growth once ready (MiB)',
      'of which anonymous (MiB)',
    ],
    rows,
  )
}

function targetsTable(rows) {
  const mark = (pass) => (pass === null ? '–' : pass ? 'yes' : '**no**')
  return table(
    ['target', 'scenario', 'measured: median (min–max)', 'met'],
    rows.map((r) => [r.target, r.scenario, r.measured, mark(r.pass)]),
  )
}

function ratiosTable(summary) {
  const f = (x) => `${x.toFixed(2)}×`
  return table(
    ['subject', 'peer', 'throughput ratio: median (min–max)', 'rounds'],
    summary.ratios
      .filter((r) => r.median !== null)
      .map((r) => [r.subject, r.peer, `${f(r.median)} (${f(r.min)}–${f(r.max)})`, String(r.values.length)]),
  )
}

/**
 * The whole report. `headingLevel` 2 for a file of its own, 3 inside the README's section;
 * `ratios` false leaves out the long table of every ratio (the README links to the file instead).
 */
export function markdownReport({ meta, summary, targets }, headingLevel = 2, { ratios = true } = {}) {
  const h = '#'.repeat(headingLevel)
  const m = meta.machine
  const parts = [
    `${h} asyncdirect benchmarks: ${meta.date.slice(0, 10)}`,
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GiB, Linux ${m.kernel}, ${m.filesystem} (${m.dir}), Node ${m.node}. ` +
      `${meta.lines.toLocaleString('en-US')} lines of ~171 bytes per scenario (threads: shared between them), ` +
      `${meta.rounds} round(s), interleaved; each scenario in a fresh process. ` +
      `Medians, throughput with min–max; ratios computed round by round. Run took ${(meta.wallSeconds / 60).toFixed(1)} min; ` +
      `load average ${meta.loadAverage.start.toFixed(1)} at the start, ${meta.loadAverage.end.toFixed(1)} at the end (the machine is shared).`,
    'End to end = first log call until the sink is done: asyncdirect closed (every line durable, `O_DIRECT | O_DSYNC`); ' +
      "pino's, sonic-boom's and winston's own sinks closed (every byte handed to the kernel, in the page cache, not synced). " +
      "`ns/call`: time inside the log calls per line (per thread for threads); `main-thread ns/line`: the event loop's busy time per line, " +
      'including work done after the calls (streams, transports). Loop delay: how late a 1 ms timer fired ' +
      '(paced shapes: once the first tenth of the lines is logged, past the JIT warm-up; a burst blocks the loop throughout). ' +
      'Page faults: minor faults of the whole process while it logged (memory touched for the first time, which the kernel zero-fills page by page). ' +
      'Page cache: share of the written file resident in the page cache right after (mincore).',
    `${h}# Targets`,
    targetsTable(targets),
    ...ceilingSection(summary).map((part, i) => (i === 0 ? `${h}# Disk ceiling\n\n${part}` : part)),
    ...['burst', 'paced', 'rate'].flatMap((shape) => {
      const t = shapeTable(summary, shape)
      return t ? [`${h}# ${SHAPE_TITLES[shape]}`, t] : []
    }),
  ]
  const creation = creationTable(summary)
  if (creation)
    parts.push(
      `${h}# Creating a logger (defaults, fresh process, native library loaded inside the measurement)`,
      creation,
    )
  const threads = threadsTable(summary)
  if (threads) parts.push(`${h}# Threads (burst per thread, lines shared between the threads)`, threads)
  if (ratios) parts.push(`${h}# Ratios, round by round`, ratiosTable(summary))
  else {
    parts.push(
      'Every ratio, round by round: [bench/results/latest.md](bench/results/latest.md); ' +
        'the raw figures of each run: [bench/results/latest.json](bench/results/latest.json).',
    )
  }
  const errors = Object.values(summary.scenarios).flatMap((s) => s.errors.map((e) => `- ${s.key}: ${e}`))
  if (errors.length) parts.push(`${h}# Failed runs`, errors.join('\n'))
  return `${parts.join('\n\n')}\n`
}

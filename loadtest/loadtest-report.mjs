// The load test's report: one row per backend with what the clients saw, what the service
// process cost, how much page cache its log file took, and the logger's own statistics (from
// /metrics, where the logger is in the service's main thread), as markdown and as a chart in the
// benchmark's style.
import { sideBySideBars } from '@asyncdirect/bench/svg-chart'
import { BACKENDS } from './backends.mjs'

const fixed = (d) => (x) => (x === null || x === undefined ? '–' : x.toFixed(d))
const int = (x) => (x === null || x === undefined ? '–' : Math.round(x).toLocaleString('en-US'))
/** autocannon measures latency in whole milliseconds: 0 means under one. */
const ms = (x) => (x === null || x === undefined ? '–' : x < 1 ? '<1' : Math.round(x).toLocaleString('en-US'))

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(line)].join('\n')
}

function loggerCells(r) {
  const l = r.logger
  if (l) {
    return [
      `${fixed(4)(l.dropRatePct)}%`,
      int(l.flushes),
      fixed(1)(l.avgFlushMs),
      fixed(1)(l.maxFlushMs),
      l.directIO ? 'yes' : 'no',
    ]
  }
  const why = BACKENDS[r.backend].family === 'asyncdirect' ? 'n/a¹' : 'n/a'
  return [why, why, why, why, why]
}

/** The report; `headingLevel` 2 for a file of its own, 3 inside the README's section. */
export function loadtestMarkdown({ meta, results }, headingLevel = 2) {
  const m = meta.machine
  const rows = results.map((r) =>
    r.error
      ? [BACKENDS[r.backend].label, `failed: ${r.error}`, ...Array(15).fill('')]
      : [
          BACKENDS[r.backend].label,
          int(r.load.requestsPerSec),
          ms(r.load.latencyP50Ms),
          ms(r.load.latencyP99Ms),
          ms(r.load.latencyMaxMs),
          int(r.load.errors + r.load.non2xx),
          `${fixed(0)(r.process.cpuUserPct)} / ${fixed(0)(r.process.cpuSystemPct)}`,
          `${int(r.process.rssMB)} / ${int(r.process.peakRssMB)}`,
          `${fixed(2)(r.process.loopDelayP99Ms)} / ${fixed(1)(r.process.loopDelayMaxMs)}`,
          fixed(1)(r.pageCache.fileGrowthMB),
          fixed(0)(r.pageCache.systemGrowthMB),
          ...loggerCells(r),
          int(r.file.lines),
        ],
  )
  return `${[
    `${'#'.repeat(headingLevel)} Load test: ${meta.date.slice(0, 10)}`,
    `${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GiB, Linux ${m.kernel}, ${m.filesystem}, Node ${m.node}. ` +
      `autocannon at ${meta.rate.toLocaleString('en-US')} requests/s (${meta.connections} connections) for ${meta.seconds} s ` +
      `after a ${meta.warmupSeconds} s warm-up, on loopback, against a service in its own process that logs two lines ` +
      'per request (a debug line in the handler, a request line when the response is sent). ' +
      `One run per backend; the run took ${(meta.wallSeconds / 60).toFixed(1)} min, load average ` +
      `${meta.loadAverage.start.toFixed(1)} at the start and ${meta.loadAverage.end.toFixed(1)} at the end (the machine is shared).`,
    "Service figures are differences between two scrapes of the service's `/metrics` (prom-client), before and " +
      'after the measured load: CPU as % of one core, event-loop delay beyond its 1 ms timer, and the logger statistics ' +
      "of `@asyncdirect/core/prometheus` (max flush time is the logger's lifetime maximum). Page cache: growth of " +
      "the log file's resident pages during the load (mincore), and of the machine's `Cached` (shared, noisy). " +
      'Latency in whole milliseconds (autocannon). Lines: in the file once the service closed its logger.',
    table(
      [
        'backend',
        'requests/s',
        'latency p50 (ms)',
        'p99 (ms)',
        'max (ms)',
        'failed',
        'CPU user / sys (%)',
        'RSS / peak (MB)',
        'loop delay p99 / max (ms)',
        'file page cache growth (MB)',
        'system page cache growth (MB)',
        'drop rate',
        'flushes',
        'avg flush (ms)',
        'max flush (ms)',
        'O_DIRECT',
        'lines in file',
      ],
      rows,
    ),
    "¹ The asyncdirect transport's logger lives in pino's worker thread; its statistics do not reach the " +
      "service's main thread, so `/metrics` cannot show them.",
  ].join('\n\n')}\n`
}

export function loadtestChart({ meta, results }) {
  const ok = results.filter((r) => !r.error)
  const REQUESTS = 'requests/s achieved'
  const CACHE = 'page cache taken by the log file during the load (MB)'
  const LATENCY = 'latency p99 (ms)'
  const bars = ok.flatMap((r) => {
    const { label, family } = BACKENDS[r.backend]
    const bar = (panel, value, text) => ({
      category: label,
      panel,
      series: 'run',
      group: family,
      value,
      label: text,
    })
    return [
      bar(REQUESTS, r.load.requestsPerSec, ''),
      bar(LATENCY, r.load.latencyP99Ms, r.load.latencyP99Ms.toFixed(1)),
      bar(CACHE, r.pageCache.fileGrowthMB, r.pageCache.fileGrowthMB.toFixed(1)),
    ]
  })
  return sideBySideBars({
    title: 'HTTP services under a fixed load, by logging backend',
    subtitle: `${meta.rate.toLocaleString('en-US')} requests/s for ${meta.seconds} s, 2 log lines per request, ${meta.date.slice(0, 10)}`,
    categories: ok.map((r) => BACKENDS[r.backend].label),
    panels: [REQUESTS, LATENCY, CACHE],
    bars,
  })
}

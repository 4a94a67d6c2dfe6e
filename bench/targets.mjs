// The targets of issue #14, checked against a summary. Each check gives one row per scenario it
// looks at: what was measured (median over rounds, with the min–max) and whether the median meets
// the target. Throughput targets are ratios computed round by round: against a peer, or against
// the disk's ceiling measured in the same run (which travels from machine to machine where a
// ratio to a peer that writes into the page cache does not). A benchmark's verdict, not a test's:
// the figures depend on the machine and its load.
import { RAW_DIRECT } from './catalog.mjs'
import { RATE_PER_SECOND } from './load-shapes.mjs'
import { findRatio } from './summary.mjs'

const times = (x) => `${x.toFixed(2)}×`
const pct = (x) => `${x.toFixed(x < 10 ? 2 : 0)}%`
const share = (x) => pct(x * 100)
const range = (r, fmt) => `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`
const CEILING = `${RAW_DIRECT}/burst`

function ratioRows(summary, target, pairs, threshold, fmt = times) {
  return pairs.map(([subject, peer]) => {
    const r = findRatio(summary, subject, peer)
    if (!r || r.median === null)
      return { target, scenario: `${subject} vs ${peer}`, measured: 'not run', pass: null }
    return { target, scenario: `${subject} vs ${peer}`, measured: range(r, fmt), pass: r.median >= threshold }
  })
}

const shapes = (subject, peer) => ['burst', 'paced'].map((s) => [`${subject}/${s}`, `${peer}/${s}`])
const ofCeiling = (...sinks) =>
  sinks.flatMap((sink) => ['burst', 'paced'].map((s) => [`${sink}/${s}`, CEILING]))

/** A figure of the subject no larger than the same figure of the peer (medians). */
function figureRows(summary, target, pairs, figure, fmt) {
  return pairs.map(([subject, peer]) => {
    const a = summary.scenarios[subject]?.figures[figure]
    const b = summary.scenarios[peer]?.figures[figure]
    const scenario = `${subject} vs ${peer}`
    if (!a || !b || a.median === null || b.median === null)
      return { target, scenario, measured: 'not run', pass: null }
    return { target, scenario, measured: `${fmt(a.median)} vs ${fmt(b.median)}`, pass: a.median <= b.median }
  })
}

/** A figure of each scenario no larger than `limit` (median). */
function limitRows(summary, target, keys, figure, limit, fmt) {
  return keys.map((key) => {
    const f = summary.scenarios[key]?.figures[figure]
    if (!f || f.median === null) return { target, scenario: key, measured: 'not run', pass: null }
    return { target, scenario: key, measured: range(f, fmt), pass: f.median <= limit }
  })
}

function residencyRows(summary) {
  const target = 'page-cache residency ≤ 1% (peers ~100%)'
  const withFile = Object.values(summary.scenarios).filter(
    (s) => s.figures.pageCachePct?.median !== null && s.figures.pageCachePct !== undefined,
  )
  const ours = withFile.filter((s) => s.family === 'asyncdirect')
  const peers = withFile.filter((s) => s.family === 'peer')
  if (!ours.length) return [{ target, scenario: 'asyncdirect', measured: 'not run', pass: null }]
  const worst = ours.reduce((a, b) => (b.figures.pageCachePct.max > a.figures.pageCachePct.max ? b : a))
  const peerPcts = peers.map((s) => s.figures.pageCachePct.median)
  return [
    {
      target,
      scenario: `asyncdirect, worst of ${ours.length} scenarios (${worst.key})`,
      measured: pct(worst.figures.pageCachePct.max),
      pass: worst.figures.pageCachePct.max <= 1,
    },
    {
      target,
      scenario: `peers, ${peers.length} scenarios`,
      measured: peers.length ? `${pct(Math.min(...peerPcts))}–${pct(Math.max(...peerPcts))}` : 'not run',
      pass: null,
    },
  ]
}

function loopDelayRows(summary) {
  const target = `event-loop delay p99 ≤ 1 ms at ${RATE_PER_SECOND / 1000}k lines/s paced`
  const ms = (x) => `${x.toFixed(2)} ms`
  const rows = Object.values(summary.scenarios)
    .filter((s) => s.shape === 'rate' && s.family === 'asyncdirect')
    .map((s) => {
      const d = s.figures.loopDelayP99Ms
      const achieved = s.figures.linesPerSec.median
      return {
        target,
        scenario: `${s.key} (${Math.round(achieved / 1000)}k lines/s end to end)`,
        measured: range(d, ms),
        pass: d.median <= 1,
      }
    })
  // The same loop with pino writing nowhere: the delay this machine gives a loop that does no I/O.
  const floor = summary.scenarios['pino-noop/rate']
  if (floor && rows.length) {
    rows.push({
      target,
      scenario: 'reference: pino-noop/rate (no I/O at all)',
      measured: range(floor.figures.loopDelayP99Ms, ms),
      pass: null,
    })
  }
  return rows
}

const ms = (x) => `${x.toFixed(1)} ms`
const mib = (x) => `${x.toFixed(1)} MiB`
const ns = (x) => `${Math.round(x)} ns`

/** Every target's rows, in the order. */
export function checkTargets(summary) {
  return [
    ...ratioRows(
      summary,
      'core logBytes ≥ 70% of the disk ceiling',
      ofCeiling('core-logBytes-framed', 'core-logBytes-lines'),
      0.7,
      share,
    ),
    ...ratioRows(
      summary,
      'core log(string) ≥ 50% of the disk ceiling',
      ofCeiling('core-log-framed', 'core-log-lines'),
      0.5,
      share,
    ),
    ...ratioRows(
      summary,
      'core ahead of sonic-boom (≥ 1×)',
      ['core-logBytes-framed', 'core-logBytes-lines', 'core-log-framed', 'core-log-lines'].flatMap((core) =>
        shapes(core, 'sonic-boom'),
      ),
      1,
    ),
    ...ratioRows(
      summary,
      'pino destination ≥ 90% of the batched in-memory ceiling',
      shapes('pino-asyncdirect-destination', 'pino-memory-batched'),
      0.9,
      share,
    ),
    ...ratioRows(
      summary,
      'pino destination ≥ 3× pino.destination()',
      shapes('pino-asyncdirect-destination', 'pino-destination-sync'),
      3,
    ),
    ...ratioRows(
      summary,
      "transport ≥ 1.0× 'pino/file'",
      shapes('pino-asyncdirect-transport', 'pino-file-transport'),
      1,
    ),
    ...figureRows(
      summary,
      "transport: main-thread time per line ≤ 'pino/file'",
      shapes('pino-asyncdirect-transport', 'pino-file-transport'),
      'mainNsPerLine',
      ns,
    ),
    ...ratioRows(summary, 'winston ≥ 2× File', shapes('winston-asyncdirect', 'winston-file'), 2),
    ...residencyRows(summary),
    ...loopDelayRows(summary),
    ...ratioRows(
      summary,
      'core: 8 threads aggregate ≥ 1 thread',
      [['core-logBytes/threads-8', 'core-logBytes/threads-1']],
      1,
    ),
    ...limitRows(
      summary,
      'createLogger() with defaults ≤ 50 ms',
      ['createLogger/framed', 'createLogger/lines'],
      'createMs',
      50,
      ms,
    ),
    ...limitRows(
      summary,
      'RSS growth at creation ≤ 16 MiB',
      ['createLogger/framed', 'createLogger/lines'],
      'rssMiB',
      16,
      mib,
    ),
  ]
}

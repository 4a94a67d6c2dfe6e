// The targets of issue #7, checked against a summary. Each check gives one row per scenario it
// looks at: what was measured (median over rounds, with the min–max) and whether the median meets
// the target. A benchmark's verdict, not a test's: the figures depend on the machine and its load.
import { RATE_PER_SECOND } from './load-shapes.mjs'
import { findRatio } from './summary.mjs'

const times = (x) => `${x.toFixed(2)}×`
const pct = (x) => `${x.toFixed(x < 10 ? 2 : 0)}%`
const range = (r, fmt) => `${fmt(r.median)} (${fmt(r.min)}–${fmt(r.max)})`

function ratioRows(summary, target, pairs, threshold, fmt = times) {
  return pairs.map(([subject, peer]) => {
    const r = findRatio(summary, subject, peer)
    if (!r || r.median === null)
      return { target, scenario: `${subject} vs ${peer}`, measured: 'not run', pass: null }
    return { target, scenario: `${subject} vs ${peer}`, measured: range(r, fmt), pass: r.median >= threshold }
  })
}

const shapes = (subject, peer) => ['burst', 'paced'].map((s) => [`${subject}/${s}`, `${peer}/${s}`])

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

/** Every target's rows, in the order. */
export function checkTargets(summary) {
  return [
    ...ratioRows(
      summary,
      'core logBytes ≥ 8× sonic-boom',
      [...shapes('core-logBytes-framed', 'sonic-boom'), ...shapes('core-logBytes-lines', 'sonic-boom')],
      8,
    ),
    ...ratioRows(
      summary,
      'pino destination ≥ 85% of the pino no-op floor',
      shapes('pino-asyncdirect-destination', 'pino-noop'),
      0.85,
      (x) => pct(x * 100),
    ),
    ...ratioRows(
      summary,
      "transport ≥ 1.2× 'pino/file'",
      shapes('pino-asyncdirect-transport', 'pino-file-transport'),
      1.2,
    ),
    ...ratioRows(summary, 'winston ≥ 2× File', shapes('winston-asyncdirect', 'winston-file'), 2),
    ...residencyRows(summary),
    ...loopDelayRows(summary),
    ...ratioRows(
      summary,
      '8 threads aggregate ≥ 1 thread',
      [
        ['core-logBytes/threads-8', 'core-logBytes/threads-1'],
        ['pino-asyncdirect/threads-8', 'pino-asyncdirect/threads-1'],
      ],
      1,
    ),
  ]
}

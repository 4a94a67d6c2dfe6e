// The benchmark's chart: single-thread throughput (burst and paced, median with the rounds'
// min–max) beside the written file's page-cache residency, one row per sink.
import { sideBySideBars } from './svg-chart.mjs'

const THROUGHPUT = 'lines/s, end to end (median, min–max)'
const RESIDENCY = 'page cache residency of the file afterwards (%)'

export function benchChart({ meta, summary }) {
  const rows = Object.values(summary.scenarios).filter(
    (s) => (s.shape === 'burst' || s.shape === 'paced') && s.figures.linesPerSec,
  )
  const order = { asyncdirect: 0, peer: 1, floor: 2, ceiling: 3 }
  const categories = [
    ...new Map(rows.sort((a, b) => order[a.family] - order[b.family]).map((s) => [s.label, 1])).keys(),
  ]
  const bars = rows.flatMap((s) => {
    const t = s.figures.linesPerSec
    const out = [
      {
        category: s.label,
        panel: THROUGHPUT,
        series: s.shape,
        group: s.family,
        value: t.median,
        low: t.min,
        high: t.max,
      },
    ]
    const r = s.figures.pageCachePct
    if (s.shape === 'burst' && r?.median !== null && r !== undefined) {
      const label = `${r.median.toFixed(r.median < 10 ? 2 : 0)}%`
      out.push({
        category: s.label,
        panel: RESIDENCY,
        series: s.shape,
        group: s.family,
        value: r.median,
        label,
      })
    }
    return out
  })
  return sideBySideBars({
    title: 'asyncdirect and its peers: throughput and page-cache residency',
    subtitle:
      `${meta.lines.toLocaleString('en-US')} lines of ~171 B, ${meta.rounds} rounds, ${meta.machine.cpus} CPUs, ` +
      `Node ${meta.machine.node}, ${meta.machine.filesystem}, ${meta.date.slice(0, 10)}`,
    categories,
    panels: [THROUGHPUT, RESIDENCY],
    bars,
  })
}

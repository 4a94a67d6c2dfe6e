// From the raw runs of every round to the report's figures: per scenario the median and the
// min–max of each figure over the rounds, and per comparison the throughput ratio computed within
// each round (subject and peer ran minutes apart at most, under the same machine load), then its
// median and min–max.
import { COMPARISONS, familyOf, labelOf } from './catalog.mjs'

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

/** The figures the report shows, from one run's JSON line. */
export function figuresOf(run) {
  if (run.scenario === 'creation')
    return {
      createMs: run.ms,
      readyMs: run.readyMs ?? null,
      rssMiB: run.rssMiB,
      rssAnonMiB: run.rssAnonMiB ?? null,
    }
  const lines = run.lines
  const seconds = run.ms / 1000
  const fileBytes = run.file?.bytes ?? lines * (run.stats?.lineBytes ?? 0)
  return {
    linesPerSec: lines / seconds,
    mbPerSec: fileBytes / 1e6 / seconds,
    nsPerCall: run.callMs === undefined ? null : (run.callMs * 1e6) / (run.perThreadLines ?? lines),
    mainNsPerLine: run.mainThreadBusyMs === undefined ? null : (run.mainThreadBusyMs * 1e6) / lines,
    cpuUserS: run.cpuUserMs === undefined ? null : run.cpuUserMs / 1000,
    cpuSystemS: run.cpuSystemMs === undefined ? null : run.cpuSystemMs / 1000,
    loopDelayP99Ms: run.loopDelayP99Ms ?? null,
    loopDelayMaxMs: run.loopDelayMaxMs ?? null,
    gcEvents: run.gcEvents ?? null,
    minorFaults: run.minorFaults ?? null,
    peakRssMB: run.peakRssMB ?? null,
    pageCachePct: run.file?.residency?.pct ?? null,
    dropped: run.stats?.droppedLogs ?? null,
    avgFlushMs: run.stats?.avgFlushDuration ?? null,
    maxFlushMs: run.stats?.maxFlushDuration ?? null,
  }
}

function spread(values) {
  const xs = values.filter((x) => x !== null && Number.isFinite(x))
  if (xs.length === 0) return { median: null, min: null, max: null }
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
}

/**
 * @param {{ round: number, key: string, sink: string, shape: string, result?: object, error?: string }[]} runs
 */
export function summarize(runs) {
  const byKey = new Map()
  for (const run of runs) {
    if (!byKey.has(run.key)) byKey.set(run.key, { key: run.key, sink: run.sink, shape: run.shape, runs: [] })
    byKey.get(run.key).runs.push(run)
  }
  const scenarios = {}
  for (const { key, sink, shape, runs: rs } of byKey.values()) {
    const ok = rs.filter((r) => r.result)
    const figures = ok.map((r) => figuresOf(r.result))
    const names = figures.length ? Object.keys(figures[0]) : []
    scenarios[key] = {
      key,
      sink,
      shape,
      family: familyOf(sink),
      label: labelOf(sink),
      rounds: ok.length,
      errors: rs.filter((r) => r.error).map((r) => `round ${r.round}: ${r.error}`),
      figures: Object.fromEntries(names.map((n) => [n, spread(figures.map((f) => f[n]))])),
      directIO: ok.at(-1)?.result.stats?.directIO ?? null,
      linesInFile: ok.at(-1)?.result.file?.lines ?? null,
      entriesWritten: ok.at(-1)?.result.stats?.entriesWritten ?? null,
    }
  }
  const throughput = (key, round) => {
    const run = runs.find((r) => r.key === key && r.round === round && r.result)
    return run ? figuresOf(run.result).linesPerSec : null
  }
  const rounds = [...new Set(runs.map((r) => r.round))]
  const ratios = COMPARISONS.filter((c) => scenarios[c.subject] && scenarios[c.peer]).map((c) => {
    const values = rounds
      .map((round) => {
        const s = throughput(c.subject, round)
        const p = throughput(c.peer, round)
        return s !== null && p !== null ? s / p : null
      })
      .filter((x) => x !== null)
    return { ...c, values, ...spread(values) }
  })
  return { scenarios, ratios }
}

/** The ratio of subject over peer, or undefined when one of them did not run. */
export function findRatio(summary, subject, peer) {
  return summary.ratios.find((r) => r.subject === subject && r.peer === peer)
}

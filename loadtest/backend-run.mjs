// One backend under load: start its service, warm it up, scrape /metrics, apply the measured
// load, scrape again, stop the service (its logger closes the file), and read the file. The
// process and logger figures are differences between the two scrapes, as a Prometheus server
// would compute them with increase().
import { readFileSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { countLines, pageCacheResidency } from '@asyncdirect/bench/file-figures'
import { applyLoad } from './load.mjs'
import { scrape } from './prometheus-text.mjs'
import { startService } from './service-process.mjs'

const PAGE = 4096
/** The service's event-loop delay histogram samples with a 1 ms timer; the delay is the excess. */
const LAG_TIMER_S = 0.001

/** The kernel's page cache, in bytes (the machine's, so other work on it shows too). */
function systemPageCache() {
  const kB = /^Cached:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'))
  return kB ? Number(kB[1]) * 1024 : null
}

const residentBytes = (path) => (pageCacheResidency(path)?.residentPages ?? 0) * PAGE

/** The logger's own statistics between two scrapes; null where /metrics has none. */
function loggerFigures(before, after) {
  const delta = (name) => after.value(`asyncdirect_${name}`) - before.value(`asyncdirect_${name}`)
  if (after.value('asyncdirect_log_calls_total') === null) return null
  const calls = delta('log_calls_total')
  const flushes = delta('flushes_total')
  return {
    logCalls: calls,
    dropped: delta('dropped_entries_total'),
    dropRatePct: calls > 0 ? (delta('dropped_entries_total') / calls) * 100 : 0,
    flushes,
    flushErrors: delta('flush_errors_total'),
    avgFlushMs: flushes > 0 ? (delta('flush_duration_seconds_total') / flushes) * 1000 : null,
    maxFlushMs: after.value('asyncdirect_flush_duration_max_seconds') * 1000,
    writtenMB: delta('written_bytes_total') / 1e6,
    directIO: after.value('asyncdirect_direct_io') === 1,
  }
}

/**
 * @param {{ backend: string, dir: string, rate: number, seconds: number, warmupSeconds: number, connections: number }} options
 */
export async function runBackend({ backend, dir, rate, seconds, warmupSeconds, connections }) {
  const path = join(dir, `${backend}.log`)
  rmSync(path, { force: true })
  const service = await startService(backend, path)
  const metricsUrl = `http://127.0.0.1:${service.port}/metrics`
  try {
    const port = service.port
    const warmup =
      warmupSeconds > 0 ? await applyLoad({ port, rate, seconds: warmupSeconds, connections }) : null
    const cacheBefore = systemPageCache()
    const fileCacheBefore = residentBytes(path)
    const before = await scrape(metricsUrl)
    const load = await applyLoad({ port, rate, seconds, connections })
    const after = await scrape(metricsUrl)
    const fileCacheAfter = residentBytes(path)
    const cacheAfter = systemPageCache()
    const cpu = (name) => after.value(name) - before.value(name)
    const serviceProcess = {
      cpuUserPct: (cpu('process_cpu_user_seconds_total') / seconds) * 100,
      cpuSystemPct: (cpu('process_cpu_system_seconds_total') / seconds) * 100,
      rssMB: after.value('process_resident_memory_bytes') / 2 ** 20,
      peakRssMB: after.value('process_peak_resident_memory_bytes') / 2 ** 20,
      loopDelayP99Ms: Math.max(0, after.value('nodejs_eventloop_lag_p99_seconds') - LAG_TIMER_S) * 1000,
      loopDelayMaxMs: Math.max(0, after.value('nodejs_eventloop_lag_max_seconds') - LAG_TIMER_S) * 1000,
    }
    await service.stop()
    const pageCache = {
      fileGrowthMB: (fileCacheAfter - fileCacheBefore) / 2 ** 20,
      systemGrowthMB: cacheBefore === null ? null : (cacheAfter - cacheBefore) / 2 ** 20,
      fileResidentPctAtEnd: pageCacheResidency(path)?.pct ?? null,
    }
    const file = { bytes: statSync(path).size, lines: countLines(path) }
    rmSync(path, { force: true })
    return {
      backend,
      // The file holds two lines per request of the warm-up and of the load, plus the service's own.
      warmupRequests: warmup?.requests ?? 0,
      load,
      process: serviceProcess,
      pageCache,
      logger: loggerFigures(before, after),
      file,
    }
  } catch (err) {
    await service.stop().catch(() => {})
    throw err
  }
}

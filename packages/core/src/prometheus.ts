/**
 * `@asyncdirect/core/prometheus`: a logger's statistics as Prometheus metrics, through prom-client
 * (an optional peer dependency: only this entry point loads it).
 *
 * ```ts
 * import { Registry, collectDefaultMetrics } from 'prom-client'
 * import { collectLoggerMetrics } from '@asyncdirect/core/prometheus'
 *
 * const registry = new Registry()
 * collectDefaultMetrics({ register: registry })
 * collectLoggerMetrics(logger, { registry })   // a Logger, a winston transport, a pino destination
 * // GET /metrics: res.end(await registry.metrics())
 * ```
 *
 * Metrics are read from the logger's shared control block when Prometheus scrapes (prom-client's
 * `collect`), never on the logging path: the hot path stays free of anything but its own counters.
 *
 * @packageDocumentation
 */
import { Counter, Gauge, register as globalRegistry, type Registry } from 'prom-client'
import { StateError } from './errors.js'
import type { Logger } from './logger/logger.js'
import type { FlushMetrics, ShardStats, StatsSnapshot } from './shared/stats.js'

/**
 * Anything that holds a core logger: the winston `AsyncDirectTransport` and the pino
 * `AsyncDirectDestination` both have a `logger` property. It is read at every scrape, so after a
 * pino destination's `reopen()` the metrics follow the new logger (its counters start again from
 * zero, which Prometheus' `rate()` and `increase()` treat as a counter reset).
 */
export interface LoggerHolder {
  readonly logger: Logger
}

/** What {@link collectLoggerMetrics} watches: a core {@link Logger} or something that holds one. */
export type LoggerSource = Logger | LoggerHolder

/** Options of {@link collectLoggerMetrics}. */
export interface LoggerMetricsOptions {
  /** The registry the metrics are registered in. Default: prom-client's global `register`. */
  registry?: Registry
  /** Prefix of every metric name. Default `'asyncdirect_'`. */
  prefix?: string
  /**
   * Value of the `file` label that tells one logger's series from another's. Default: the
   * logger's path when collection starts. Keep it stable: a new value starts new series.
   */
  file?: string
}

/** One logger's figures at one scrape. */
interface Reading {
  readonly stats: StatsSnapshot
  readonly flush: FlushMetrics
  readonly shards: ShardStats[]
}

interface MetricDefinition {
  readonly name: string
  readonly help: string
  readonly value: (r: Reading) => number
}

const ms = (x: number) => x / 1000

/** Cumulative figures: Prometheus counters, named `..._total`. */
const COUNTERS: readonly MetricDefinition[] = [
  {
    name: 'log_calls_total',
    help: 'Log calls: entries accepted into the buffers, written as blocks of their own, or dropped.',
    value: (r) => r.stats.totalLogs,
  },
  {
    name: 'dropped_entries_total',
    help: "Entries not accepted: logged after close, or both buffer sets full under backpressure 'drop'.",
    value: (r) => r.stats.droppedLogs,
  },
  {
    name: 'written_entries_total',
    help: 'Entries written to the file.',
    value: (r) => r.stats.entriesWritten,
  },
  {
    name: 'written_bytes_total',
    help: 'Bytes written to the file, block headers and padding included.',
    value: (r) => r.stats.bytesWritten,
  },
  {
    name: 'flushes_total',
    help: 'Successful flushes (one per buffer set written).',
    value: (r) => r.stats.flushes,
  },
  {
    name: 'flush_errors_total',
    help: 'Failed writes; their data is kept and written again.',
    value: (r) => r.stats.flushErrors,
  },
  {
    name: 'set_swaps_total',
    help: 'Times the active buffer set was swapped for the other.',
    value: (r) => r.stats.setSwaps,
  },
  {
    name: 'abandoned_entries_total',
    help: 'Entries whose writer reserved space but never finished copying (a stalled or dead thread).',
    value: (r) => r.stats.abandonedEntries,
  },
  {
    name: 'oversize_entries_total',
    help: 'Entries larger than a shard, written by the calling thread as blocks of their own.',
    value: (r) => r.stats.oversizeEntries,
  },
  {
    name: 'rotations_total',
    help: 'Moves to another file: rotations by size or interval, and reopen() calls.',
    value: (r) => r.stats.rotations,
  },
  {
    name: 'rotation_errors_total',
    help: 'Rotations, reopens, symlink updates and retention deletions that failed (logging went on in the current file).',
    value: (r) => r.stats.rotationErrors,
  },
  {
    name: 'flush_duration_seconds_total',
    help: 'Time spent flushing; divided by flushes_total, the average flush time.',
    value: (r) => ms(r.flush.totalFlushDuration),
  },
]

/** Figures that go up and down, or only up until a restart (the maximum). */
const GAUGES: readonly MetricDefinition[] = [
  {
    name: 'flush_duration_max_seconds',
    help: 'Longest flush since the logger opened.',
    value: (r) => ms(r.flush.maxFlushDuration),
  },
  {
    name: 'last_flush_duration_seconds',
    help: 'Duration of the most recent flush.',
    value: (r) => ms(r.flush.lastFlushDuration),
  },
  {
    name: 'last_flush_bytes',
    help: 'Bytes written by the most recent flush.',
    value: (r) => r.flush.lastFlushBytes,
  },
  {
    name: 'last_flush_timestamp_seconds',
    help: 'When the most recent flush ended, in seconds since the epoch; 0 before the first.',
    value: (r) => ms(r.flush.lastFlushAt),
  },
  {
    name: 'direct_io',
    help: '1 while the file is written with O_DIRECT, 0 after a fallback to buffered I/O.',
    value: (r) => (r.stats.directIO ? 1 : 0),
  },
  {
    name: 'shard_capacity_bytes',
    help: 'Bytes of one shard: what one writer thread fills between two set swaps.',
    value: (r) => r.shards[0]?.capacity ?? 0,
  },
  {
    name: 'buffer_utilization_ratio',
    help: 'Fill level of the fullest shard of the active buffer set, from 0 to 1.',
    value: (r) => r.shards.reduce((max, s) => Math.max(max, s.utilizationPct / 100), 0),
  },
]

const LABELS = ['file'] as const

function loggerOf(source: LoggerSource): Logger {
  // Adapters also have some of a logger's methods (the winston transport's getStatsSnapshot), so
  // the holder test comes first.
  return 'logger' in source ? source.logger : source
}

function read(source: LoggerSource): Reading {
  const logger = loggerOf(source)
  return { stats: logger.getStatsSnapshot(), flush: logger.getFlushMetrics(), shards: logger.getShardStats() }
}

/**
 * The metrics of one registry and prefix, shared by every logger watched there (prom-client
 * allows one metric per name in a registry): each scrape sets one series per watched file.
 */
class LoggerMetricSet {
  readonly sources = new Map<string, LoggerSource>()
  readonly first: Counter<'file'>

  constructor(registry: Registry, prefix: string) {
    const sources = this.sources
    const counters = COUNTERS.map(
      (d) =>
        new Counter({
          name: prefix + d.name,
          help: d.help,
          labelNames: LABELS,
          registers: [registry],
          // A counter cannot be set: start from nothing at each scrape and add the logger's own
          // cumulative figure, so series of loggers no longer watched disappear too.
          collect(this: Counter<'file'>) {
            this.reset()
            for (const [file, source] of sources) this.inc({ file }, d.value(read(source)))
          },
        }),
    )
    for (const d of GAUGES) {
      new Gauge({
        name: prefix + d.name,
        help: d.help,
        labelNames: LABELS,
        registers: [registry],
        collect(this: Gauge<'file'>) {
          this.reset()
          for (const [file, source] of sources) this.set({ file }, d.value(read(source)))
        },
      })
    }
    this.first = counters[0]!
  }

  /** False once someone cleared the registry (or removed our metrics): build a new set then. */
  registeredIn(registry: Registry, prefix: string): boolean {
    return registry.getSingleMetric(prefix + COUNTERS[0]!.name) === this.first
  }
}

const sets = new WeakMap<Registry, Map<string, LoggerMetricSet>>()

function metricSetFor(registry: Registry, prefix: string): LoggerMetricSet {
  let byPrefix = sets.get(registry)
  if (!byPrefix) {
    byPrefix = new Map()
    sets.set(registry, byPrefix)
  }
  let set = byPrefix.get(prefix)
  if (!set?.registeredIn(registry, prefix)) {
    set = new LoggerMetricSet(registry, prefix)
    byPrefix.set(prefix, set)
  }
  return set
}

/**
 * Exposes a logger's statistics as Prometheus metrics in a prom-client registry, one series per
 * file (label `file`). Counters (`_total`): log calls, dropped, written entries and bytes,
 * flushes, flush errors, set swaps, abandoned and oversize entries, and the time spent flushing.
 * Gauges: the longest, the last flush's duration and bytes, the last flush's time, whether
 * O_DIRECT is in use, a shard's size and the fullest shard's fill level. Several loggers may
 * share a registry.
 *
 * The figures are read when the registry is scraped; nothing is added to the logging path.
 *
 * @param source - a core {@link Logger}, or an adapter that holds one (`logger` property).
 * @param options - registry, name prefix and `file` label.
 * @returns a function that stops collecting this logger: its series disappear from later scrapes.
 * @throws {Error} when the registry already has a logger with the same `file` label under the
 * same prefix (its series would be indistinguishable), or a metric of the same name that is not
 * this module's.
 */
export function collectLoggerMetrics(source: LoggerSource, options: LoggerMetricsOptions = {}): () => void {
  const registry = options.registry ?? globalRegistry
  const prefix = options.prefix ?? 'asyncdirect_'
  const file = options.file ?? loggerOf(source).path
  const set = metricSetFor(registry, prefix)
  if (set.sources.has(file)) {
    throw new StateError(
      'ASYNCDIRECT_METRICS_COLLECTED',
      `asyncdirect: metrics for file="${file}" are already collected in this registry`,
    )
  }
  set.sources.set(file, source)
  return () => {
    if (set.sources.get(file) === source) set.sources.delete(file)
  }
}

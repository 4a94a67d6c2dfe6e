import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import type { Logger } from '../dist/index.js'
import { collectLoggerMetrics } from '../dist/prometheus.js'
import { open, tempPath } from './support/temp-loggers.js'

// Keeps the interval flush and early writes out of tests that count flushes.
const NEVER = 3_600_000

/** The value of one series, through prom-client's own exposition (what a scrape returns). */
async function sampleOf(registry: Registry, name: string, file: string): Promise<number | undefined> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)
  return metric?.values.find((v) => v.labels.file === file)?.value
}

describe('collectLoggerMetrics', () => {
  it("exposes a logger's statistics as counters and gauges labelled with its file", async () => {
    const path = tempPath()
    const logger = await open({ path, flushInterval: NEVER, writeDelay: NEVER })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    for (let i = 0; i < 250; i++) logger.log(`entry ${i}`)
    await logger.flush()

    const stats = logger.getStatsSnapshot()
    const flush = logger.getFlushMetrics()
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(250)
    expect(await sampleOf(registry, 'asyncdirect_written_entries_total', path)).toBe(250)
    expect(await sampleOf(registry, 'asyncdirect_dropped_entries_total', path)).toBe(0)
    expect(await sampleOf(registry, 'asyncdirect_written_bytes_total', path)).toBe(stats.bytesWritten)
    expect(await sampleOf(registry, 'asyncdirect_flushes_total', path)).toBe(stats.flushes)
    expect(await sampleOf(registry, 'asyncdirect_flush_errors_total', path)).toBe(0)
    expect(await sampleOf(registry, 'asyncdirect_flush_duration_seconds_total', path)).toBeCloseTo(
      flush.totalFlushDuration / 1000,
      9,
    )
    expect(await sampleOf(registry, 'asyncdirect_flush_duration_max_seconds', path)).toBeCloseTo(
      flush.maxFlushDuration / 1000,
      9,
    )
    expect(await sampleOf(registry, 'asyncdirect_last_flush_timestamp_seconds', path)).toBeCloseTo(
      flush.lastFlushAt / 1000,
      6,
    )
    expect(await sampleOf(registry, 'asyncdirect_direct_io', path)).toBe(stats.directIO ? 1 : 0)
    expect(await sampleOf(registry, 'asyncdirect_buffer_utilization_ratio', path)).toBe(0)
    expect(await sampleOf(registry, 'asyncdirect_shard_capacity_bytes', path)).toBe(
      logger.getShardStats()[0]!.capacity,
    )

    const types = Object.fromEntries((await registry.getMetricsAsJSON()).map((m) => [m.name, m.type]))
    expect(types).toMatchObject({
      asyncdirect_log_calls_total: 'counter',
      asyncdirect_flush_duration_max_seconds: 'gauge',
    })
  })

  it('writes the Prometheus text format a scrape expects', async () => {
    const path = tempPath()
    const logger = await open({ path, flushInterval: NEVER, writeDelay: NEVER })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    logger.log('one')
    logger.log('two')
    const text = await registry.metrics()
    expect(text).toContain('# TYPE asyncdirect_log_calls_total counter')
    expect(text).toContain(`asyncdirect_log_calls_total{file="${path}"} 2`)
    expect(text).toMatch(/# HELP asyncdirect_dropped_entries_total \S/)
  })

  it('reads the figures at each scrape: counters follow the logger, drops after close included', async () => {
    const path = tempPath()
    const logger = await open({ path, flushInterval: NEVER, writeDelay: NEVER })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    logger.log('before')
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(1)
    await logger.close()
    expect(logger.log('after close')).toBe(false)
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(2)
    expect(await sampleOf(registry, 'asyncdirect_dropped_entries_total', path)).toBe(1)
    expect(await sampleOf(registry, 'asyncdirect_written_entries_total', path)).toBe(1)
  })

  it('shows how full the active set is', async () => {
    const path = tempPath()
    const logger = await open({
      path,
      bufferSize: 64 * 1024,
      numShards: 1,
      flushInterval: NEVER,
      writeDelay: NEVER,
    })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    logger.log('x'.repeat(16 * 1024))
    const ratio = await sampleOf(registry, 'asyncdirect_buffer_utilization_ratio', path)
    expect(ratio).toBeCloseTo(logger.getShardStats()[0]!.utilizationPct / 100, 9)
    expect(ratio).toBeGreaterThan(0.25)
    expect(ratio).toBeLessThan(0.3)
  })

  it('keeps several loggers apart in one registry, and stops collecting one on request', async () => {
    const a = tempPath('a.log')
    const b = tempPath('b.log')
    const first = await open({ path: a, flushInterval: NEVER, writeDelay: NEVER })
    const second = await open({ path: b, flushInterval: NEVER, writeDelay: NEVER })
    const registry = new Registry()
    collectLoggerMetrics(first, { registry })
    const stopSecond = collectLoggerMetrics(second, { registry })
    first.log('1')
    for (let i = 0; i < 3; i++) second.log('2')
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', a)).toBe(1)
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', b)).toBe(3)

    stopSecond()
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', a)).toBe(1)
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', b)).toBeUndefined()
    expect(await sampleOf(registry, 'asyncdirect_direct_io', b)).toBeUndefined()
  })

  it('refuses a second logger under the same file label', async () => {
    const path = tempPath()
    const logger = await open({ path })
    const other = await open({ path: tempPath('other.log') })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry, file: 'app' })
    expect(() => collectLoggerMetrics(other, { registry, file: 'app' })).toThrow(
      /file="app".*already collected/,
    )
    expect(() => collectLoggerMetrics(other, { registry, file: 'app' })).toThrow(
      expect.objectContaining({ code: 'ASYNCDIRECT_METRICS_COLLECTED' }),
    )
    // Another prefix is another set of metrics: no clash.
    expect(() => collectLoggerMetrics(other, { registry, file: 'app', prefix: 'audit_' })).not.toThrow()
  })

  it('takes a custom prefix and file label', async () => {
    const logger = await open({ path: tempPath() })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry, prefix: 'svc_log_', file: 'access' })
    logger.log('x')
    expect(await sampleOf(registry, 'svc_log_log_calls_total', 'access')).toBe(1)
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', 'access')).toBeUndefined()
  })

  it('follows the logger an adapter holds now (a pino destination after reopen)', async () => {
    const path = tempPath()
    const before = await open({ path: tempPath('before.log') })
    const after = await open({ path: tempPath('after.log') })
    const holder: { logger: Logger } = { logger: before }
    const registry = new Registry()
    collectLoggerMetrics(holder, { registry, file: path })
    before.log('a')
    before.log('b')
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(2)
    holder.logger = after
    after.log('c')
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(1)
  })

  it("registers again after the registry was cleared (prom-client's clear())", async () => {
    const path = tempPath()
    const logger = await open({ path })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    registry.clear()
    expect(await registry.getMetricsAsJSON()).toEqual([])
    collectLoggerMetrics(logger, { registry })
    logger.log('x')
    expect(await sampleOf(registry, 'asyncdirect_log_calls_total', path)).toBe(1)
  })

  it('counts rotations from the logger it collects', async () => {
    const path = tempPath()
    const logger = await open({
      path,
      format: 'lines',
      bufferSize: 64 * 1024,
      numShards: 2,
      rotate: { size: 8192 },
    })
    const registry = new Registry()
    collectLoggerMetrics(logger, { registry })
    for (let i = 0; i < 500; i++) logger.log(`{"i":${i},"pad":"${'p'.repeat(100)}"}`)
    await logger.flush()
    const { rotations } = logger.getStatsSnapshot()
    expect(rotations).toBeGreaterThan(3)
    expect(await sampleOf(registry, 'asyncdirect_rotations_total', logger.path)).toBe(rotations)
    expect(await sampleOf(registry, 'asyncdirect_rotation_errors_total', logger.path)).toBe(0)
  })
})

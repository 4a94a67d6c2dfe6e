// What a scenario costs its process, recorded from the first log call until the sink is done:
// CPU time (user and system, every thread of the process: flusher and transport workers
// included), the event loop's busy time, its delay (p99 and max: how late a 1 ms timer fired,
// beyond its millisecond; from warm() on, when called), garbage collections, minor page faults
// (first touches of fresh memory: the kernel zero-fills a page at each) and the process's peak
// resident memory.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'

/** The sampling timer's period: the histogram holds whole periods, the delay is what exceeds it. */
const RESOLUTION_MS = 1

/** How late the timer fired (ms), from one of the histogram's intervals (ns); 0 without samples. */
const lateness = (intervalNs) =>
  Number.isFinite(intervalNs) ? Math.max(0, intervalNs / 1e6 - RESOLUTION_MS) : 0

/** Starts recording; `stop()` returns the figures. */
export function recordProcessFigures() {
  let gcEvents = 0
  const gc = new PerformanceObserver((list) => {
    gcEvents += list.getEntries().length
  })
  gc.observe({ entryTypes: ['gc'] })
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  delay.enable()
  const cpu = process.cpuUsage()
  const faults = process.resourceUsage().minorPageFault
  const loop = performance.eventLoopUtilization()
  const start = performance.now()
  return {
    /** Forgets the delays so far: from now on the process counts as warm. */
    warm() {
      delay.reset()
    },
    async stop() {
      const ms = performance.now() - start
      const used = process.cpuUsage(cpu)
      const busy = performance.eventLoopUtilization(loop)
      delay.disable()
      // GC entries reach the observer on a later turn of the event loop.
      await new Promise(setImmediate)
      gc.disconnect()
      return {
        ms,
        cpuUserMs: used.user / 1000,
        cpuSystemMs: used.system / 1000,
        mainThreadBusyMs: busy.active,
        loopDelayP99Ms: lateness(delay.percentile(99)),
        loopDelayMaxMs: lateness(delay.max),
        gcEvents,
        minorFaults: process.resourceUsage().minorPageFault - faults,
        peakRssMB: process.resourceUsage().maxRSS / 1024,
      }
    },
  }
}

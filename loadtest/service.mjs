// One service of the load test, in a process of its own so that its CPU and memory are its own:
// fastify + pino or express + winston, logging through one backend, serving /metrics with
// prom-client (the process's default metrics and, where the logger is in this thread, the
// logger's own statistics through @asyncdirect/core/prometheus).
//
//   node service.mjs <backend> <log file>
//
// Prints {"port": N} once it listens; SIGTERM closes the server, then the logger (every line
// written), then exits.
import { collectLoggerMetrics } from '@asyncdirect/core/prometheus'
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { BACKENDS } from './backends.mjs'
import { buildExpressApp } from './express-app.mjs'
import { buildFastifyApp } from './fastify-app.mjs'
import { openPinoBackend } from './pino-backends.mjs'
import { openWinstonBackend } from './winston-backends.mjs'

const [backend, path] = process.argv.slice(2)
if (!BACKENDS[backend] || !path) {
  console.error(`usage: service.mjs <${Object.keys(BACKENDS).join('|')}> <log file>`)
  process.exit(2)
}

const registry = new Registry()
// A 1 ms timer for the event-loop delay histogram (prom-client's default is 10 ms).
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1 })
new Gauge({
  name: 'process_peak_resident_memory_bytes',
  help: 'Peak resident memory of the process since it started.',
  registers: [registry],
  collect() {
    this.set(process.resourceUsage().maxRSS * 1024)
  },
})

let app
let closeLogger
if (BACKENDS[backend].framework === 'fastify') {
  const { stream, metricsSource, close } = await openPinoBackend(backend, path)
  if (metricsSource) collectLoggerMetrics(metricsSource, { registry })
  app = buildFastifyApp({ stream, registry })
  closeLogger = close
} else {
  const { logger, metricsSource, close } = await openWinstonBackend(backend, path)
  if (metricsSource) collectLoggerMetrics(metricsSource, { registry })
  app = buildExpressApp({ logger, registry })
  closeLogger = close
}

process.once('SIGTERM', async () => {
  await app.close()
  await closeLogger()
  process.exit(0)
})
console.log(JSON.stringify({ port: await app.listen() }))

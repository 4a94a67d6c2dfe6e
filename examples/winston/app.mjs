// A winston app logging through AsyncDirectTransport: it handles "requests" until SIGTERM or
// Ctrl-C (or for `seconds`, default 3; 0 runs until signalled), then shuts down cleanly:
// logger.end(), wait for 'finish' (every entry is then durable in the file), print the
// statistics, and let the process end by itself.
//
//   node examples/winston/app.mjs [file] [seconds]
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncDirectTransport } from '@asyncdirect/winston'
import winston from 'winston'

const filename = process.argv[2] || join(mkdtempSync(join(tmpdir(), 'asyncdirect-winston-')), 'app.log')
const seconds = Number(process.argv[3] ?? 3)

// The one-line switch: this was `new winston.transports.File({ filename })`.
const file = new AsyncDirectTransport({ filename, flushInterval: 1000 })

const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
  defaultMeta: { service: 'example' },
  transports: [file, new winston.transports.Console({ level: 'warn', format: winston.format.simple() })],
})
// A failed disk write is kept and retried; winston reports it as 'warn' on the logger.
logger.on('warn', (problem) => console.error('log file problem:', problem.message ?? problem))
logger.on('error', (err) => console.error('log file error:', err.message))

let served = 0
const timer = setInterval(() => {
  for (let i = 0; i < 50; i++) {
    const req = logger.child({ requestId: `r-${served}` })
    req.info('request handled', {
      method: 'GET',
      url: `/items/${served % 100}`,
      status: 200,
      ms: served % 17,
    })
    served++
  }
}, 5)

let stopping = false
async function shutdown(reason) {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  clearTimeout(deadline)
  logger.warn('shutting down', { reason, served })
  // 'finish' comes once every transport has finished; for AsyncDirectTransport that means every
  // entry is durable in the file.
  const finished = new Promise((resolve) => logger.once('finish', resolve))
  logger.end()
  await finished
  const stats = file.getStatsSnapshot()
  console.log(
    `done: ${stats.entriesWritten} entries written to ${file.filename} ` +
      `(logged ${stats.totalLogs}, dropped ${stats.droppedLogs}, ${stats.flushes} writes, directIO ${stats.directIO})`,
  )
  // Nothing is left to keep the event loop alive: the process ends with status 0.
}

// Without a handler SIGTERM kills the process at once (no 'exit' event, nothing flushed).
process.once('SIGTERM', () => shutdown('SIGTERM'))
process.once('SIGINT', () => shutdown('SIGINT'))
const deadline = seconds > 0 ? setTimeout(() => shutdown('timeout'), seconds * 1000) : undefined

console.log(`pid ${process.pid} logging to ${filename}; stop with: kill ${process.pid} (or Ctrl-C)`)

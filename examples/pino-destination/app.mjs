// pino with asyncdirect as an in-process destination: pino's line goes straight from its string
// into asyncdirect's shards (no worker hop, no syscall); a flusher thread writes the file with
// O_DIRECT. Also: pino.multistream with levels, flush, log rotation with reopen(), statistics.
//
//   node app.mjs [directory]
import { once } from 'node:events'
import { mkdtempSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { destination } from '@asyncdirect/pino'
import pino from 'pino'

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'asyncdirect-pino-destination-'))
const appLog = join(dir, 'app.log')
const errorLog = join(dir, 'error.log')

// Any option of the core logger goes next to `dest`; the format is NDJSON ('lines').
const app = destination({ dest: appLog, bufferSize: 8 << 20, mkdir: true })
const errors = destination({ dest: errorLog, bufferSize: 1 << 20, mkdir: true })
for (const d of [app, errors]) d.on('error', (err) => console.error('log file:', err.message))

const logger = pino(
  { level: 'debug' },
  pino.multistream([
    { level: 'debug', stream: app },
    { level: 'error', stream: errors },
  ]),
)

// The files are open when destination() returns: no need to wait for 'ready' (the flusher runs).
logger.info('service starting')
const orders = logger.child({ module: 'orders' })
for (let orderId = 0; orderId < 20_000; orderId++) orders.debug({ orderId }, 'order placed')
orders.error({ err: new Error('payment provider timeout'), orderId: 42 }, 'order failed')

// Log rotation: logrotate renames the file, then the app reopens it (often on SIGHUP).
const reopen = () => app.reopen()
process.on('SIGHUP', reopen)
renameSync(appLog, `${appLog}.1`)
app.reopen()
logger.info('after rotation')

// flush(cb) on a single destination is pino's logger.flush(cb): durable when it calls back.
await new Promise((resolve, reject) => app.flush((err) => (err ? reject(err) : resolve())))
const stats = app.logger.getStatsSnapshot()
console.log(`${appLog}: ${stats.entriesWritten} lines written, directIO ${stats.directIO}`)

// Shutdown: 'close' once everything is durable. (Without end(), the core's exit hook writes what
// is buffered when the process exits, however it exits.)
await Promise.all(
  [app, errors].map((d) => {
    const closed = once(d, 'close')
    d.end()
    return closed
  }),
)
process.off('SIGHUP', reopen)

const rotated = readFileSync(`${appLog}.1`, 'utf8').trimEnd().split('\n')
console.log(`${appLog}.1: ${rotated.length} lines (before rotation)`)
console.log(`${appLog}: ${readFileSync(appLog, 'utf8').trimEnd()}`)
console.log(`${errorLog}: ${readFileSync(errorLog, 'utf8').trimEnd().slice(0, 120)}...`)
console.log(`read them with: npx pino-pretty < ${appLog}.1`)

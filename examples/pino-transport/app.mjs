// pino with asyncdirect as a transport target: pino serializes on the main thread, its worker
// thread hands each line to asyncdirect, which writes the file with O_DIRECT. Errors also go to a
// second file, through pino's `targets` with levels.
//
//   node app.mjs [directory]
import { once } from 'node:events'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'

const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'asyncdirect-pino-transport-'))
const appLog = join(dir, 'app.log')
const errorLog = join(dir, 'error.log')

const transport = pino.transport({
  targets: [
    // Any option of the core logger goes next to `destination`; the format is NDJSON ('lines').
    {
      target: '@asyncdirect/pino',
      level: 'debug',
      options: { destination: appLog, bufferSize: 8 << 20, mkdir: true },
    },
    {
      target: '@asyncdirect/pino',
      level: 'error',
      options: { destination: errorLog, bufferSize: 1 << 20, mkdir: true },
    },
  ],
})
transport.on('error', (err) => console.error('transport failed:', err.message))
const logger = pino({ level: 'debug' }, transport)

logger.info('service starting')
const orders = logger.child({ module: 'orders' })
for (let orderId = 0; orderId < 20_000; orderId++) orders.debug({ orderId }, 'order placed')
orders.error({ err: new Error('payment provider timeout'), orderId: 42 }, 'order failed')

// Shutdown: 'close' comes once every line is durable and the files are closed. (Without it, pino
// ends the transport as the process exits, and nothing is lost either.)
await closeTransport(transport)

const lines = readFileSync(appLog, 'utf8').trimEnd().split('\n')
console.log(`${appLog}: ${lines.length} lines`)
console.log(`  first: ${lines[0]}`)
console.log(`${errorLog}:\n  ${readFileSync(errorLog, 'utf8').trimEnd().slice(0, 160)}...`)
console.log(`read them with: npx pino-pretty < ${appLog}`)

async function closeTransport(transport) {
  // pino unref()s its worker once it is ready, so that logging never holds the process open:
  // wait for that, then hold the process open until the files are closed.
  if (!transport.ready) await once(transport, 'ready')
  transport.ref()
  const closed = once(transport, 'close')
  transport.end()
  await closed
}

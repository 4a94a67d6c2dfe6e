// One writer thread of thread-scenario.mjs: opens its way to the file, says it is ready, waits for
// the go signal, logs its share in one tight loop, finishes, and reports the time it spent in log
// calls.
//
// - core-logBytes: the core's attach(handle) and logBytes, into the main thread's logger.
// - pino-asyncdirect: pino in this thread, its lines into the main thread's logger through the
//   attached writer (one core entry per line, as the pino destination does in-process).
// - pino-destination: pino with a pino.destination() of its own (sync, O_APPEND) on the shared
//   file: the usual way to log from worker threads without a transport.
import { once } from 'node:events'
import { parentPort, workerData } from 'node:worker_threads'
import { attach } from '@asyncdirect/core'
import { line } from './line.mjs'
import { PINO_FIELDS, PINO_MESSAGE, PINO_OPTIONS } from './pino-entry.mjs'

// pino only where it is used: loading it leaves garbage that a core-only thread would otherwise
// collect in the middle of its timed loop.
const loadPino = async () => (await import('pino')).default

const { kind, handle, warmHandle, path, warmPath, lines } = workerData
/** Lines each thread logs into a scratch file before the go signal (see thread-scenario.mjs). */
const WARM_UP_LINES = 20_000

async function open(handle, path) {
  if (kind === 'pino-destination') {
    const pino = await loadPino()
    const dest = pino.destination({ dest: path, sync: true })
    const logger = pino(PINO_OPTIONS, dest)
    return {
      logOne: () => logger.info(PINO_FIELDS, PINO_MESSAGE),
      finish: async () => {
        const closed = once(dest, 'close')
        dest.end()
        await closed
      },
    }
  }
  const writer = await attach(handle)
  const finish = async () => writer.detach()
  if (kind === 'core-logBytes') {
    const bytes = line()
    return { logOne: () => writer.logBytes(bytes), finish }
  }
  const pino = await loadPino()
  const logger = pino(PINO_OPTIONS, { write: (s) => writer.log(s) })
  return { logOne: () => logger.info(PINO_FIELDS, PINO_MESSAGE), finish }
}

const warm = await open(warmHandle, warmPath)
for (let i = 0; i < WARM_UP_LINES; i++) warm.logOne(i)
await warm.finish()
const { logOne, finish } = await open(handle, path)
parentPort.once('message', async () => {
  const start = performance.now()
  for (let i = 0; i < lines; i++) logOne(i)
  const callMs = performance.now() - start
  await finish()
  parentPort.postMessage({ callMs })
})
parentPort.postMessage('ready')

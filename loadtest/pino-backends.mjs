// The pino side of the backends: the stream a fastify service hands pino, what /metrics can
// watch, and how to close it so that every line is written before the process exits.
import { once } from 'node:events'
import { destination } from '@asyncdirect/pino'
import pino from 'pino'

async function endAndClose(stream) {
  const closed = once(stream, 'close')
  stream.end()
  await closed
}

async function transport(target, path) {
  const stream = pino.transport({ target, options: { destination: path } })
  await once(stream, 'ready')
  return {
    stream,
    close: async () => {
      // pino unrefs a transport's worker once it is ready: hold the process open until it closes.
      stream.ref()
      await endAndClose(stream)
    },
  }
}

const opens = {
  // pino's default file destination: sonic-boom with its defaults.
  'pino-destination': async (path) => {
    const stream = pino.destination(path)
    await once(stream, 'ready')
    return { stream, close: () => endAndClose(stream) }
  },
  'pino-file-transport': (path) => transport('pino/file', path),
  'asyncdirect-destination': async (path) => {
    const stream = destination({ dest: path })
    await once(stream, 'ready')
    // The destination holds the core logger: the Prometheus collector reads it at each scrape.
    return { stream, metricsSource: stream, close: () => endAndClose(stream) }
  },
  // The core logger lives in pino's worker thread, out of the main thread's reach: no metrics.
  'asyncdirect-transport': (path) => transport('@asyncdirect/pino', path),
}

/** Opens backend `name` on `path`: `{ stream, metricsSource?, close() }`. */
export function openPinoBackend(name, path) {
  return opens[name](path)
}

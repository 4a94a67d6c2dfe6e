// pino's ways to a file, and pino into a stream that does nothing (the serialization floor: what
// pino costs before any I/O). Done means the sink's 'close': for asyncdirect every line durable,
// for pino's own sinks every byte handed to the kernel.
import { once } from 'node:events'
import { destination } from '@asyncdirect/pino'
import pino from 'pino'
import { PINO_FIELDS, PINO_MESSAGE, PINO_OPTIONS } from '../pino-entry.mjs'

async function endAndClose(stream) {
  const closed = once(stream, 'close')
  stream.end()
  await closed
}

async function transport(target, path) {
  const stream = pino.transport({ target, options: { destination: path } })
  await once(stream, 'ready')
  // pino unrefs a transport's worker once it is ready: hold the process open until it closes.
  stream.ref()
  return { stream, done: () => endAndClose(stream) }
}

/** A sink from a function that opens pino's stream: each line is one `logger.info(fields, msg)`. */
function pinoSink(open) {
  return async (path) => {
    const { stream, done, stats } = await open(path)
    const logger = pino(PINO_OPTIONS, stream)
    return { logOne: () => logger.info(PINO_FIELDS, PINO_MESSAGE), done, stats }
  }
}

export const pinoSinks = {
  'pino-noop': pinoSink(() => {
    // Remembers one line's length (for MB/s) and nothing else.
    const floor = { bytes: 0 }
    const stream = {
      write(s) {
        if (floor.bytes === 0) floor.bytes = Buffer.byteLength(s)
      },
    }
    return { stream, done: async () => {}, stats: () => ({ lineBytes: floor.bytes }) }
  }),
  // The least a sink that keeps pino's bytes can cost: each turn's lines joined (a rope) and
  // encoded into memory once per 16 Ki characters, no I/O. Reading pino's string at all makes
  // V8 flatten it, which the no-op floor never does (packages/pino/src/line-batch.ts).
  'pino-memory-batched': pinoSink(() => {
    const ring = Buffer.allocUnsafe(64 << 20)
    let at = 0
    let text = ''
    let lineBytes = 0
    const encode = () => {
      if (at + 3 * text.length > ring.length) at = 0
      at += ring.utf8Write(text, at)
      text = ''
    }
    const stream = {
      write(s) {
        if (lineBytes === 0) lineBytes = Buffer.byteLength(s)
        text += s
        if (text.length >= 16384) encode()
      },
    }
    return { stream, done: async () => encode(), stats: () => ({ lineBytes }) }
  }),
  'pino-asyncdirect-destination': pinoSink(async (path) => {
    const stream = destination({ dest: path })
    await once(stream, 'ready')
    const stats = () => ({ ...stream.logger.getStatsSnapshot(), ...stream.logger.getFlushMetrics() })
    return { stream, done: () => endAndClose(stream), stats }
  }),
  'pino-asyncdirect-transport': pinoSink((path) => transport('@asyncdirect/pino', path)),
  'pino-destination-sync': pinoSink((path) => {
    const stream = pino.destination({ dest: path, sync: true })
    return { stream, done: () => endAndClose(stream) }
  }),
  'pino-destination-async': pinoSink(async (path) => {
    const stream = pino.destination({ dest: path, sync: false, minLength: 4096 })
    await once(stream, 'ready')
    return { stream, done: () => endAndClose(stream) }
  }),
  'pino-file-transport': pinoSink((path) => transport('pino/file', path)),
}

// winston with AsyncDirectTransport, with its own File transport, and with a transport that
// throws every entry away (winston's own cost, the floor under both). Done means the logger's
// 'finish': for AsyncDirectTransport every entry durable, for File handed to the kernel.
import { once } from 'node:events'
import { AsyncDirectTransport } from '@asyncdirect/winston'
import winston from 'winston'
import { entryMeta, MESSAGE_TEXT } from '../winston-entry.mjs'

const MESSAGE = Symbol.for('message')

class DiscardTransport extends winston.Transport {
  lineBytes = 0
  log(info, callback) {
    if (this.lineBytes === 0) this.lineBytes = Buffer.byteLength(info[MESSAGE]) + 1
    this.emit('logged', info)
    callback()
  }
}

function winstonSink(open) {
  return async (path) => {
    const { transport, stats } = await open(path)
    const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
    return {
      logOne: (i) => logger.info(MESSAGE_TEXT, entryMeta(i)),
      done: async () => {
        const finished = once(logger, 'finish')
        logger.end()
        await finished
      },
      stats,
    }
  }
}

export const winstonSinks = {
  'winston-noop': winstonSink(() => {
    const transport = new DiscardTransport()
    return { transport, stats: () => ({ lineBytes: transport.lineBytes }) }
  }),
  'winston-asyncdirect': winstonSink(async (filename) => {
    const transport = new AsyncDirectTransport({ filename })
    await transport.ready()
    return { transport, stats: () => ({ ...transport.stats, ...transport.getFlushMetrics() }) }
  }),
  'winston-file': winstonSink(async (filename) => {
    const transport = new winston.transports.File({ filename })
    await once(transport, 'open')
    return { transport }
  }),
}

// The winston side of the backends: the transport an express service's winston logger writes
// to, what /metrics can watch, and how to close it so that every entry is written first.
import { once } from 'node:events'
import { AsyncDirectTransport } from '@asyncdirect/winston'
import winston from 'winston'

const opens = {
  'winston-file': async (filename) => {
    const transport = new winston.transports.File({ filename })
    await once(transport, 'open')
    return { transport }
  },
  'winston-asyncdirect': async (filename) => {
    const transport = new AsyncDirectTransport({ filename })
    await transport.ready()
    // The transport holds the core logger: the Prometheus collector reads it at each scrape.
    return { transport, metricsSource: transport }
  },
}

/** A winston logger (debug level, JSON lines with a timestamp) writing through backend `name`. */
export async function openWinstonBackend(name, path) {
  const { transport, metricsSource } = await opens[name](path)
  const logger = winston.createLogger({
    level: 'debug',
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  })
  return {
    logger,
    metricsSource,
    close: async () => {
      const finished = once(logger, 'finish')
      logger.end()
      await finished
    },
  }
}

// The core engine as a sink: `logBytes` (one preallocated buffer, reused) and `log` (the same line
// as a string), in both file formats. Done means `close()` resolved: every entry durable.
import { createLogger } from '@asyncdirect/core'
import { line, lineString } from '../line.mjs'

function coreSink(api, format) {
  return async (path) => {
    const logger = await createLogger({ path, format })
    // As the other sinks wait for 'ready': the flusher thread's start is creation's cost, which
    // the creation scenario measures, not the first lines'.
    await logger.ready()
    const bytes = line()
    const text = lineString()
    return {
      logOne: api === 'logBytes' ? () => logger.logBytes(bytes) : () => logger.log(text),
      done: () => logger.close(),
      stats: () => ({ ...logger.getStatsSnapshot(), ...logger.getFlushMetrics() }),
    }
  }
}

export const coreSinks = {
  'core-logBytes-framed': coreSink('logBytes', 'framed'),
  'core-logBytes-lines': coreSink('logBytes', 'lines'),
  'core-log-framed': coreSink('log', 'framed'),
  'core-log-lines': coreSink('log', 'lines'),
}

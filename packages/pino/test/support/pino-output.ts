import { Writable } from 'node:stream'
import type { DestinationStream, Logger, LoggerOptions } from 'pino'
import pino from 'pino'

/**
 * Options that make pino's output a pure function of the calls: constant pid, hostname and time.
 * Serializers and redaction are on, to show that they still apply.
 */
export const deterministic: LoggerOptions = {
  level: 'trace',
  base: { pid: 4242, hostname: 'test-host' },
  timestamp: () => ',"time":1764053000000',
  serializers: { user: (u: { name: string; password: string }) => ({ name: u.name.toUpperCase() }) },
  redact: { paths: ['secret', 'req.headers.authorization'], censor: '[REDACTED]' },
}

/** A stream that keeps what pino wrote, for the byte-for-byte comparison with the file. */
export function memoryStream(): DestinationStream & { text(): string } {
  const chunks: string[] = []
  return {
    write: (s: string) => {
      chunks.push(s)
    },
    text: () => chunks.join(''),
  }
}

/** A Node Writable version, for APIs that want one. */
export function memoryWritable(): Writable & { text(): string } {
  const chunks: string[] = []
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString())
      cb()
    },
  }) as Writable & { text(): string }
  w.text = () => chunks.join('')
  return w
}

/**
 * A mixed sequence of log calls: every level, child loggers (nested bindings), a serializer,
 * redacted fields, an error with its stack, text needing JSON escapes, non-ASCII text, and lines
 * long enough (and numerous enough) that thread-stream's chunks cut lines in two. Returns the
 * number of lines written at level `trace` (all of them).
 */
export function logSequence(logger: Logger, rounds = 200): number {
  let lines = 0
  const child = logger.child({ module: 'billing', reqId: 'r-1' })
  const grandchild = child.child({ step: 'charge' })
  const err = new Error('card declined')
  err.stack = 'Error: card declined\n    at charge (billing.js:10:5)'
  for (let i = 0; i < rounds; i++) {
    logger.trace({ i }, 'trace line')
    logger.debug({ i, user: { name: 'ada', password: 'hunter2' } }, 'debug with serializer')
    logger.info({ i, secret: 's3cr3t', req: { headers: { authorization: 'Bearer x' } } }, 'redacted')
    child.warn({ i, note: 'quotes " backslash \\ newline \n tab \t' }, 'child warn')
    grandchild.error({ i, err }, 'grandchild error')
    logger.fatal({ i, text: 'héllo wörld ✓ 日本語 🎉' }, 'fatal, non-ASCII')
    logger.info({ i, pad: 'x'.repeat((i * 997) % 9000) }, 'long line')
    lines += 7
  }
  return lines
}

/** What pino writes for `calls`, with `options`, as one string. */
export function expectedOutput(
  calls: (logger: Logger) => void,
  options: LoggerOptions = deterministic,
): string {
  const mem = memoryStream()
  calls(pino(options, mem))
  return mem.text()
}

import type { EventEmitter } from 'node:events'
import { AsyncDirectError, describeWarning, type LoggerWarning } from '@asyncdirect/core'

let warned = false

/**
 * Reports a problem that loses nothing yet (a failed write is kept and retried): as `'warn'` on
 * the transport, which winston re-emits on the logger. Not as `'error'`: winston throws an
 * `'error'` nobody listens to, and a logger must not crash its host over a full disk. When no
 * one listens to `'warn'` on the logger either, a one-time process warning says so.
 */
export function reportProblem(
  transport: EventEmitter & { parent?: EventEmitter | null },
  problem: Error,
): void {
  const audience = transport.parent ?? transport
  const heard = audience.listenerCount('warn') > 0
  transport.emit('warn', problem)
  if (!heard && !warned) {
    warned = true
    process.emitWarning(`@asyncdirect/winston: ${problem.message}`, { code: 'ASYNCDIRECT_WINSTON_WARN' })
  }
}

/** The `code` of the `'warn'` a core logger's `'warning'` becomes, by kind. */
const WARNING_CODES = {
  fallback: 'ASYNCDIRECT_FS_REFUSED_DIRECT',
  abandoned: 'ASYNCDIRECT_ENTRIES_ABANDONED',
  leak: 'ASYNCDIRECT_BUFFERS_LEAKED',
} as const satisfies Record<LoggerWarning['type'], string>

/** A core logger's `'warning'` as the error winston's `'warn'` carries, with a stable `code`. */
export function warningError(w: LoggerWarning): AsyncDirectError {
  return new AsyncDirectError(WARNING_CODES[w.type], describeWarning(w))
}

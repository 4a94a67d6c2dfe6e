import type { EventEmitter } from 'node:events'

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

/** A core logger's `'warning'` event. */
export type CoreWarning =
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number; shard: number }

export function describeWarning(w: CoreWarning): string {
  if (w.type === 'fallback') return `asyncdirect: using buffered I/O: ${w.reason}`
  return (
    `asyncdirect: ${w.entries} entries in shard ${w.shard} whose writer never finished copying ` +
    'them were left out of the file (see abandonedEntries)'
  )
}

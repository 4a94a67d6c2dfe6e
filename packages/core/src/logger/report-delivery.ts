import type { EventEmitter } from 'node:events'
import type { FlushReport } from '../shared/flush-context.js'
import { warnOnce } from '../shared/warn-once.js'
import { announceFallback } from './fallback-event.js'

/**
 * A logger's `'warning'` event: something was given up on or degraded, and nothing else was lost.
 * - `fallback`: the file is written with buffered I/O, not O_DIRECT (`reason` says why);
 * - `abandoned`: `entries` entries of shard `shard` whose writer never finished copying them were
 *   left out of the file (`shard` is -1 for an entry larger than a shard whose writer stopped
 *   before handing it over);
 * - `leak`: at close, a writer that died mid-copy keeps the buffers from being freed.
 */
export type LoggerWarning =
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number; shard: number }
  | { type: 'leak'; reason: string }

/**
 * Hands a flush report to the user: an I/O error becomes an `'error'` event when someone listens
 * (and a one-time process warning when nobody does: an unhandled `'error'` would crash the host,
 * which a logger must never do); a fallback or abandoned entries become `'warning'` events, and a
 * one-time process warning when nobody listens to those; a fallback is `'fallback'` first
 * (fallback-event.ts), and a process warning only when nobody listens to that.
 */
export function deliverReport(emitter: EventEmitter, report: FlushReport): void {
  switch (report.type) {
    case 'error':
      if (emitter.listenerCount('error') > 0) emitter.emit('error', report.error)
      else
        warnOnce(
          `error:${report.error.code}`,
          `asyncdirect: ${report.error.message} (data kept, write retried)`,
        )
      return
    case 'fallback':
      announceFallback(emitter, { code: 'ASYNCDIRECT_FS_REFUSED_DIRECT', reason: report.reason })
      emitter.emit('warning', report)
      return
    case 'rotate':
      emitter.emit('rotate', { from: report.from, to: report.to, reason: report.reason })
      return
    case 'abandoned':
      if (emitter.emit('warning', report)) return
      warnOnce('abandoned', describeWarning(report))
      return
  }
}

/** A `'warning'` event in one line, as the process warning that stands in for it says it. */
export function describeWarning(w: LoggerWarning): string {
  switch (w.type) {
    case 'fallback':
      return `asyncdirect: using buffered I/O: ${w.reason}`
    case 'leak':
      return `asyncdirect: ${w.reason}`
    case 'abandoned':
      if (w.shard < 0)
        return (
          'asyncdirect: an entry larger than a shard whose writer stopped before handing it over: ' +
          'left out of the file (see abandonedEntries)'
        )
      return w.entries === 1
        ? `asyncdirect: 1 entry in shard ${w.shard} whose writer never finished copying it: left out ` +
            'of the file (see abandonedEntries)'
        : `asyncdirect: ${w.entries} entries in shard ${w.shard} whose writer never finished copying ` +
            'them: left out of the file (see abandonedEntries)'
  }
}

import type { EventEmitter } from 'node:events'
import { announceFallback } from './fallback-event.js'
import type { FlushReport } from './flush-context.js'

const warned = new Set<string>()

/** process.emitWarning, once per process for each `key`. */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { code: 'ASYNCDIRECT_WARNING' })
}

/**
 * Hands a flush report to the user: an I/O error becomes an `'error'` event when someone listens
 * (and a one-time process warning when nobody does: an unhandled `'error'` would crash the host,
 * which a logger must never do); a fallback or abandoned entries become `'warning'` events, and a
 * one-time process warning when nobody listens to those; a fallback also the `'fallback'` event.
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
      if (!emitter.emit('warning', report))
        warnOnce('fallback', `asyncdirect: using buffered I/O: ${report.reason}`)
      return
    case 'rotate':
      emitter.emit('rotate', { from: report.from, to: report.to, reason: report.reason })
      return
    case 'abandoned':
      if (emitter.emit('warning', report)) return
      warnOnce(
        'abandoned',
        report.shard < 0
          ? 'asyncdirect: an entry larger than a shard whose writer stopped before handing it over: ' +
              'left out of the file (see abandonedEntries)'
          : `asyncdirect: ${report.entries} entr${report.entries === 1 ? 'y' : 'ies'} in shard ${report.shard} ` +
              'whose writer never finished copying it: left out of the file (see abandonedEntries)',
      )
      return
  }
}

import { EventEmitter } from 'node:events'
import { InvalidArgumentError } from '../errors.js'
import { DIRECT_WRITE_REFUSED } from '../flusher/output-io.js'
import { isLoggerHandle, type LoggerHandle } from '../shared/logger-handle.js'
import { type StatsSnapshot, statsSnapshot } from '../shared/stats.js'
import { EntryWriter } from '../writer/entry-writer.js'
import { announcedFallback, announceFallback } from './fallback-event.js'
import { deliverReport } from './report-delivery.js'
import { openThreadView } from './thread-view.js'

/**
 * A writer in another thread (a `worker_thread`) that logs into the same shards as the logger
 * whose handle it was given. The logger's one flusher writes everything.
 *
 * Events: `'error'` for a failed write this thread made itself (an entry larger than a shard),
 * `'warning'` as on the logger, `'fallback'` when the logger opened its file without O_DIRECT.
 */
export class AttachedWriter extends EventEmitter {
  private readonly writer: EntryWriter
  private readonly stats: () => StatsSnapshot

  /** @internal Use {@link attach}. */
  constructor(handle: LoggerHandle) {
    super()
    const thread = openThreadView(handle, (r) => deliverReport(this, r))
    this.writer = new EntryWriter(thread.writerContext())
    // The logger's owner was told; each attached writer only tells its own listeners.
    if (handle.fallback) announceFallback(this, handle.fallback, false)
    this.stats = () => {
      const snapshot = statsSnapshot(thread.ctl, { fallbackReason: null, library: handle.library })
      // The logger's flusher turns O_DIRECT off at run time for one reason only, and tells the
      // logger, not this thread.
      const off = handle.directIO && !snapshot.directIO
      snapshot.fallbackReason = off ? (announcedFallback(this)?.reason ?? DIRECT_WRITE_REFUSED) : null
      return snapshot
    }
  }

  /** As {@link Logger.log}. */
  log(text: string): boolean {
    return this.writer.log(text)
  }

  /** As {@link Logger.logBytes}. */
  logBytes(bytes: Uint8Array): boolean {
    return this.writer.logBytes(bytes)
  }

  /** As {@link Logger.logLines}. */
  logLines(text: string | Uint8Array, count: number): boolean {
    return this.writer.logLines(text, count)
  }

  /** The shared logger's statistics. */
  getStatsSnapshot(): StatsSnapshot {
    return this.stats()
  }

  /** Stops writing from this thread; later calls are dropped and counted. Entries already logged stay. */
  detach(): void {
    this.writer.detach()
  }
}

/**
 * Attaches the calling thread to a logger created elsewhere, from its `logger.handle`
 * (passed in `workerData` or by `postMessage`).
 * @throws {InvalidArgumentError} (a TypeError) when `handle` is not a logger handle: the promise
 * rejects. A promise although nothing is awaited: that is the published signature, and it leaves
 * room for an attach that must wait (for the native library, say) without changing callers.
 */
export async function attach(handle: LoggerHandle): Promise<AttachedWriter> {
  if (!isLoggerHandle(handle)) {
    throw new InvalidArgumentError('asyncdirect: attach() expects the `handle` property of a Logger')
  }
  return new AttachedWriter(handle)
}

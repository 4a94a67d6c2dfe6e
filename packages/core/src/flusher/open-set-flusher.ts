import { currentFilePath } from '../file/rotation.js'
import type { FlushContext, FlushReport } from '../shared/flush-context.js'
import type { LoggerHandle, ThreadMemory } from '../shared/logger-handle.js'
import { SetFlusher } from './set-flusher.js'

/**
 * A set flusher for the calling thread: the flusher thread's, or that of a thread that must write
 * itself because no flusher thread runs. `report` carries what a flush tells the logger's owner.
 */
export function openSetFlusher(
  handle: LoggerHandle,
  thread: ThreadMemory,
  report: (r: FlushReport) => void,
): SetFlusher {
  const { ctl, views, lib, staging } = thread
  const { memory } = handle
  const cx: FlushContext = {
    ctl,
    views,
    addresses: memory.kind === 'shared' ? null : memory.addresses,
    lib,
    get path() {
      return currentFilePath(ctl, handle.path, handle.rotate)
    },
    basePath: handle.path,
    rotate: handle.rotate,
    fileOptions: {
      directIO: handle.directIO,
      dsync: handle.dsync,
      mode: handle.mode,
      format: handle.format,
    },
    shardSize: memory.shardSize,
    flushTimeout: handle.flushTimeout,
    dsync: handle.dsync,
    format: handle.format,
    staging,
    report,
  }
  return new SetFlusher(cx)
}

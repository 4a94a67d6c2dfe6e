import { openSetFlusher } from '../flusher/open-set-flusher.js'
import type { SetFlusher } from '../flusher/set-flusher.js'
import type { FlushReport } from '../shared/flush-context.js'
import { type LoggerHandle, openThreadMemory, type ThreadMemory } from '../shared/logger-handle.js'
import type { WriterContext } from '../writer/writer-context.js'

/** A logger's shared state as seen from one thread. */
export interface ThreadView extends ThreadMemory {
  /** This thread's set flusher (created on first use). */
  flusher(): SetFlusher
  /** A context for an entry writer in this thread. */
  writerContext(): WriterContext
}

/** Maps a logger's control block and shard memory into the calling thread. */
export function openThreadView(handle: LoggerHandle, report: (r: FlushReport) => void): ThreadView {
  const memory = openThreadMemory(handle)
  let flusher: SetFlusher | undefined
  const view: ThreadView = {
    ...memory,
    flusher() {
      flusher ??= openSetFlusher(handle, memory, report)
      return flusher
    },
    writerContext() {
      return {
        ctl: memory.ctl,
        format: handle.format,
        views: memory.views,
        shardSize: handle.memory.shardSize,
        backpressure: handle.backpressure,
        lib: memory.lib,
        flusher: () => view.flusher(),
      }
    },
  }
  return view
}

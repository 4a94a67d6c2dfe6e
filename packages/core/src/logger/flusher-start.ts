import { Worker } from 'node:worker_threads'
import { StateError } from '../errors.js'
import {
  type ControlBlock,
  FLUSH_DONE,
  FLUSHER_STATE,
  FlusherState,
  SET_FREED,
} from '../shared/control-block.js'
import type { LoggerHandle } from '../shared/logger-handle.js'
import type { FlushMessage } from '../shared/thread-messages.js'
import { warnOnce } from '../shared/warn-once.js'

/** The flusher worker of a logger (flusher-thread.ts), as its owner sees it. */
export interface FlusherThread {
  worker: Worker
  /** Settles when the worker has exited. */
  exited: Promise<void>
  /** Resolves when the flusher runs; rejects if it failed to start. */
  ready: Promise<void>
  started: boolean
  /** Set by close(): the worker keeps the process alive until it has written everything. */
  pinned: boolean
}

/** The flusher thread's young generation (MiB); see startFlusher. */
const FLUSHER_YOUNG_GENERATION_MB = 1

/** Starts the flusher worker for `handle`. */
export function startFlusher(handle: LoggerHandle, ctl: ControlBlock): FlusherThread {
  const worker = new Worker(new URL('../flusher/flusher-thread.js', import.meta.url), {
    workerData: handle,
    // The flusher is our own compiled code and needs none of the process's flags; inheriting them
    // can stop it from starting (--input-type applies only to --eval input).
    execArgv: [],
    // The logger's descriptors are opened and closed by whichever thread holds the I/O lock, and
    // outlive this thread: Node must neither track nor close them when it exits.
    trackUnmanagedFds: false,
    // The flusher allocates almost nothing per pass (it writes from the shards), so V8's default
    // young generation only costs resident memory at creation: 1 MiB saves 1.2–2 MiB of it.
    resourceLimits: { maxYoungGenerationSizeMb: FLUSHER_YOUNG_GENERATION_MB },
  })
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      // However it ended, nobody may wait for it any more: writers and flush() write themselves.
      Atomics.store(ctl.i32, FLUSHER_STATE, FlusherState.STOPPED)
      Atomics.notify(ctl.i32, FLUSHER_STATE)
      Atomics.add(ctl.i32, SET_FREED, 1)
      Atomics.notify(ctl.i32, SET_FREED)
      Atomics.notify(ctl.i32, FLUSH_DONE)
      resolve()
    }),
  )
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (m: FlushMessage) => {
      if (m.type !== 'ready') return
      worker.off('message', onMessage)
      // Started: from now on the flusher never keeps the process alive (the exit hook writes
      // what it has not). Until then it does, so that awaiting ready() is not cut short.
      thread.started = true
      if (!thread.pinned) worker.unref()
      resolve()
    }
    worker.on('message', onMessage)
    worker.once('error', reject)
    worker.once('exit', () =>
      reject(
        new StateError(
          'ASYNCDIRECT_FLUSHER_NOT_STARTED',
          'asyncdirect: the flusher thread exited before it started',
        ),
      ),
    )
  })
  // Nobody has to wait for ready(): an unobserved failure must not become an unhandled rejection.
  ready.catch(() => {})
  worker.on('error', (err) => {
    warnOnce('flusher', `asyncdirect: flusher thread failed (${err.message}); writers flush themselves`)
  })
  const thread: FlusherThread = { worker, exited, ready, started: false, pinned: false }
  return thread
}

/**
 * Blocks until the flusher thread has stopped, at most `ms`; for the exit hook, after STOP is set.
 * Node terminates worker threads once the 'exit' listeners return, and a worker terminated inside
 * a koffi call (binding the library as it starts, or converting a write's result) aborts the whole
 * process: koffi's napi_throw fails on a terminating isolate and that is a fatal error. With STOP
 * set, a flusher that is running or still starting stops within one pass of its loop.
 */
export function awaitFlusherStop(i32: Int32Array, ms: number): void {
  const deadline = performance.now() + ms
  for (;;) {
    const state = Atomics.load(i32, FLUSHER_STATE)
    const left = deadline - performance.now()
    if (state === FlusherState.STOPPED || left <= 0) return
    Atomics.wait(i32, FLUSHER_STATE, state, left)
  }
}

/** How long a flusher that reported STOPPED gets to exit before it is let go (ms). */
const EXIT_GRACE_MS = 500

/**
 * Resolves once the flusher has finished its work: its worker exited, or it stored STOPPED (its
 * last instruction) and has not exited within {@link EXIT_GRACE_MS}. Such a worker is asked to
 * terminate and let go (unref'd) rather than waited for: on Node 20 a worker's teardown can
 * deadlock in V8's platform (nodejs/node#54918: an isolate draining its background tasks while a
 * concurrent compile job waits for a GC on it), typically when many threads exit at once, and
 * close() must not hang on a thread that has nothing left to do.
 */
export async function flusherFinished(thread: FlusherThread, ctl: ControlBlock): Promise<void> {
  let poll: NodeJS.Timeout | undefined
  const stopped = new Promise<void>((resolve) => {
    poll = setInterval(() => {
      if (Atomics.load(ctl.i32, FLUSHER_STATE) === FlusherState.STOPPED) resolve()
    }, 20)
  })
  try {
    await Promise.race([thread.exited, stopped])
  } finally {
    clearInterval(poll)
  }
  let grace: NodeJS.Timeout | undefined
  const exited = await Promise.race([
    thread.exited.then(() => true),
    new Promise<boolean>((resolve) => {
      grace = setTimeout(() => resolve(false), EXIT_GRACE_MS)
    }),
  ])
  clearTimeout(grace)
  if (exited) return
  thread.worker.terminate().catch(() => {})
  thread.worker.unref()
}

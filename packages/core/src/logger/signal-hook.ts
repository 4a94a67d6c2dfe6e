import { constants } from 'node:os'
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads'
import {
  type DispatchArgs,
  type DispatchMessage,
  releaseDispatch,
  signalDispatch,
} from './signal-dispatch.js'

/** The signals whose default action ends the process, and on which the loggers write first. */
export const FLUSH_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const

const CHANNEL = 'asyncdirect.signal-dispatch.v1'

/** A logger's registration with the process's signal dispatcher (signal-dispatch.ts). */
export interface SignalHook {
  /** Settles once the dispatcher listens (at once on the main thread); never rejects. */
  readonly ready: Promise<void>
  /** Unregisters; the last registration of the process removes the signal listeners. */
  remove(): void
}

let registrations = 0

/**
 * Registers a logger with the process's signal dispatcher: on SIGTERM, SIGINT or SIGHUP, `flush`
 * runs when the application handles the signal itself; when nothing does, the process ends through
 * its exit path (where every logger writes what it holds) and then dies by the signal.
 *
 * Node delivers signals to the main thread's `process` only. On the main thread the dispatcher is
 * called directly. From a worker thread (pino's transport runs there) its source is evaluated on
 * the main thread through an in-process inspector session (no port is opened), and `flush` is
 * called when the main thread says so on a BroadcastChannel; the release goes back on it.
 */
export function onSignal(flush: (signal: string) => void): SignalHook {
  const token = `${threadId}:${registrations++}`
  const args: DispatchArgs = { signals: signalNumbers(), channel: CHANNEL, token }
  if (isMainThread) {
    signalDispatch(args, flush)
    return { ready: Promise.resolve(), remove: () => releaseDispatch(token) }
  }
  const channel = new BroadcastChannel(CHANNEL)
  channel.onmessage = (event: unknown) => {
    const m = (event as MessageEvent).data as DispatchMessage | null
    if (m?.type === 'flush') flush(m.signal)
  }
  channel.unref()
  const ready = installOnMainThread(args)
  let removed = false
  return {
    ready,
    remove() {
      if (removed) return
      removed = true
      channel.postMessage({ type: 'release', token } satisfies DispatchMessage)
      channel.close()
    },
  }
}

function signalNumbers(): Record<string, number> {
  const numbers: Record<string, number> = {}
  for (const s of FLUSH_SIGNALS) numbers[s] = constants.signals[s]
  return numbers
}

/**
 * Evaluates the dispatcher on the main thread. A worker has no other way to run code there; the
 * session is in-process (Session.connectToMainThread, no port, no debugger enabled) and closed as
 * soon as the answer comes. The main thread answers between two of its tasks, or at once when it
 * is blocked in Atomics.wait (as thread-stream's end() blocks it).
 */
async function installOnMainThread(args: DispatchArgs): Promise<void> {
  const problem = await new Promise<string | null>((resolve) => {
    import('node:inspector')
      .then(({ Session }) => {
        const session = new Session()
        session.connectToMainThread()
        const expression = `(${signalDispatch.toString()})(${JSON.stringify(args)})`
        session.post('Runtime.evaluate', { expression }, (err, result) => {
          session.disconnect()
          const thrown = result?.exceptionDetails?.exception?.description
          resolve(err ? err.message : (thrown ?? null))
        })
      })
      .catch((err: Error) => resolve(err.message))
  })
  if (problem !== null) {
    process.emitWarning(
      `asyncdirect: cannot listen for SIGTERM, SIGINT and SIGHUP from this worker thread (${problem}); ` +
        'what is buffered when one ends the process is lost. Call close() from a signal handler of the main thread.',
      { code: 'ASYNCDIRECT_NO_SIGNALS' },
    )
  }
}

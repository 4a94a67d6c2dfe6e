/** What {@link signalDispatch} needs; plain JSON, as it crosses to the main thread as source text. */
export interface DispatchArgs {
  /** The signals handled, with their numbers (the exit status fallback is 128 + the number). */
  signals: Record<string, number>
  /** The BroadcastChannel on which worker threads hear `flush` and send `release`. */
  channel: string
  /** Names this registration, for its release. */
  token: string
}

/** A message on the dispatch channel. */
export type DispatchMessage = { type: 'flush'; signal: string } | { type: 'release'; token: string }

/**
 * The process's one listener per signal (SIGTERM, SIGINT, SIGHUP), shared by every logger of every
 * thread, and by every copy of this package loaded (the state lives on `globalThis` under a
 * registry symbol). Runs on the main thread only: Node delivers signals to `process` there alone.
 * A logger of a worker thread sends this function's source to the main thread through the
 * inspector (signal-hook.ts), so it must stay self-contained: it may use only its arguments and
 * globals (`process`, `BroadcastChannel`, `setImmediate`), nothing imported or declared in this
 * module.
 *
 * On a signal:
 * - If the process has other listeners for it (the application's, `reopenOnSignal`'s), they keep
 *   control: the process is not ended. Every logger is asked to flush, one turn of the event loop
 *   later, so that writes still queued in this turn (a pino destination's batch, thread-stream's
 *   buffer) are in.
 * - Otherwise the signal's default action would end the process now, and end it the loggers'
 *   entries still buffered in memory. Instead: the listeners are removed, `process.exit()` runs
 *   the process's `'exit'` listeners (where every logger of this thread writes what it holds,
 *   the pino destination drains, and pino's own exit handling ends its transports, waiting for
 *   their worker), and the last `'exit'` listener sends the signal again. With no listener left
 *   its default action applies: the process dies by that signal, as it would have (the
 *   `signal-exit` way). Should it survive that, it exits with 128 + the signal's number.
 *
 * signal-exit's own listener (v3 and v4 leave a marker on `process`) does not count as the
 * application's: each of the two would otherwise leave the ending to the other, and neither would.
 */
export function signalDispatch(args: DispatchArgs, flush?: (signal: string) => void): void {
  type Listener = (() => void) & { asyncdirectSignal?: true }
  interface State {
    acquire(token: string, flush: ((signal: string) => void) | undefined): void
    release(token: string): void
  }
  const key = Symbol.for('asyncdirect.signal-dispatch.v1')
  const shared = globalThis as unknown as Record<symbol, State | undefined>
  let state = shared[key]
  if (state === undefined) {
    const users = new Map<string, ((signal: string) => void) | undefined>()
    const listeners = new Map<string, Listener>()
    let channel: InstanceType<typeof BroadcastChannel> | null = null
    const signalExitListeners = (): number => {
      const p = process as unknown as Record<string | symbol, unknown>
      const v3 = p.__signal_exit_emitter__
      const v4 = p[Symbol.for('signal-exit emitter')]
      return (typeof v3 === 'object' && v3 !== null ? 1 : 0) + (typeof v4 === 'object' && v4 !== null ? 1 : 0)
    }
    const uninstall = (): void => {
      for (const [signal, listener] of listeners) process.off(signal, listener)
      listeners.clear()
      channel?.close()
      channel = null
    }
    const onSignal = (signal: string): void => {
      const all = process.listeners(signal as NodeJS.Signals) as Listener[]
      const others = all.filter((l) => l.asyncdirectSignal !== true).length - signalExitListeners()
      if (others > 0) {
        setImmediate(() => {
          for (const f of users.values()) {
            try {
              f?.(signal)
            } catch {
              // A logger's flush reports its own failures ('error' events); the others still flush.
            }
          }
          channel?.postMessage({ type: 'flush', signal })
        })
        return
      }
      uninstall()
      users.clear()
      process.on('exit', () => process.kill(process.pid, signal))
      process.exit(128 + (args.signals[signal] ?? 0))
    }
    const install = (): void => {
      for (const signal of Object.keys(args.signals)) {
        const listener: Listener = () => onSignal(signal)
        listener.asyncdirectSignal = true
        listeners.set(signal, listener)
        process.on(signal, listener)
      }
      channel = new BroadcastChannel(args.channel)
      channel.onmessage = (event: unknown) => {
        const m = (event as MessageEvent).data as DispatchMessage | null
        if (m?.type === 'release') state?.release(m.token)
      }
      // The listeners must not keep the process alive, nor must the channel.
      ;(channel as unknown as { unref(): void }).unref()
    }
    state = {
      acquire(token, f) {
        users.set(token, f)
        if (listeners.size === 0) install()
      },
      release(token) {
        if (!users.delete(token)) return
        if (users.size === 0) uninstall()
      },
    }
    shared[key] = state
  }
  state.acquire(args.token, flush)
}

/** Releases a registration made on this (the main) thread. */
export function releaseDispatch(token: string): void {
  const shared = globalThis as unknown as Record<symbol, { release(token: string): void } | undefined>
  shared[Symbol.for('asyncdirect.signal-dispatch.v1')]?.release(token)
}

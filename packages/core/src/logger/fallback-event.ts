import type { EventEmitter } from 'node:events'
import type { FallbackEvent } from '../shared/logger-handle.js'
import { warnOnce } from '../shared/warn-once.js'

export type { FallbackEvent }

interface FallbackState {
  event: FallbackEvent
  /** Emitted already: listeners added from now on are called on their own. */
  announced: boolean
}

const states = new WeakMap<EventEmitter, FallbackState>()

/**
 * Tells `emitter`'s `'fallback'` listeners that O_DIRECT is off, once per emitter. The event is
 * emitted on the next tick, so listeners added right after the object was created hear it, and a
 * listener added any time later is called with it too: a logger created with `await` has fallen
 * back before its caller could listen. Only the first fallback is announced: O_DIRECT, once off,
 * stays off for the object's life. When nobody listens at that tick, and `warn` is true, a
 * one-time process warning says it instead.
 */
export function announceFallback(emitter: EventEmitter, event: FallbackEvent, warn = true): void {
  if (states.has(emitter)) return
  const state: FallbackState = { event, announced: false }
  states.set(emitter, state)
  emitter.on('newListener', (name: string | symbol, listener: (e: FallbackEvent) => void) => {
    if (name === 'fallback' && state.announced) process.nextTick(() => listener.call(emitter, state.event))
  })
  process.nextTick(() => {
    state.announced = true
    if (!emitter.emit('fallback', event) && warn) warnOnce('fallback', fallbackWarning(event))
  })
}

/** The process warning for a fallback nobody listened to. */
export function fallbackWarning(event: FallbackEvent): string {
  return event.code === 'ASYNCDIRECT_FS_REFUSED_DIRECT'
    ? `asyncdirect: using buffered I/O: ${event.reason}`
    : `asyncdirect: native library unavailable (${event.reason}); using buffered node:fs I/O`
}

/** The fallback announced on `emitter`, null while it writes with O_DIRECT. */
export function announcedFallback(emitter: EventEmitter): FallbackEvent | null {
  return states.get(emitter)?.event ?? null
}

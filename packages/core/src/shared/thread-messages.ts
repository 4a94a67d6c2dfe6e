import { IoError } from '../errors.js'
import type { FlushReport, RotateReason } from './flush-context.js'

/** A {@link FlushReport} as it crosses from a worker thread to the owner (errors lose their class). */
export type FlushMessage =
  | { type: 'error'; code: string; syscall: string; path: string; message: string }
  | { type: 'fallback'; reason: string }
  | { type: 'abandoned'; entries: number /** -1: an entry larger than a shard */; shard: number }
  | { type: 'rotate'; from: string; to: string; reason: RotateReason }
  | { type: 'ready' }

export function toMessage(r: FlushReport): FlushMessage {
  if (r.type !== 'error') return r
  const { code, syscall, path, message } = r.error
  return { type: 'error', code, syscall, path, message }
}

/** Rebuilds the report in the owner thread; null for messages that are not reports. */
export function fromMessage(m: FlushMessage): FlushReport | null {
  if (m.type === 'ready') return null
  if (m.type !== 'error') return m
  const error = new IoError(m.code, m.syscall, m.path)
  // The message as the other thread wrote it, explanation included.
  error.message = m.message
  return { type: 'error', error }
}

import { Stream } from 'node:stream'
import { followEntries } from '@asyncdirect/core'

/** winston's stream options, as its File transport reads them. */
export interface StreamOptions {
  /**
   * Lines of the file to pass over: entries are emitted from line `start + 1` on (counted from
   * 0, so `start: 0` passes over the first, as File does). Default, or `-1`: every entry.
   */
  start?: number
}

/** What {@link streamEntries} returns: a legacy stream (as File's) that stops at `destroy()`. */
export interface EntryStream extends Stream {
  destroy(): void
  readonly destroyed: boolean
}

/**
 * Follows the log at `path` as winston's File transport's `stream()` does: emits `'data'` with
 * each entry's line, then `'log'` with it parsed (`'error'` with the `SyntaxError` when it is
 * not JSON), for the entries already in the file and then for each one written, until
 * `destroy()` (which emits `'end'` and `'close'`). Follows the core's way (the file follower):
 * across rotations (logrotate, or the series moving on), complete lines only.
 *
 * An error nobody listens to for (`'error'` on the stream) goes to `unheard` instead of being
 * thrown from the follower's loop.
 */
export function streamEntries(
  path: string,
  options: StreamOptions,
  unheard: (error: Error) => void,
): EntryStream {
  const out = new Stream() as EntryStream & { destroyed: boolean }
  const controller = new AbortController()
  out.destroyed = false
  out.destroy = () => {
    if (out.destroyed) return
    out.destroyed = true
    controller.abort()
    out.emit('end')
    out.emit('close')
  }
  const fail = (error: Error): void => {
    if (out.listenerCount('error') > 0) out.emit('error', error)
    else unheard(error)
  }
  const start = options.start === undefined || options.start === -1 ? null : options.start
  const follow = async (): Promise<void> => {
    let row = 0
    for await (const entry of followEntries(path, { signal: controller.signal })) {
      const line = entry.toString('utf8')
      // File splits its file on runs of newlines: a blank line is no line.
      if (line === '') continue
      if (start !== null && row++ <= start) continue
      out.emit('data', line)
      let parsed: unknown
      try {
        parsed = JSON.parse(line)
      } catch (err) {
        fail(err as Error)
        continue
      }
      out.emit('log', parsed)
    }
  }
  follow().catch((err: Error) => {
    if (!controller.signal.aborted) fail(err)
  })
  return out
}

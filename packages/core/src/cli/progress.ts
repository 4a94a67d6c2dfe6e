/**
 * A progress indicator on stderr for reading big files: only for files over 100 MiB (smaller ones
 * are read before anyone would look) and only when stderr is a terminal (never in logs or pipes).
 */

import type { ProgressListener } from '../read/chunked-file.js'

/** Files at least this big get a progress indicator. */
export const PROGRESS_MIN_BYTES = 100 * 1024 * 1024

/** Redraw at most this often, so that drawing costs nothing next to reading. */
const REDRAW_MS = 200

/** A progress indicator: `listener` goes to the reader, `done()` erases the line. */
export interface Progress {
  listener: ProgressListener | undefined
  done(): void
}

/**
 * A progress indicator for reading `path`; inert unless stderr is a TTY and `allowed` (commands
 * printing entries to the same terminal pass false: the indicator would garble their output).
 */
export function progressFor(path: string, allowed = true): Progress {
  const stderr = process.stderr
  if (!allowed || !stderr.isTTY) return { listener: undefined, done() {} }
  let drawn = false
  let last = 0
  return {
    listener(position, size) {
      if (size < PROGRESS_MIN_BYTES) return
      const now = Date.now()
      if (now - last < REDRAW_MS && position < size) return
      last = now
      drawn = true
      const percent = Math.floor((position / size) * 100)
      stderr.write(`\r\x1b[Kasyncdirect: reading ${path}: ${percent}% (${mib(position)} of ${mib(size)} MiB)`)
    },
    done() {
      if (drawn) stderr.write('\r\x1b[K')
      drawn = false
    },
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(0)
}

import { fstatSync, type Stats, statSync } from 'node:fs'
import { ConfigError } from '../errors.js'

/**
 * A log is a regular file: O_DIRECT, flock, block offsets and fdatasync mean nothing on anything
 * else, and opening a FIFO for writing blocks until a reader comes (the event loop at creation, the
 * flusher thread at a reopen(), possibly forever). So a path naming anything else is refused
 * before it is opened (a directory fails the open itself, with EISDIR). A FIFO put in the file's
 * place between this look and the open can still block that open; that needs write access to the
 * log's directory, which owns the log anyway.
 */
export function refuseNonRegularPath(path: string): void {
  let st: Stats
  try {
    st = statSync(path)
  } catch {
    return // Missing (the open creates it) or unreadable (the open says why).
  }
  if (!st.isFile() && !st.isDirectory()) throw notRegular(path, st)
}

/** The same check on what was opened, for a file replaced after the look above. */
export function refuseNonRegularFd(fd: number, path: string): void {
  const st = fstatSync(fd)
  if (!st.isFile()) throw notRegular(path, st)
}

function notRegular(path: string, st: Stats): ConfigError {
  return new ConfigError(
    'path',
    `${path} is ${kindOf(st)}; asyncdirect writes regular files only (O_DIRECT, the file lock and ` +
      'block offsets need one)',
  )
}

function kindOf(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

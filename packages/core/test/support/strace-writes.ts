import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

// A Node child process run under strace, and the writes it made to files, as the kernel saw them:
// for the tests of where and how the logger writes, observed from outside the logger.

/** True when strace can run here (installed, and ptrace allowed). */
export const hasStrace =
  spawnSync('strace', ['-qq', '-e', 'trace=none', 'true'], { stdio: 'ignore' }).status === 0

/** One positioned write: pwrite64, pwritev or pwritev2. */
export interface TracedWrite {
  fd: number
  path: string
  offset: number
  /** Bytes written (the call's result). */
  length: number
  /** iovecs passed (1 for pwrite64). */
  iovecs: number
}

export interface Trace {
  /** The child's standard output. */
  stdout: string
  /** Descriptors opened with O_DIRECT on files whose path starts with the prefix asked for. */
  directFds: Set<number>
  /** Writes to files whose path starts with the prefix asked for. */
  writes: TracedWrite[]
}

/**
 * Runs `node <args>` under `strace -f -ff -y` (one output file per thread, so no call is split
 * across lines; descriptors annotated with their paths) and returns its writes to files under
 * `pathPrefix`. Its trace files go in `scratch`, removed afterwards.
 */
export function traceNodeWrites(args: string[], pathPrefix: string, scratch: string): Trace {
  const traceDir = mkdtempSync(join(scratch, 'strace-'))
  try {
    const stdout = execFileSync(
      'strace',
      [
        '-f',
        '-ff',
        '-y',
        '-qq',
        '-e',
        'trace=openat,pwrite64,pwritev,pwritev2',
        '-o',
        join(traceDir, 'trace'),
        process.execPath,
        ...args,
      ],
      { encoding: 'utf8', timeout: 120_000 },
    )
    const directFds = new Set<number>()
    const writes: TracedWrite[] = []
    for (const name of readdirSync(traceDir)) {
      for (const line of readFileSync(join(traceDir, name), 'utf8').split('\n')) {
        const open = /^openat\(AT_FDCWD(?:<[^>]*>)?, "([^"]*)", ([A-Z_|]+).*= (\d+)(?:<[^>]*>)?$/.exec(line)
        if (open) {
          if (open[1]!.startsWith(pathPrefix) && open[2]!.includes('O_DIRECT')) directFds.add(Number(open[3]))
          continue
        }
        const single = /^pwrite64\((\d+)<([^>]*)>, .*, (\d+)\) = (\d+)$/.exec(line)
        const vector = /^pwritev2?\((\d+)<([^>]*)>, \[.*\], (\d+), (\d+)(?:, \d+)?\) = (\d+)$/.exec(line)
        const w = single
          ? { fd: single[1]!, path: single[2]!, offset: single[3]!, length: single[4]!, iovecs: '1' }
          : vector
            ? { fd: vector[1]!, path: vector[2]!, iovecs: vector[3]!, offset: vector[4]!, length: vector[5]! }
            : null
        if (w?.path.startsWith(pathPrefix)) {
          writes.push({
            fd: Number(w.fd),
            path: w.path,
            offset: Number(w.offset),
            length: Number(w.length),
            iovecs: Number(w.iovecs),
          })
        }
      }
    }
    return { stdout, directFds, writes }
  } finally {
    rmSync(traceDir, { recursive: true, force: true })
  }
}

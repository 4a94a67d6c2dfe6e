/**
 * `asyncdirect tail [-f] [-n N] FILE`: the last entries, then (with -f) new ones as they come,
 * across rotations (see `file-follower.ts`). FILE may be the configured path of a rotated series
 * without symlink: its newest file is read, as `-f` would follow it.
 */

import { stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { followEntries } from '../read/file-follower.js'
import { resolveFollowed } from '../read/followed-file.js'
import { readEntries } from '../read/read-entries.js'
import { oneFile, parseOrUsage } from './args.js'
import { type Output, reportReadError, warn } from './output.js'
import { type Progress, progressFor } from './progress.js'
import { commandHelp } from './usage.js'

const DEFAULT_COUNT = 10
/** How often `tail -f` looks for a file that does not exist yet: the follower's own poll. */
const APPEAR_POLL_MS = 200

/** Runs `tail` with the arguments after the command name; resolves to the exit status. */
export async function runTail(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('tail', () =>
    parseArgs({
      args,
      options: {
        follow: { type: 'boolean', short: 'f' },
        lines: { type: 'string', short: 'n' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: true,
    }),
  )
  if (values.help) {
    await out.text(commandHelp('tail'))
    return 0
  }
  const count = parseCount(values.lines)
  const path = oneFile('tail', positionals)
  const progress = progressFor(path, !process.stdout.isTTY)
  try {
    if (values.follow) await follow(path, count, out, progress)
    else
      for (const entry of await lastEntries(await fileToRead(path), count, progress.listener))
        await out.entry(entry)
  } catch (error) {
    progress.done()
    await out.flush()
    reportReadError(path, error)
    return 2
  }
  progress.done()
  await out.flush()
  return 0
}

function parseCount(text: string | undefined): number {
  if (text === undefined) return DEFAULT_COUNT
  if (!/^\d+$/.test(text)) throw new UsageError(`invalid number of entries: '${text}'`, 'tail')
  return Number(text)
}

/** The file `tail -f` would start with: `path` itself, or the newest of its series when it is absent. */
async function fileToRead(path: string): Promise<string> {
  const named = await resolveFollowed(path)
  if (!named?.newestOfSeries) return path
  warn(`${path} does not exist; reading the newest file of its series, ${named.path}`)
  return named.path
}

/** The last `count` entries, kept in a ring so that memory is `count` entries whatever the file. */
async function lastEntries(
  path: string,
  count: number,
  onProgress: ((position: number, size: number) => void) | undefined,
): Promise<Buffer[]> {
  const ring: Buffer[] = []
  let next = 0
  for await (const entry of readEntries(path, { onProgress })) {
    if (count === 0) continue
    if (ring.length < count) ring.push(entry)
    else ring[next] = entry
    next = (next + 1) % count
  }
  return ring.length < count ? ring : [...ring.slice(next), ...ring.slice(0, next)]
}

/** Follows until SIGINT or SIGTERM; a second signal ends the process at once. */
async function follow(path: string, count: number, out: Output, progress: Progress): Promise<void> {
  const controller = new AbortController()
  const stop = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signal === 'SIGINT' ? 130 : 143)
    controller.abort()
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  try {
    const appeared = await waitForFile(path, controller.signal)
    if (appeared === null) return
    for await (const entry of followEntries(path, {
      signal: controller.signal,
      // A file that appeared while waited for is new: all of it is what the user waited for.
      last: appeared ? undefined : count,
      onProgress: progress.listener,
      onCaughtUp: progress.done,
      onNotice: (message) => warn(message),
      onProblem: (p) => warn(`${path}:${p.offset}: ${p.kind}: ${p.message}`),
    })) {
      await out.entry(entry)
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

/**
 * As `tail -F` does, waits for a file (or series) that does not exist yet, such as a log the
 * application has not created: false when it was there at once, true when it appeared, null when
 * interrupted first. A path that exists but cannot be read is not waited for: opening it reports why.
 */
async function waitForFile(path: string, signal: AbortSignal): Promise<boolean | null> {
  if (!(await absent(path))) return false
  warn(`${path} does not exist yet; waiting for it to appear`)
  while (!signal.aborted) {
    try {
      await sleep(APPEAR_POLL_MS, undefined, { signal })
    } catch {
      return null
    }
    if (!(await absent(path))) {
      warn(`${path} has appeared; following it`)
      return true
    }
  }
  return null
}

/** True when neither the path (through a symlink) nor a file of its rotated series exists. */
async function absent(path: string): Promise<boolean> {
  if ((await resolveFollowed(path)) !== null) return false
  try {
    await stat(path)
    return false
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' || code === 'ENOTDIR'
  }
}

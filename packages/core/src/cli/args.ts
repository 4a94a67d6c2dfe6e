/**
 * Command-line parsing shared by the `asyncdirect` commands: `node:util` `parseArgs` with its
 * errors turned into usage errors (exit status 2, usage printed), and the file-count checks.
 */

import { UsageError } from '../errors.js'

/**
 * Runs `parse` (a `parseArgs` call) and turns its errors into a {@link UsageError} for `command`.
 * Node's messages go on to explain `--`; the first sentence is what the user needs.
 */
export function parseOrUsage<T>(command: string, parse: () => T): T {
  try {
    return parse()
  } catch (error) {
    const message = (error as Error).message
    const cut = message.indexOf('. ')
    throw new UsageError(cut === -1 ? message : message.slice(0, cut), command)
  }
}

/** The one FILE a command takes, or a usage error saying what is wrong. */
export function oneFile(command: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError('missing FILE', command)
  if (positionals.length > 1)
    throw new UsageError(`takes one FILE, got ${positionals.length}: ${positionals.join(' ')}`, command)
  return positionals[0]!
}

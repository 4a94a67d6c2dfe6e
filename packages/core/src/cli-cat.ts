/** `asyncdirect cat FILE...`: every entry of each file to stdout, one per line. */

import { parseArgs } from 'node:util'
import { parseOrUsage, UsageError } from './cli-args.js'
import { type Output, reportReadError, warn } from './cli-output.js'
import { progressFor } from './cli-progress.js'
import { commandHelp } from './cli-usage.js'
import type { FormatProblem } from './format-problem.js'
import { readEntries } from './read-entries.js'

/** Runs `cat` with the arguments after the command name; resolves to the exit status. */
export async function runCat(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('cat', () =>
    parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, allowPositionals: true }),
  )
  if (values.help) {
    await out.text(commandHelp('cat'))
    return 0
  }
  if (positionals.length === 0) throw new UsageError('missing FILE', 'cat')
  let status = 0
  for (const path of positionals) {
    if (!(await catFile(path, out))) status = 2
  }
  return status
}

/** Prints one file's entries; false when it could not be read (already reported on stderr). */
async function catFile(path: string, out: Output): Promise<boolean> {
  // The indicator would garble entries printed to the same terminal.
  const progress = progressFor(path, !process.stdout.isTTY)
  const skipped = new DamageTally()
  try {
    for await (const entry of readEntries(path, {
      onProblem: (p) => skipped.add(p),
      onProgress: progress.listener,
    })) {
      await out.entry(entry)
    }
  } catch (error) {
    progress.done()
    await out.flush()
    reportReadError(path, error)
    return false
  }
  progress.done()
  await out.flush()
  skipped.warn(path)
  return true
}

/**
 * Counts the problems that made entries go unprinted, so that damage is not silent: one warning
 * per file on stderr, pointing at `verify` for the details. NUL bytes are printed with their line.
 */
class DamageTally {
  private count = 0
  private first: FormatProblem | undefined

  add(problem: FormatProblem): void {
    if (problem.kind === 'nul-byte') return
    this.count++
    this.first ??= problem
  }

  warn(path: string): void {
    const first = this.first
    if (first === undefined) return
    const what =
      this.count === 1 && first.kind === 'partial-line'
        ? 'the last line has no newline yet and was not printed'
        : `skipped damaged data (${this.count} problem${this.count === 1 ? '' : 's'}, the first ${first.kind} at offset ${first.offset})`
    warn(`warning: ${path}: ${what}; see asyncdirect verify ${path}`)
  }
}

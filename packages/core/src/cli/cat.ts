/**
 * `asyncdirect cat [-s] FILE...`: every entry of each file to stdout, one per line; the files of a
 * rotated series in the order they were written (see `read-order.ts`), and with `--series` the
 * whole series of each FILE.
 */

import { lstat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import type { FormatProblem } from '../format/problem.js'
import { listSeries, seriesOfPath } from '../format/series.js'
import { readEntries } from '../read/read-entries.js'
import { readOrder } from '../read/read-order.js'
import { parseOrUsage } from './args.js'
import { type Output, reportReadError, warn } from './output.js'
import { progressFor } from './progress.js'
import { commandHelp } from './usage.js'

/** Runs `cat` with the arguments after the command name; resolves to the exit status. */
export async function runCat(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('cat', () =>
    parseArgs({
      args,
      options: { series: { type: 'boolean', short: 's' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }),
  )
  if (values.help) {
    await out.text(commandHelp('cat'))
    return 0
  }
  if (positionals.length === 0) throw new UsageError('missing FILE', 'cat')
  let status = 0
  let paths = positionals
  if (values.series) {
    paths = []
    const bases = new Set<string>()
    for (const path of positionals) {
      // Two FILEs of the same series (app.log and one of its files) stand for it once.
      const base = seriesOfPath(path)?.base ?? path
      if (bases.has(resolve(base))) continue
      bases.add(resolve(base))
      const files = await seriesMembers(base)
      if (files.length === 0) {
        warn(`cannot read ${path}: ENOENT (no such file), nor any rotated file of it`)
        status = 2
      }
      paths.push(...files)
    }
  }
  for (const path of await readOrder(paths)) {
    if (!(await catFile(path, out))) status = 2
  }
  return status
}

/**
 * What `--series` reads for the configured path `base`: the files of its series, and `base`
 * itself when it exists. As the series' symlink, `base` is then dropped by {@link readOrder} (its
 * target is listed); as a regular file, a logger without rotation writes it, so it comes after
 * the rotated files.
 */
async function seriesMembers(base: string): Promise<string[]> {
  const files = rotatedFiles(base)
  const exists = await lstat(base).then(
    () => true,
    () => false,
  )
  return exists ? [...files, base] : files
}

/** The rotated files of `base`, oldest first; none when its directory cannot be listed. */
function rotatedFiles(base: string): string[] {
  try {
    return listSeries(base).map((file) => file.path)
  } catch {
    return []
  }
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
    seriesHint(path, error)
    return false
  }
  progress.done()
  await out.flush()
  skipped.warn(path)
  return true
}

/**
 * A missing path that is the configured path of a rotated series without a symlink is what a user
 * naturally types: say where its entries are rather than leave a bare ENOENT.
 */
function seriesHint(path: string, error: unknown): void {
  if ((error as NodeJS.ErrnoException)?.code !== 'ENOENT') return
  const count = rotatedFiles(path).length
  if (count === 0) return
  warn(
    `${path} is the configured path of ${count} rotated file${count === 1 ? '' : 's'}; ` +
      `print them in order with: asyncdirect cat --series ${path}`,
  )
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

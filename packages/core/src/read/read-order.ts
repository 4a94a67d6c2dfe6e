/**
 * The order in which a reader given several files (`asyncdirect cat app*.log`) reads them: the
 * files of a rotated series in the order they were written, whatever order the shell listed them
 * in, and each file once even when a symlink to it is listed too.
 *
 * The shell sorts names as text in the user's locale, which puts `app.2026-11-25.10.log` before
 * `app.2026-11-25.2.log` and may put the series' symlink `app.log` anywhere; printing in that
 * order would interleave hours of log out of order, or print the current file twice.
 */

import { lstat, realpath } from 'node:fs/promises'
import { resolve } from 'node:path'
import { compareSeriesFiles, type SeriesFile, seriesOfPath } from '../format/series.js'

/** One listed path and what it turned out to be. */
interface Listed {
  /** As given: it is what gets opened, and what messages name. */
  readonly path: string
  /** The file it resolves to (symlinks followed); null when it cannot be resolved (missing). */
  readonly real: string | null
  readonly symlink: boolean
  /** Its series and place in it, told from the name of the file it resolves to. */
  readonly series: { base: string; file: SeriesFile } | null
}

/**
 * Orders `paths` for reading one after the other:
 *
 * - Files of the same series (told by name, see `format/series.ts`; a symlink counts as the file it
 *   points to) are read oldest first, by stamp and then by number. They are read as one group, at
 *   the place where the first of them was listed.
 * - Other files (and paths that do not exist) keep their places relative to those groups.
 * - A symlink is skipped when the file it points to is listed too, directly or through an earlier
 *   symlink: the series' `app.log` matched by `app*.log` does not print the current file twice.
 *   A file listed twice by its own name is still read twice, as `cat a a` does.
 *
 * @returns The paths as given (never rewritten), in reading order, without the skipped symlinks.
 */
export async function readOrder(paths: readonly string[]): Promise<string[]> {
  const listed = await Promise.all(paths.map(describe))
  const kept = withoutDuplicateLinks(listed)
  // Each series is a slot at its first member's place; everything else is a slot of its own.
  const slots: Listed[][] = []
  const slotOfBase = new Map<string, Listed[]>()
  for (const item of kept) {
    const base = item.series?.base
    if (base === undefined) {
      slots.push([item])
      continue
    }
    let slot = slotOfBase.get(base)
    if (slot === undefined) {
      slot = []
      slotOfBase.set(base, slot)
      slots.push(slot)
    }
    slot.push(item)
  }
  // Array.prototype.sort is stable: the same file listed twice keeps both places in the group.
  for (const slot of slotOfBase.values())
    slot.sort((a, b) => compareSeriesFiles(a.series!.file, b.series!.file))
  return slots.flat().map((item) => item.path)
}

async function describe(path: string): Promise<Listed> {
  const symlink = await lstat(path).then(
    (s) => s.isSymbolicLink(),
    () => false,
  )
  const real = await realpath(path).catch(() => null)
  // The real path, so that `./app.1.log`, `app.1.log` and a link into the directory all land in
  // the same group; a missing file is placed by the name it was given.
  const series = seriesOfPath(real ?? resolve(path))
  return { path, real, symlink, series }
}

/** Drops each symlink whose target is listed by its own name or through an earlier symlink. */
function withoutDuplicateLinks(listed: Listed[]): Listed[] {
  const named = new Set<string>()
  for (const item of listed) if (!item.symlink && item.real !== null) named.add(item.real)
  const linked = new Set<string>()
  return listed.filter((item) => {
    if (!item.symlink || item.real === null) return true
    if (named.has(item.real) || linked.has(item.real)) return false
    linked.add(item.real)
    return true
  })
}

/**
 * Which file a followed path (`asyncdirect tail -f app.log`) names at a given moment, across the
 * ways a log moves on to a new file:
 *
 * - the path is a regular file: that file; after logrotate (renamed away, a new file created at
 *   the path, the logger `reopen()`ed) it is another file at the same name;
 * - the path is the symlink of a rotated series (`symlink: true`): the file it points to;
 * - the path does not exist but its rotated series does (rotation without symlink): the newest
 *   file of the series.
 *
 * A resolved file is named by its real path, and the follower opens it by that name, so that what
 * was resolved is what gets read even if the symlink moves on in between.
 */

import type { Stats } from 'node:fs'
import { realpath, stat } from 'node:fs/promises'
import { compareSeriesFiles, listSeries, type SeriesFile, seriesOfPath } from '../format/series.js'

/** A file a followed path names, found by {@link resolveFollowed}. */
export interface FollowedFile {
  /** Its real path (symlinks resolved). */
  readonly path: string
  /** Its `stat` at resolution: `dev` and `ino` tell whether it is the file being read. */
  readonly stats: Stats
  /** Its series and place in it, when its name follows the series scheme. */
  readonly series: { readonly base: string; readonly file: SeriesFile } | null
  /** True when the path itself is absent and this is the newest file of its series. */
  readonly newestOfSeries: boolean
}

/**
 * The file `path` names now: the file itself (through any symlink) when it exists, otherwise the
 * newest file of the rotated series whose configured path it is; null when there is neither.
 */
export async function resolveFollowed(path: string): Promise<FollowedFile | null> {
  const named = await fileAt(path)
  if (named !== null) return { ...named, newestOfSeries: false }
  let files: SeriesFile[]
  try {
    files = listSeries(path)
  } catch {
    return null // The directory itself is gone or unreadable: nothing to follow there.
  }
  // Newest first; one deleted between the listing and its stat is passed over for the one before.
  for (let i = files.length - 1; i >= 0; i--) {
    const file = await fileAt(files[i]!.path)
    if (file !== null) return { ...file, newestOfSeries: true }
  }
  return null
}

async function fileAt(path: string): Promise<Omit<FollowedFile, 'newestOfSeries'> | null> {
  try {
    const real = await realpath(path)
    const stats = await stat(real)
    return { path: real, stats, series: seriesOfPath(real) }
  } catch {
    return null
  }
}

/** True when both are the same file (not merely the same name). */
export function isSameFile(a: Stats, b: Stats): boolean {
  return a.ino === b.ino && a.dev === b.dev
}

/**
 * True when `candidate` is an earlier file of the same series than `current`. The follower never
 * goes back to one: with rotation it only means the newest file went away (deleted by hand), and
 * its entries were printed already.
 */
export function isEarlierInSeries(candidate: FollowedFile, current: FollowedFile): boolean {
  const a = candidate.series
  const b = current.series
  return a !== null && b !== null && a.base === b.base && compareSeriesFiles(a.file, b.file) < 0
}

/**
 * The real paths of the series files written after `from` and before `to`, oldest first: when
 * the writer rotated more than once between two looks (or the symlink moved past a file), those
 * files are complete and must be read too, or their entries would be lost. Empty unless both are
 * files of the same series.
 */
export function filesBetween(from: FollowedFile, to: FollowedFile): string[] {
  const a = from.series
  const b = to.series
  if (a === null || b === null || a.base !== b.base) return []
  let files: SeriesFile[]
  try {
    files = listSeries(a.base)
  } catch {
    return []
  }
  return files
    .filter((file) => compareSeriesFiles(file, a.file) > 0 && compareSeriesFiles(file, b.file) < 0)
    .map((file) => file.path)
}

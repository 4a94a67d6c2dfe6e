import { readdirSync } from 'node:fs'
import { basename, dirname, extname, join } from 'node:path'

/**
 * The names of a rotated series of log files.
 *
 * For a logger configured with `path: '/var/log/app.log'`, the files are
 * `/var/log/app.<stamp>.<n>.log`: `<stamp>` is the UTC start of the period the file was opened in
 * (`2026-11-25` for daily or size-only rotation, `2026-11-25T13` hourly, `2026-11-25T13-05` for
 * intervals of whole minutes, `2026-11-25T13-05-09` otherwise) and `<n>` counts from 1 within a
 * stamp. Sorted by stamp (as text) and then by `<n>` (as a number), the files are in the order
 * they were written; `ls -v` sorts them the same way. The configured path itself is then either
 * absent or, with `symlink: true`, a symbolic link to the file being written.
 */

/** How finely a file's stamp names its period. */
export type StampUnit = 'day' | 'hour' | 'minute' | 'second'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The unit that tells two periods of `intervalMs` apart (0: size-only rotation, one per day). */
export function stampUnit(intervalMs: number): StampUnit {
  if (intervalMs === 0 || intervalMs % DAY === 0) return 'day'
  if (intervalMs % HOUR === 0) return 'hour'
  if (intervalMs % 60_000 === 0) return 'minute'
  return 'second'
}

/** The start of the period `nowMs` falls in: periods are aligned to multiples of the interval. */
export function periodStart(nowMs: number, intervalMs: number): number {
  const unit = intervalMs === 0 ? DAY : intervalMs
  return Math.floor(nowMs / unit) * unit
}

/** `ms` as a stamp of `unit` (UTC, so that names do not jump at daylight-saving changes). */
export function formatStamp(ms: number, unit: StampUnit): string {
  const iso = new Date(ms).toISOString() // 2026-11-25T13:05:09.000Z
  const day = iso.slice(0, 10)
  if (unit === 'day') return day
  const hour = `${day}T${iso.slice(11, 13)}`
  if (unit === 'hour') return hour
  const minute = `${hour}-${iso.slice(14, 16)}`
  return unit === 'minute' ? minute : `${minute}-${iso.slice(17, 19)}`
}

/** One file of a series, as found on disk. */
export interface SeriesFile {
  readonly path: string
  readonly stamp: string
  readonly seq: number
}

const STAMP = String.raw`\d{4}-\d{2}-\d{2}(?:T\d{2}(?:-\d{2}(?:-\d{2})?)?)?`

/** The path of file `seq` of the period stamped `stamp` in the series of `base`. */
export function seriesPath(base: string, stamp: string, seq: number): string {
  const ext = extname(base)
  return join(dirname(base), `${basename(base, ext)}.${stamp}.${seq}${ext}`)
}

/** `path`'s stamp and number when it is a file of `base`'s series; null otherwise. */
export function parseSeriesPath(base: string, path: string): SeriesFile | null {
  if (dirname(path) !== dirname(base)) return null
  const ext = extname(base)
  const stem = basename(base, ext)
  const name = basename(path)
  if (!name.startsWith(`${stem}.`) || !name.endsWith(ext)) return null
  const middle = name.slice(stem.length + 1, name.length - ext.length)
  const m = new RegExp(`^(${STAMP})\\.([1-9]\\d{0,8})$`).exec(middle)
  return m ? { path, stamp: m[1]!, seq: Number(m[2]) } : null
}

/** Oldest first: by stamp, then by number. */
export function compareSeriesFiles(a: SeriesFile, b: SeriesFile): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? -1 : 1
  return a.seq - b.seq
}

/** The files of `base`'s series in its directory, oldest first. */
export function listSeries(base: string): SeriesFile[] {
  const dir = dirname(base)
  const found: SeriesFile[] = []
  for (const name of readdirSync(dir)) {
    const file = parseSeriesPath(base, join(dir, name))
    if (file) found.push(file)
  }
  return found.sort(compareSeriesFiles)
}

/**
 * Where a series file's name can be told from any `path` (for readers given file names, such as
 * `asyncdirect cat app.*.log`): the base path it belongs to, with its stamp and number, or null
 * when the name does not follow the scheme.
 */
export function seriesOfPath(path: string): { base: string; file: SeriesFile } | null {
  const name = basename(path)
  const m = new RegExp(`^(.*)\\.(${STAMP})\\.([1-9]\\d{0,8})((?:\\.[^.]*)?)$`).exec(name)
  if (!m) return null
  const base = join(dirname(path), `${m[1]}${m[4]}`)
  return { base, file: { path, stamp: m[2]!, seq: Number(m[3]) } }
}

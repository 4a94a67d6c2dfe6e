import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import { readEntries } from '@asyncdirect/core'
import { ARCHIVE_SUFFIX } from './rotated-archive.js'

/**
 * winston's query options, as its File transport reads them: `rows` (or `limit`, default 10),
 * `start` (lines to skip from the beginning), `from` and `until` (compared with each entry's
 * `timestamp`; default the last 24 hours), `order` (`'desc'`, the default: the newest `rows`,
 * newest first; or `'asc'`: the first `rows`, oldest first), `fields` (the keys to keep),
 * `level` (only entries of this level).
 */
export interface QueryOptions {
  rows?: number
  limit?: number
  start?: number
  from?: Date | string | number
  until?: Date | string | number
  order?: 'asc' | 'desc'
  fields?: string[]
  level?: string
}

/** A logged entry, as its JSON line parses. */
export type QueriedEntry = Record<string, unknown>

const DAY_MS = 24 * 60 * 60 * 1000

interface Normalized {
  rows: number
  start: number
  from: Date
  until: Date
  order: string
  fields: string[] | undefined
  level: string | undefined
}

function toDate(value: Date | string | number): Date {
  return typeof value === 'object' ? value : new Date(value)
}

/** The defaults File applies (falsy values count as absent, as there). */
function normalize(options: QueryOptions): Normalized {
  const until = options.until ? toDate(options.until) : new Date()
  const from = options.from ? toDate(options.from) : new Date(until.getTime() - DAY_MS)
  const fields = typeof options.fields === 'string' ? [options.fields] : options.fields || undefined
  return {
    rows: options.rows || options.limit || 10,
    start: options.start || 0,
    from,
    until,
    order: options.order || 'desc',
    fields,
    level: options.level || undefined,
  }
}

/**
 * Whether `entry` passes the time and level filters. An entry without a valid `timestamp` passes
 * the time filters (its time is NaN, and no comparison with NaN is true): File behaves so.
 */
function selected(entry: unknown, q: Normalized): entry is QueriedEntry {
  if (entry === null || typeof entry !== 'object') return false
  const record = entry as QueriedEntry
  const time = new Date(record.timestamp as string).getTime()
  if (time < q.from.getTime() || time > q.until.getTime()) return false
  return q.level === undefined || q.level === record.level
}

function project(entry: QueriedEntry, fields: string[] | undefined): QueriedEntry {
  if (!fields) return entry
  const out: QueriedEntry = {}
  for (const key of fields) out[key] = entry[key]
  return out
}

/** The lines of a gzipped lines-format file, each without its newline. */
async function* archiveLines(path: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: 0 })
  yield* lines
}

/** Every line of `files`, in order: log files through the core's reader, `.gz` archives gunzipped. */
async function* linesOf(files: readonly string[]): AsyncGenerator<string> {
  for (const file of files) {
    try {
      if (file.endsWith(ARCHIVE_SUFFIX)) yield* archiveLines(file)
      else for await (const entry of readEntries(file)) yield entry.toString('utf8')
    } catch (err) {
      // A file that went away (retention, or not created yet) has no entries: as File's ENOENT.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    }
  }
}

/**
 * The entries of `files` (read in order, as one log) that the query selects, as winston's File
 * transport selects them from its file: lines counted from the first (blank lines not counted),
 * the first `start` skipped, each parsed as JSON and filtered by time and level, the first
 * (`'asc'`) or last (`'desc'`, returned newest first) `rows` of those kept, reduced to `fields`.
 * @throws The `SyntaxError` of the first line that is not JSON, as File reports it.
 */
export async function queryEntries(files: readonly string[], options: QueryOptions): Promise<QueriedEntry[]> {
  const q = normalize(options)
  const results: QueriedEntry[] = []
  let row = 0
  for await (const line of linesOf(files)) {
    if (line === '') continue
    if (row++ < q.start) continue
    const entry: unknown = JSON.parse(line)
    if (!selected(entry, q)) continue
    if (q.order !== 'desc' && results.length >= q.rows) break
    if (q.order === 'desc' && results.length >= q.rows) results.shift()
    results.push(project(entry, q.fields))
  }
  return q.order === 'desc' ? results.reverse() : results
}

import { createReadStream, createWriteStream } from 'node:fs'
import { readdir, rename, stat, unlink, utimes } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import type { ResolvedRotation } from '@asyncdirect/core'
import { compareSeriesFiles, listSeries, parseSeriesPath, type SeriesFile } from '@asyncdirect/core/format'

/** The suffix of a compressed file of a series. */
export const ARCHIVE_SUFFIX = '.gz'

/** The compressed files of `base`'s series (`app.2026-11-25.1.log.gz`), oldest first. */
export async function listArchives(base: string): Promise<SeriesFile[]> {
  const dir = dirname(base)
  const found: SeriesFile[] = []
  for (const name of await readdir(dir)) {
    if (!name.endsWith(ARCHIVE_SUFFIX)) continue
    const file = parseSeriesPath(base, join(dir, name.slice(0, -ARCHIVE_SUFFIX.length)))
    if (file) found.push({ ...file, path: join(dir, name) })
  }
  return found.sort(compareSeriesFiles)
}

/**
 * `zippedArchive`: gzips the files of a rotated series the logger has moved on from, each to
 * `<file>.gz` (then deletes the original), and applies `maxFiles` and `maxAge` to the compressed
 * files too (the core's retention counts only the files it writes).
 *
 * Compression streams through `node:zlib`, whose work runs on libuv's thread pool: the event
 * loop only moves chunks. Each run looks at the whole series rather than at the file a
 * `'rotate'` event named, so a file whose compression an exit interrupted is compressed by the
 * next run (at the next rotation, at close, or when a transport opens the series again). Runs
 * are queued, never concurrent.
 */
export class RotatedArchive {
  private queue: Promise<void> = Promise.resolve()

  constructor(
    private readonly base: string,
    private readonly rotation: ResolvedRotation,
    /** The file being written now: never compressed. */
    private readonly current: () => string,
    private readonly mode: number,
    private readonly report: (error: Error) => void,
  ) {}

  /** Compresses every finished file of the series; resolves when done (problems are reported, not thrown). */
  archiveFinished(): Promise<void> {
    this.queue = this.queue.then(() => this.run())
    return this.queue
  }

  /** Runs `task` when no compression runs, and none starts until it is done. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task)
    this.queue = result.then(
      () => {},
      () => {},
    )
    return result
  }

  private async run(): Promise<void> {
    const current = parseSeriesPath(this.base, this.current())
    // Only files before the current one: a file newer than what current() said may be one the
    // flusher thread has just opened and not yet published.
    const finished = listSeries(this.base).filter((f) => current && compareSeriesFiles(f, current) < 0)
    for (const file of finished) {
      try {
        await this.compress(file.path)
      } catch (err) {
        this.report(err as Error)
      }
    }
    try {
      await this.prune()
    } catch (err) {
      this.report(err as Error)
    }
  }

  /** `src` to `src.gz` through a temporary name, so a `.gz` is complete whenever it exists. */
  private async compress(src: string): Promise<void> {
    const dest = `${src}${ARCHIVE_SUFFIX}`
    const temp = `${dest}.partial`
    try {
      const before = await stat(src)
      await pipeline(createReadStream(src), createGzip(), createWriteStream(temp, { mode: this.mode }))
      // maxAge counts from the last entry written, not from the compression.
      await utimes(temp, before.atime, before.mtime)
    } catch (err) {
      await unlink(temp).catch(ignoreMissing)
      // Deleted meanwhile by the core's retention (maxFiles counts the plain files there).
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === src)
        return
      throw err
    }
    await rename(temp, dest)
    // The core's retention may have deleted it since it was read: the archive holds it now.
    await unlink(src).catch(ignoreMissing)
  }

  private async prune(): Promise<void> {
    const { maxFiles, maxAge } = this.rotation
    if (maxFiles === 0 && maxAge === 0) return
    const archives = await listArchives(this.base)
    const excess = maxFiles > 0 ? archives.length + listSeries(this.base).length - maxFiles : 0
    const now = Date.now()
    for (const [i, archive] of archives.entries()) {
      const old = maxAge > 0 && (await stat(archive.path)).mtimeMs < now - maxAge
      if (i < excess || old) await unlink(archive.path).catch(ignoreMissing)
    }
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err
}

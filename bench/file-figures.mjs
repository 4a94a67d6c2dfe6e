// What a scenario left on disk: the file's size, its lines, and how much of it sits in the page
// cache (the native library's mincore query). Residency is read first: counting the lines reads
// the file and would pull it into the cache.
import { closeSync, openSync, readSync, statSync } from 'node:fs'
import { loadNative } from '../packages/core/dist/shared/native-library.js'

/** Resident and total pages of `path`, or null without the native library. */
export function pageCacheResidency(path) {
  const native = loadNative()
  if (!native.ok) return null
  const out = new BigUint64Array(2)
  if (native.lib.cachedPages(path, out) < 0) return null
  const residentPages = Number(out[0])
  const totalPages = Number(out[1])
  return { residentPages, totalPages, pct: totalPages > 0 ? (residentPages / totalPages) * 100 : 0 }
}

/**
 * Newline bytes in the file: its lines. For a framed file only a rough figure (block headers and
 * length prefixes may hold 0x0a); the logger's `entriesWritten` is the one to trust there.
 */
export function countLines(path) {
  const fd = openSync(path, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
  let n = 0
  try {
    for (let pos = 0; ; ) {
      const got = readSync(fd, buf, 0, buf.length, pos)
      if (got === 0) break
      for (let i = buf.indexOf(10, 0); i !== -1 && i < got; i = buf.indexOf(10, i + 1)) n++
      pos += got
    }
  } finally {
    closeSync(fd)
  }
  return n
}

/** Size, page-cache residency and lines of the file a scenario wrote. */
export function fileFigures(path) {
  const bytes = statSync(path).size
  const residency = pageCacheResidency(path)
  return { bytes, residency, lines: countLines(path) }
}

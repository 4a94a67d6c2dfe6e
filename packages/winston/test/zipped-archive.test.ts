import { once } from 'node:events'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { listSeries } from '@asyncdirect/core/format'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport, type AsyncDirectTransportOptions } from '../dist/index.js'
import { removeTempDirs, tempDir } from './support/files.js'

// zippedArchive: each file the series moved on from is gzipped; together with the current file
// the archives hold every entry once, in order.

afterEach(removeTempDirs)

const SMALL = { maxsize: 16 * 1024, bufferSize: 64 * 1024, numShards: 2 }

function end(logger: winston.Logger): Promise<void> {
  const finished = once(logger, 'finish').then(() => undefined)
  logger.end()
  return finished
}

async function logSeq(
  options: AsyncDirectTransportOptions,
  from: number,
  to: number,
): Promise<AsyncDirectTransport> {
  const t = new AsyncDirectTransport(options)
  const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
  for (let i = from; i < to; i++) logger.info('request handled', { seq: i })
  await end(logger)
  return t
}

/** The seq fields of a lines file's text. */
function seqs(text: string): number[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { seq: number }).seq)
}

/** Every entry of the series: the archives gunzipped, oldest first, then the files not compressed. */
function allSeqs(dir: string, base: string): { archives: string[]; plain: string[]; seqs: number[] } {
  const archives = readdirSync(dir)
    .filter((n) => n.endsWith('.log.gz'))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  const plain = listSeries(base).map((f) => f.path)
  const text =
    archives.map((n) => gunzipSync(readFileSync(join(dir, n))).toString('utf8')).join('') +
    plain.map((p) => readFileSync(p, 'utf8')).join('')
  return { archives, plain, seqs: seqs(text) }
}

describe('zippedArchive', () => {
  it('gzips every rotated file; the current one stays plain; nothing lost or doubled', async () => {
    const dir = tempDir()
    const filename = join(dir, 'app.log')
    const t = await logSeq({ filename, zippedArchive: true, ...SMALL }, 0, 3000)
    const found = allSeqs(dir, filename)
    expect(found.archives.length).toBe(t.stats.rotations)
    expect(found.archives.length).toBeGreaterThan(3)
    expect(found.plain).toEqual([t.currentFile])
    expect(found.seqs).toEqual(Array.from({ length: 3000 }, (_, i) => i))
    // No temporary file left, and the archive keeps the time of its last entry.
    expect(readdirSync(dir).filter((n) => n.endsWith('.partial'))).toEqual([])
    for (const name of found.archives) {
      expect(statSync(join(dir, name)).mtimeMs).toBeLessThanOrEqual(statSync(t.currentFile).mtimeMs)
    }
  })

  it('maxFiles counts the archives: at most maxFiles files, holding the newest entries', async () => {
    const dir = tempDir()
    const filename = join(dir, 'app.log')
    await logSeq({ filename, zippedArchive: true, maxFiles: 3, ...SMALL }, 0, 3000)
    const found = allSeqs(dir, filename)
    expect(found.archives.length + found.plain.length).toBe(3)
    expect(found.seqs.length).toBeGreaterThan(0)
    expect(found.seqs).toEqual(
      Array.from({ length: found.seqs.length }, (_, i) => 3000 - found.seqs.length + i),
    )
  })

  it('rotated files an earlier run left plain are compressed by the next transport on the series', async () => {
    const dir = tempDir()
    const filename = join(dir, 'app.log')
    await logSeq({ filename, ...SMALL }, 0, 1000)
    const before = listSeries(filename).length
    expect(before).toBeGreaterThan(2)
    await logSeq({ filename, zippedArchive: true, ...SMALL }, 1000, 1001)
    const found = allSeqs(dir, filename)
    expect(found.plain).toHaveLength(1)
    expect(found.archives.length).toBeGreaterThanOrEqual(before - 1)
    expect(found.seqs).toEqual(Array.from({ length: 1001 }, (_, i) => i))
  })

  it('without rotation there is nothing to compress, as with File', async () => {
    const dir = tempDir()
    const filename = join(dir, 'app.log')
    await logSeq({ filename, zippedArchive: true }, 0, 10)
    expect(readdirSync(dir)).toEqual(['app.log'])
  })
})

import { once } from 'node:events'
import { lstatSync, readlinkSync, renameSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { listSeries } from '@asyncdirect/core/format'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport } from '../dist/index.js'
import { fileJson, removeTempDirs, tempDir } from './support/files.js'

// Rotation and reopen through winston: the options reach the core, the files hold every entry.

afterEach(() => removeTempDirs())

function end(logger: winston.Logger): Promise<void> {
  const finished = once(logger, 'finish').then(() => undefined)
  logger.end()
  return finished
}

describe('AsyncDirectTransport rotation', () => {
  it('rotate: { size, maxFiles, symlink } writes a series; every entry once, in order, in the kept files', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({
      filename,
      bufferSize: 64 * 1024,
      numShards: 2,
      rotate: { size: '16KiB', maxFiles: 100, symlink: true },
    })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    for (let i = 0; i < 2000; i++) logger.info('request handled', { seq: i })
    await t.flush()
    expect(lstatSync(filename).isSymbolicLink()).toBe(true)
    expect(join(dirname(filename), readlinkSync(filename))).toBe(t.currentFile)
    await end(logger)
    const files = listSeries(filename)
    expect(files.length).toBeGreaterThan(5)
    const seqs = files.flatMap((f) => fileJson(f.path).map((e) => e.seq))
    expect(seqs).toEqual(Array.from({ length: 2000 }, (_, i) => i))
    expect(t.stats.rotations).toBe(files.length - 1)
  })

  it('reopen() after an external rename: the old file is complete, the new one gets the rest', async () => {
    const filename = join(tempDir(), 'app.log')
    const t = new AsyncDirectTransport({ filename })
    const logger = winston.createLogger({ format: winston.format.json(), transports: [t] })
    for (let i = 0; i < 100; i++) logger.info('before', { seq: i })
    renameSync(filename, `${filename}.1`)
    await t.reopen()
    for (let i = 100; i < 200; i++) logger.info('after', { seq: i })
    await end(logger)
    expect(fileJson(`${filename}.1`).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i))
    expect(fileJson(filename).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i))
  })

  it('an invalid rotate option is named', () => {
    expect(
      () => new AsyncDirectTransport({ filename: join(tempDir(), 'x.log'), rotate: { size: 'big' } }),
    ).toThrow(/rotate\.size.*'64MiB'/)
  })
})

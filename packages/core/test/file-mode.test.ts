import { renameSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { listSeries } from '../dist/format.js'
import { open, tempDir } from './support/temp-loggers.js'

// Every file a logger creates (the first one, the next ones of a rotated series, the one a
// reopen() finds missing) gets 0o666 minus the process umask by default, as files `fs.open`,
// pino.destination() and winston's File transport create do; an explicit `mode` replaces 0o666,
// the umask still applies to it.

let savedUmask = 0
beforeEach(() => {
  savedUmask = process.umask()
})
afterEach(() => {
  process.umask(savedUmask)
})

const modeOf = (path: string): number => statSync(path).mode & 0o7777

describe.each(['lines', 'framed'] as const)('new files, %s format', (format) => {
  it.each([0o022, 0o002, 0o077])('the default mode is 0o666 minus the umask (umask %o)', async (umask) => {
    process.umask(umask)
    const path = join(tempDir(), 'app.log')
    const logger = await open({ path, format })
    logger.log('created')
    await logger.close()
    expect(modeOf(path)).toBe(0o666 & ~umask)
  })

  it('an explicit mode is kept, under the umask', async () => {
    process.umask(0o022)
    const dir = tempDir()
    const logger = await open({ path: join(dir, 'private.log'), format, mode: 0o600 })
    await logger.close()
    expect(modeOf(join(dir, 'private.log'))).toBe(0o600)
    const other = await open({ path: join(dir, 'wide.log'), format, mode: 0o666 })
    await other.close()
    expect(modeOf(join(dir, 'wide.log'))).toBe(0o644)
  })

  it('the files of a rotated series and the file a reopen() creates get the same mode', async () => {
    process.umask(0o027)
    const dir = tempDir()
    const base = join(dir, 'series.log')
    const logger = await open({
      path: base,
      format,
      bufferSize: 64 * 1024,
      numShards: 2,
      rotate: { size: 8192 },
    })
    for (let i = 0; i < 400; i++) logger.log(`entry ${i} ${'r'.repeat(60)}`)
    await logger.close()
    const files = listSeries(base)
    expect(files.length).toBeGreaterThan(1)
    expect(files.map((f) => modeOf(f.path))).toEqual(files.map(() => 0o640))

    const path = join(dir, 'reopened.log')
    const reopened = await open({ path, format })
    reopened.log('before')
    renameSync(path, `${path}.1`)
    await reopened.reopen()
    reopened.log('after')
    await reopened.close()
    expect(modeOf(path)).toBe(0o640)
    expect(modeOf(`${path}.1`)).toBe(0o640)
  })
})

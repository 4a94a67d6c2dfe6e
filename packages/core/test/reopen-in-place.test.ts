import { copyFileSync, readdirSync, readlinkSync, truncateSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runNode } from '../../../test-support/node-child.js'
import { listSeries } from '../dist/format.js'
import { type Logger, readEntries } from '../dist/index.js'
import { open, tempDir } from './support/temp-loggers.js'

// reopen() of a file that is still where it was: nothing renamed it (a SIGHUP sent for nothing,
// a truncation), or the logger rotates its own series, whose current file nobody else moves. The logger already holds that file's lock; the reopen keeps it rather than trip
// over it, goes on in the same file, and leaks no descriptor.

const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.mjs', import.meta.url))
const KiB = 1024

async function fileEntries(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString('utf8'))
  return out
}

function entries(n: number, tag: string): string[] {
  return Array.from({ length: n }, (_, i) => `{"${tag}":${i},"pad":"${'p'.repeat((i * 131) % 900)}"}`)
}

/** How many descriptors this process has open. */
const openDescriptors = (): number => readdirSync('/proc/self/fd').length

/** The next 'rotate' event a reopen causes (a size rotation may come first). */
function nextReopen(logger: Logger): Promise<unknown> {
  return new Promise((resolve) => {
    const onRotate = (event: { reason: string }) => {
      if (event.reason !== 'reopen') return
      logger.off('rotate', onRotate)
      resolve(event)
    }
    logger.on('rotate', onRotate)
  })
}

async function reopened(logger: Logger): Promise<unknown> {
  const moved = nextReopen(logger)
  await logger.reopen()
  return moved
}

describe.each(['lines', 'framed'] as const)('reopen() of the file it writes, %s format', (format) => {
  it('goes on in the same file, keeps the lock against other processes, and leaks no descriptor', async () => {
    const path = join(tempDir(), 'app.log')
    const logger = await open({ path, format })
    const before = entries(300, 'before')
    const after = entries(300, 'after')
    for (const e of before) logger.log(e)
    expect(await reopened(logger)).toEqual({ from: path, to: path, reason: 'reopen' })
    // The kept lock's descriptor and the new one written through: a constant count from here.
    const fds = openDescriptors()
    for (let i = 0; i < 20; i++) await logger.reopen()
    expect(openDescriptors()).toBe(fds)
    const other = await runNode([LOCK_CHILD, path, 'another process'])
    expect(other.code, other.stdout).toBe(2)
    expect(other.stderr).toContain('ASYNCDIRECT_FILE_LOCKED')
    for (const e of after) logger.log(e)
    await logger.close()
    expect(await fileEntries(path)).toEqual([...before, ...after])
    const s = logger.getStatsSnapshot()
    expect(s.rotations).toBe(21)
    expect(s.rotationErrors).toBe(0)
  })

  // Not a way to rotate (README: entries buffered at the truncation would land after a hole),
  // but the reopen reads where the file ends now rather than trusting the old offset.
  it('after the file was copied and truncated with nothing buffered, it starts again from empty', async () => {
    const path = join(tempDir(), 'app.log')
    const logger = await open({ path, format })
    const before = entries(300, 'before')
    const after = entries(300, 'after')
    for (const e of before) logger.log(e)
    await logger.flush()
    copyFileSync(path, `${path}.1`)
    truncateSync(path, 0)
    await logger.reopen()
    for (const e of after) logger.log(e)
    await logger.close()
    expect(await fileEntries(`${path}.1`)).toEqual(before)
    expect(await fileEntries(path)).toEqual(after)
  })

  it('with size rotation and a symlink: goes on in the current series file; every entry once, in order', async () => {
    const base = join(tempDir(), 'app.log')
    const logger = await open({ path: base, format, rotate: { size: 64 * KiB, symlink: true } })
    const before = entries(400, 'before')
    const after = entries(400, 'after')
    for (const e of before) logger.log(e)
    await logger.flush()
    const current = logger.file
    expect(await reopened(logger)).toEqual({ from: current, to: current, reason: 'reopen' })
    expect(readlinkSync(base)).toBe(current.slice(current.lastIndexOf('/') + 1))
    for (const e of after) logger.log(e)
    await logger.close()
    const all: string[] = []
    for (const f of listSeries(base)) all.push(...(await fileEntries(f.path)))
    expect(all).toEqual([...before, ...after])
    expect(listSeries(base).length).toBeGreaterThan(2)
    expect(logger.getStatsSnapshot().rotationErrors).toBe(0)
  })
})

describe('reopenOnSignal with rotation', () => {
  it('SIGHUP reopens the current series file and logging goes on', async () => {
    const base = join(tempDir(), 'hup.log')
    const logger = await open({
      path: base,
      format: 'lines',
      rotate: { size: 64 * KiB },
      reopenOnSignal: 'SIGHUP',
    })
    const before = entries(200, 'before')
    const after = entries(200, 'after')
    for (const e of before) logger.log(e)
    const moved = nextReopen(logger)
    process.kill(process.pid, 'SIGHUP')
    expect(await moved).toMatchObject({ reason: 'reopen' })
    for (const e of after) logger.log(e)
    await logger.close()
    const all: string[] = []
    for (const f of listSeries(base)) all.push(...(await fileEntries(f.path)))
    expect(all).toEqual([...before, ...after])
    expect(logger.getStatsSnapshot().rotationErrors).toBe(0)
  })
})

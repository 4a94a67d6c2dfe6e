import { once } from 'node:events'
import { mkdirSync, readFileSync, renameSync, rmdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { type IoError, type LogFormat, type Logger, readEntries } from '../dist/index.js'
import { until } from './support/deadlines.js'
import { open, tempDir } from './support/temp-loggers.js'

// A reopen() that cannot open the path again (after logrotate, the path became a directory, or
// its directory went away) changes nothing: it rejects, is reported ('error' event, or a process
// warning without a listener) and counted in rotationErrors, and the logger goes on writing the
// file it had, every later entry kept, none dropped. Failures root cannot bypass, since the tests
// run as root: a directory where the file was, and a directory removed.

/** A small logger: the entries logged after the failure fill and write many sets. */
const SMALL = { bufferSize: 64 * 1024, numShards: 2 }

async function entriesOf(path: string, format: LogFormat): Promise<string[]> {
  if (format === 'lines') return readFileSync(path, 'utf8').split('\n').slice(0, -1)
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString('utf8'))
  return out
}

function numbered(tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `{"${tag}":${i},"pad":"${'p'.repeat((i * 53) % 400)}"}`)
}

interface Breakage {
  /** The errno the reopen meets. */
  code: string
  /** Moves the logger's file to `moved` and makes `path` impossible to open. */
  breakPath(path: string, moved: string): void
  /** Makes `path` possible to open again. */
  repair(path: string): void
}

const breakages: Record<string, Breakage> = {
  'the path is now a directory': {
    code: 'EISDIR',
    breakPath(path, moved) {
      renameSync(path, moved)
      mkdirSync(path)
    },
    repair(path) {
      rmdirSync(path)
    },
  },
  "the file's directory was removed": {
    code: 'ENOENT',
    breakPath(path, moved) {
      renameSync(path, moved)
      rmdirSync(join(path, '..'))
    },
    repair(path) {
      mkdirSync(join(path, '..'))
    },
  },
}

/** A logger on `<tmp>/logs/app.log`, and where its file is moved to (outside `logs`). */
async function brokenLogger(format: LogFormat, breakage: Breakage) {
  const root = tempDir()
  mkdirSync(join(root, 'logs'))
  const path = join(root, 'logs', 'app.log')
  const moved = join(root, 'app.log.1')
  const logger = await open({ path, format, ...SMALL })
  return { logger, path, moved, breakPath: () => breakage.breakPath(path, moved) }
}

function expectNothingLost(logger: Logger, logged: number): void {
  const s = logger.getStatsSnapshot()
  expect(s.totalLogs).toBe(logged)
  expect(s.droppedLogs).toBe(0)
  expect(s.abandonedEntries).toBe(0)
  expect(s.entriesWritten).toBe(logged)
}

describe.each(['lines', 'framed'] as const)('a failed reopen(), %s format', (format) => {
  describe.each(Object.entries(breakages))('%s', (_, breakage) => {
    it('rejects and reports; every later entry goes into the file it had, none dropped', async () => {
      const { logger, moved, breakPath } = await brokenLogger(format, breakage)
      // The event comes from the flusher thread, as a message: before or after the rejection.
      const reported = once(logger, 'error')
      const before = numbered('before', 200)
      for (const e of before) logger.log(e)
      breakPath()
      const rejected = await logger.reopen().then(
        () => null,
        (e: IoError) => e,
      )
      expect(rejected).toMatchObject({ name: 'IoError', code: breakage.code, syscall: 'reopen' })
      expect(rejected!.message).toContain('goes on writing')
      expect((await reported)[0]).toMatchObject({ name: 'IoError', code: breakage.code })
      const after = numbered('after', 2000)
      for (const e of after) expect(logger.log(e)).toBe(true)
      await logger.flush()
      expect(await entriesOf(moved, format)).toEqual([...before, ...after])
      await logger.close()
      expect(await entriesOf(moved, format)).toEqual([...before, ...after])
      expectNothingLost(logger, before.length + after.length)
      expect(logger.getStatsSnapshot().rotationErrors).toBe(1)
      expect(logger.getStatsSnapshot().rotations).toBe(0)
    })

    it('a later reopen(), once the path can be opened, moves to it', async () => {
      const { logger, path, moved, breakPath } = await brokenLogger(format, breakage)
      const reported = once(logger, 'error')
      logger.log('first')
      breakPath()
      await expect(logger.reopen()).rejects.toMatchObject({ code: breakage.code })
      await reported
      logger.log('while broken')
      breakage.repair(path)
      const rotated = once(logger, 'rotate')
      await logger.reopen()
      expect((await rotated)[0]).toMatchObject({ reason: 'reopen', to: path })
      logger.log('in the new file')
      await logger.close()
      expect(await entriesOf(moved, format)).toEqual(['first', 'while broken'])
      expect(await entriesOf(path, format)).toEqual(['in the new file'])
      expectNothingLost(logger, 3)
      expect(logger.getStatsSnapshot()).toMatchObject({ rotationErrors: 1, rotations: 1 })
    })
  })

  it('reopenOnSignal: a reopen the signal asked for that fails is reported, and logging goes on', async () => {
    const root = tempDir()
    mkdirSync(join(root, 'logs'))
    const path = join(root, 'logs', 'app.log')
    const logger = await open({ path, format, ...SMALL, reopenOnSignal: 'SIGUSR2' })
    const reported = once(logger, 'error')
    logger.log('before the signal')
    renameSync(path, join(root, 'moved.log'))
    mkdirSync(path)
    process.kill(process.pid, 'SIGUSR2')
    expect((await reported)[0]).toMatchObject({ code: 'EISDIR' })
    logger.log('after the signal')
    await logger.close()
    expect(await entriesOf(join(root, 'moved.log'), format)).toEqual([
      'before the signal',
      'after the signal',
    ])
    expectNothingLost(logger, 2)
  })
})

describe('a failed reopen() nobody listens to', () => {
  // Once per process and errno (warn-once.ts): so in one format only.
  it("without an 'error' listener: one process warning instead of a crash, and nothing lost", async () => {
    const { logger, moved, breakPath } = await brokenLogger(
      'lines',
      breakages['the path is now a directory']!,
    )
    logger.log('kept')
    breakPath()
    await expect(logger.reopen()).rejects.toMatchObject({ code: 'EISDIR' })
    logger.log('kept too')
    await logger.close()
    await until(() => takeWarnings('ASYNCDIRECT_WARNING', 'EISDIR').length === 1, 'the warning was emitted')
    expect(await entriesOf(moved, 'lines')).toEqual(['kept', 'kept too'])
    expectNothingLost(logger, 2)
  })
})

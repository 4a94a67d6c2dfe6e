import { realpathSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createLogger, type LogFormat, type Logger } from '../dist/index.js'
import { AFTER_A_POLL, run, sleep, start } from './support/cli-process.js'
import { tempDir } from './support/temp-loggers.js'

// Rotated series (format/series.ts: app.log -> app.<stamp>.<n>.log) and logrotate, as the CLI reads
// them: `cat` in series order, `tail -f` across rotations. Rotation is simulated the way the
// engine does it: one logger closed, the next opened on a fresh file; the symlink is moved on
// atomically (a new link renamed over the old one).

const FORMATS: LogFormat[] = ['framed', 'lines']

function openLog(path: string, format: LogFormat): Promise<Logger> {
  return createLogger({ path, format, bufferSize: 64 * 1024, numShards: 1 })
}

/** Writes a whole file of `entries` with the engine. */
async function writeLog(path: string, format: LogFormat, entries: string[]): Promise<void> {
  const logger = await openLog(path, format)
  for (const e of entries) logger.log(e)
  await logger.close()
}

/** Points the symlink `link` at `target` (same directory) in one step, as a rotating writer does. */
function pointLink(link: string, target: string): void {
  symlinkSync(basename(target), `${link}.new`)
  renameSync(`${link}.new`, link)
}

const lines = (...entries: string[]) => entries.map((e) => `${e}\n`).join('')

describe('cat of a rotated series', () => {
  it('prints a shuffled list of series files oldest first, both formats, other files in place', async () => {
    const dir = realpathSync(tempDir())
    // Daily framed files (10 sorts after 2 as a number), hourly lines files, and a file outside any series.
    const app = ['2026-11-24.1', '2026-11-24.2', '2026-11-24.10', '2026-11-25.1']
    const req = ['2026-11-24T13.1', '2026-11-24T13.2', '2026-11-24T14.1']
    const appPath = (s: string) => join(dir, `app.${s}.log`)
    const reqPath = (s: string) => join(dir, `req.${s}.ndjson`)
    for (const s of app) await writeLog(appPath(s), 'framed', [`app ${s} a`, `app ${s} b`])
    for (const s of req) await writeLog(reqPath(s), 'lines', [`{"req":"${s}","i":0}`, `{"req":"${s}","i":1}`])
    const other = join(dir, 'other.log')
    writeFileSync(other, 'other 1\nother 2\n')

    const r = await run([
      'cat',
      appPath('2026-11-25.1'),
      reqPath('2026-11-24T14.1'),
      other,
      appPath('2026-11-24.10'),
      reqPath('2026-11-24T13.1'),
      appPath('2026-11-24.1'),
      reqPath('2026-11-24T13.2'),
      appPath('2026-11-24.2'),
    ])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(
      lines(
        ...app.flatMap((s) => [`app ${s} a`, `app ${s} b`]),
        ...req.flatMap((s) => [`{"req":"${s}","i":0}`, `{"req":"${s}","i":1}`]),
        'other 1',
        'other 2',
      ),
    )
  })

  it('skips the series symlink when its target is listed; --series prints the whole series', async () => {
    const dir = realpathSync(tempDir())
    const stamps = ['2026-11-24.1', '2026-11-24.2', '2026-11-25.1']
    const file = (s: string) => join(dir, `app.${s}.log`)
    for (const s of stamps) await writeLog(file(s), 'lines', [`${s} a`, `${s} b`])
    const link = join(dir, 'app.log')
    pointLink(link, file('2026-11-25.1'))
    const all = lines(...stamps.flatMap((s) => [`${s} a`, `${s} b`]))

    // As `app*.log` expands, the link last or first: each entry once, in order.
    const listed = stamps.map(file)
    expect(await run(['cat', ...listed, link])).toEqual({ code: 0, stdout: all, stderr: '' })
    expect(await run(['cat', link, ...listed.reverse()])).toEqual({ code: 0, stdout: all, stderr: '' })

    // The link alone is the current file, as cat would print it.
    expect(await run(['cat', link])).toEqual({
      code: 0,
      stdout: lines('2026-11-25.1 a', '2026-11-25.1 b'),
      stderr: '',
    })
    // --series: the whole series, from the link or from any of its files.
    expect(await run(['cat', '--series', link])).toEqual({ code: 0, stdout: all, stderr: '' })
    expect(await run(['cat', '-s', file('2026-11-24.2')])).toEqual({ code: 0, stdout: all, stderr: '' })
    // Two FILEs of one series stand for it once.
    expect(await run(['cat', '-s', link, file('2026-11-25.1')])).toEqual({ code: 0, stdout: all, stderr: '' })

    // Without the link (rotation without symlink): the configured path is not a file; say where
    // its entries are. --series reads them.
    unlinkSync(link)
    const missing = await run(['cat', link])
    expect(missing.code).toBe(2)
    expect(missing.stdout).toBe('')
    expect(missing.stderr).toBe(
      `asyncdirect: cannot read ${link}: ENOENT (no such file)\n` +
        `asyncdirect: ${link} is the configured path of 3 rotated files; print them in order with: asyncdirect cat --series ${link}\n`,
    )
    expect(await run(['cat', '--series', link])).toEqual({ code: 0, stdout: all, stderr: '' })

    const nothing = join(dir, 'nothing.log')
    const none = await run(['cat', '--series', nothing])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain(`cannot read ${nothing}: ENOENT`)
  })
})

describe('tail -f across rotations', () => {
  for (const format of FORMATS) {
    it(`follows the series symlink to each new file, and files it skipped over (${format})`, async () => {
      const dir = realpathSync(tempDir())
      const link = join(dir, 'app.log')
      const file = (n: number) => join(dir, `app.2026-11-25.${n}.log`)

      let logger = await openLog(file(1), format)
      pointLink(link, file(1))
      logger.log('a0')
      logger.log('a1')
      await logger.flush()
      const tail = start(['tail', '-f', '-n', '100', link])
      await tail.waitFor((s) => s === lines('a0', 'a1'), 'the existing entries')
      logger.log('a2')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a2')), 'an appended entry')

      // Rotation: the old file gets its last entry as its logger closes; a fresh file, then the link.
      logger.log('a3')
      await logger.close()
      logger = await openLog(file(2), format)
      pointLink(link, file(2))
      logger.log('b0')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a3', 'b0')), 'the second file')
      logger.log('b1')
      await logger.close()

      // Two rotations between looks: file 3 is complete before the link jumps from 2 to 4.
      await writeLog(file(3), format, ['c0', 'c1'])
      logger = await openLog(file(4), format)
      logger.log('d0')
      await logger.flush()
      pointLink(link, file(4))
      await tail.waitFor((s) => s.endsWith(lines('d0')), 'the fourth file')
      logger.log('d1')
      await logger.close()
      await tail.waitFor((s) => s.endsWith(lines('d1')), 'the fourth file growing')

      expect(await tail.stop()).toBe(0)
      expect(tail.stdout).toBe(lines('a0', 'a1', 'a2', 'a3', 'b0', 'b1', 'c0', 'c1', 'd0', 'd1'))
      expect(tail.stderr).toContain(`${link} has moved on to ${file(2)}; following it`)
      expect(tail.stderr).toContain(`reading ${file(3)}`)
    })

    it(`follows logrotate's rename and new file, reading the old one until the reopen (${format})`, async () => {
      const dir = realpathSync(tempDir())
      const path = join(dir, 'app.log')
      let logger = await openLog(path, format)
      logger.log('a0')
      logger.log('a1')
      await logger.flush()
      const tail = start(['tail', '-f', path])
      await tail.waitFor((s) => s === lines('a0', 'a1'), 'the existing entries')

      // logrotate (create mode): renamed away, an empty file created at the path. The application
      // has not reopened yet and goes on writing to the renamed file.
      renameSync(path, `${path}.1`)
      writeFileSync(path, '')
      await sleep(AFTER_A_POLL)
      logger.log('a2')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a2')), 'an entry written to the renamed file')

      // reopen(): the old file closed (its last entry flushed), a logger on the new file.
      logger.log('a3')
      await logger.close()
      logger = await openLog(path, format)
      logger.log('b0')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a3', 'b0')), 'the new file')
      logger.log('b1')
      await logger.close()
      await tail.waitFor((s) => s.endsWith(lines('b1')), 'the new file growing')

      expect(await tail.stop()).toBe(0)
      expect(tail.stdout).toBe(lines('a0', 'a1', 'a2', 'a3', 'b0', 'b1'))
      expect(tail.stderr).toContain(`${path} has been replaced; following the new file`)
    })

    it(`follows the newest series file when the path does not exist (${format})`, async () => {
      const dir = realpathSync(tempDir())
      const path = join(dir, 'app.log')
      const file = (n: number) => join(dir, `app.2026-11-25T13.${n}.log`)

      let logger = await openLog(file(1), format)
      logger.log('a0')
      logger.log('a1')
      await logger.flush()
      const tail = start(['tail', '-f', '-n', '1', path])
      await tail.waitFor((s) => s === lines('a1'), 'the last existing entry')
      expect(tail.stderr).toBe(
        `asyncdirect: ${path} does not exist; following the newest file of its series, ${file(1)}\n`,
      )
      logger.log('a2')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a2')), 'an appended entry')

      logger.log('a3')
      await logger.close()
      logger = await openLog(file(2), format)
      logger.log('b0')
      await logger.flush()
      await tail.waitFor((s) => s.endsWith(lines('a3', 'b0')), 'the newer file')
      logger.log('b1')
      await logger.close()

      // Two files appear together (written under other names, then renamed into the series).
      await writeLog(join(dir, 'next-3.log'), format, ['c0', 'c1'])
      await writeLog(join(dir, 'next-4.log'), format, ['d0', 'd1'])
      renameSync(join(dir, 'next-3.log'), file(3))
      renameSync(join(dir, 'next-4.log'), file(4))
      await tail.waitFor((s) => s.endsWith(lines('d1')), 'the files that appeared together')

      // The newest file deleted by hand: the follower does not go back to the older ones.
      rmSync(file(4))
      await sleep(AFTER_A_POLL)
      await writeLog(file(5), format, ['e0'])
      await tail.waitFor((s) => s.endsWith(lines('e0')), 'a file after the deleted one')

      expect(await tail.stop()).toBe(0)
      expect(tail.stdout).toBe(lines('a1', 'a2', 'a3', 'b0', 'b1', 'c0', 'c1', 'd0', 'd1', 'e0'))

      // Without -f, tail reads the file -f would start with.
      expect(await run(['tail', '-n', '2', path])).toEqual({
        code: 0,
        stdout: lines('e0'),
        stderr: `asyncdirect: ${path} does not exist; reading the newest file of its series, ${file(5)}\n`,
      })
    })
  }
})

describe('the CLI with the engine rotating', () => {
  for (const format of FORMATS) {
    it(`tail -f on the symlink and cat of the series see every entry once, in order (${format})`, async () => {
      const dir = realpathSync(tempDir())
      const base = join(dir, 'app.log')
      const logger = await createLogger({
        path: base,
        format,
        bufferSize: 64 * 1024,
        numShards: 1,
        rotate: { size: 16 * 1024, symlink: true },
      })
      logger.log('e0')
      await logger.flush()
      const tail = start(['tail', '-f', '-n', '100', base])
      await tail.waitFor((s) => s === lines('e0'), 'the first entry')
      const all = ['e0']
      // Batches with a flush between them: the follower sees the rotations one after another.
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 100; i++) {
          const e = `e${all.length} ${'x'.repeat(100)}`
          logger.log(e)
          all.push(e)
        }
        await logger.flush()
        await sleep(100)
      }
      await logger.close()
      expect(logger.getStatsSnapshot().rotations).toBeGreaterThan(3)
      await tail.waitFor((s) => s.endsWith(lines(all.at(-1)!)), 'the last entry')
      expect(await tail.stop()).toBe(0)
      expect(tail.stdout).toBe(lines(...all))
      const cat = await run(['cat', '--series', base])
      expect(cat.code).toBe(0)
      expect(cat.stdout).toBe(lines(...all))
    })
  }
})

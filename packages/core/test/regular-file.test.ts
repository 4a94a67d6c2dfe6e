import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runNode } from '../../../test-support/node-child.js'
import { ConfigError, createLogger } from '../dist/index.js'
import { tempDir } from './support/temp-loggers.js'

// A log is a regular file. A path naming a FIFO, a device or a socket is refused with a
// ConfigError that says what it is: opening a FIFO for writing blocks until a reader comes, which
// blocked the event loop in createLogger() (and the flusher thread in a reopen()) forever, and a
// character device took the logger into retrying writes it can never make. The cases that could
// block run in a child process, so that a regression fails by its deadline instead of hanging
// the test run.

const DIST = new URL('../dist/index.js', import.meta.url).href

async function inChild(script: string): Promise<Record<string, unknown>> {
  const child = await runNode(['--input-type=module', '-e', script])
  expect(child.hung, 'the child hung (killed at its deadline)').toBe(false)
  expect(child.code, child.stderr).toBe(0)
  // Refusals are errors, reported where they belong: no process warning on the side.
  expect(child.stderr).toBe('')
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!)
}

const REPORT_ERROR = `(e) => console.log(JSON.stringify({ name: e.name, code: e.code, field: e.field, message: e.message }))`

describe('a path that is not a regular file', () => {
  for (const format of ['lines', 'framed'] as const) {
    it(`${format}: a FIFO is refused at once, naming what it is (the open would block)`, async () => {
      const fifo = join(tempDir(), 'app.log')
      execFileSync('mkfifo', [fifo])
      const got = await inChild(`
        import { createLogger } from ${JSON.stringify(DIST)}
        await createLogger({ path: ${JSON.stringify(fifo)}, format: '${format}' }).then(
          async (l) => { await l.close(); console.log(JSON.stringify({ opened: true })) },
          ${REPORT_ERROR})`)
      expect(got).toMatchObject({ name: 'ConfigError', code: 'ASYNCDIRECT_INVALID_CONFIG', field: 'path' })
      expect(got.message).toContain(`${fifo} is a FIFO (named pipe)`)
      expect(got.message).toContain('regular files only')
    })
  }

  it('a character device (/dev/null) is refused the same way', async () => {
    const err = await createLogger({ path: '/dev/null' }).then(
      async (l) => {
        await l.close()
        return null
      },
      (e: unknown) => e,
    )
    expect(err).toBeInstanceOf(ConfigError)
    expect(err).toMatchObject({ code: 'ASYNCDIRECT_INVALID_CONFIG', field: 'path' })
    expect((err as Error).message).toContain('/dev/null is a character device')
  })

  it('reopen() onto a FIFO put where the file was: rejected and reported, the logger goes on in its file', async () => {
    const dir = tempDir()
    const path = join(dir, 'app.log')
    const moved = join(dir, 'app.log.1')
    const got = await inChild(`
      import { execFileSync } from 'node:child_process'
      import { renameSync } from 'node:fs'
      import { createLogger } from ${JSON.stringify(DIST)}
      const logger = await createLogger({ path: ${JSON.stringify(path)} })
      const errors = []
      logger.on('error', (e) => errors.push({ code: e.code, message: e.message }))
      logger.log('before')
      await logger.flush()
      renameSync(${JSON.stringify(path)}, ${JSON.stringify(moved)})
      execFileSync('mkfifo', [${JSON.stringify(path)}])
      const reopened = await logger.reopen().then(() => 'resolved', (e) => e.code)
      logger.log('after')
      await logger.close()
      const s = logger.getStatsSnapshot()
      console.log(JSON.stringify({ reopened, errors, rotationErrors: s.rotationErrors, dropped: s.droppedLogs }))`)
    expect(got.reopened).not.toBe('resolved')
    // Reported from the flusher thread, the explanation intact across threads.
    expect(got.errors).toEqual([
      { code: 'ASYNCDIRECT_INVALID_CONFIG', message: expect.stringContaining(`${path} is a FIFO`) },
    ])
    expect(got).toMatchObject({ rotationErrors: 1, dropped: 0 })
    // Both entries are in the file the logger had: the FIFO was never written.
    expect(readFileSync(moved, 'utf8')).toBe('before\nafter\n')
  })
})

describe('a log file directly in the root directory', () => {
  it('keeps its name (the directory part of "/" was cut one character too long)', async () => {
    const name = `asyncdirect-test-${process.pid}-${Date.now()}.log`
    const path = join('/', name)
    const cut = join('/', name.slice(1))
    try {
      const logger = await createLogger({ path })
      expect(logger.path).toBe(path)
      logger.log('at the root')
      await logger.close()
      expect(readFileSync(path, 'utf8')).toBe('at the root\n')
      expect(existsSync(cut)).toBe(false)
    } finally {
      rmSync(path, { force: true })
      rmSync(cut, { force: true })
    }
  })
})

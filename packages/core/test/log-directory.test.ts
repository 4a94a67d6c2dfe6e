import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runNodeSync } from '../../../test-support/node-child.js'
import { createLogger, IoError } from '../dist/index.js'
import { tempDir } from './support/temp-loggers.js'

// A log file that cannot be created where the configuration asks says what is really wrong, as an
// IoError with the errno name as `code`: a missing directory, a directory whose file system takes
// no new files (procfs), a path component that is a file, a directory `mkdir: true` may not create.

const DIST = new URL('../dist/index.js', import.meta.url).href
const NOBODY = 65534

async function refusal(config: Parameters<typeof createLogger>[0]): Promise<IoError> {
  const err = await createLogger(config).then(
    async (logger) => {
      await logger.close()
      return null
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(IoError)
  // An errno name as its code, and that name's number.
  expect((err as IoError).code).toMatch(/^E[A-Z0-9]+$/)
  expect((err as IoError).errno).toBeGreaterThan(0)
  return err as IoError
}

describe('a log file that cannot be created', () => {
  it('under /proc: the directory exists, its file system allows no new files (not "does not exist")', async () => {
    const err = await refusal({ path: '/proc/asyncdirect-test.log' })
    expect(err.code).toBe('ENOENT')
    expect(err.message).toContain('/proc exists, but its file system (proc) does not allow creating files')
    expect(err.message).not.toMatch(/does not exist/)
  })

  it('under /proc with mkdir: true: an IoError from mkdir, at once (a recursive mkdir loops there)', async () => {
    const err = await refusal({ path: '/proc/asyncdirect-test/app.log', mkdir: true })
    expect(err).toMatchObject({ code: 'ENOENT', syscall: 'mkdir', path: '/proc/asyncdirect-test' })
    expect(err.message).toContain('file system (proc) does not allow creating directories')
  })

  it('mkdir: true through a regular file: ENOTDIR naming the file', async () => {
    const dir = tempDir()
    const file = join(dir, 'plain-file')
    writeFileSync(file, '')
    const err = await refusal({ path: join(file, 'logs', 'app.log'), mkdir: true })
    expect(err).toMatchObject({ code: 'ENOTDIR', syscall: 'mkdir', path: file })
    expect(err.message).toContain('is not a directory')
  })

  it('mkdir: true without permission: IoError EACCES from mkdir, naming the directory (as user nobody)', () => {
    const dir = tempDir()
    chmodSync(dir, 0o755) // searchable by nobody, not writable
    const wanted = join(dir, 'logs')
    const script = `
      import { createLogger } from ${JSON.stringify(DIST)}
      try {
        await createLogger({ path: ${JSON.stringify(join(wanted, 'app.log'))}, mkdir: true })
        console.log(JSON.stringify({ ok: true }))
      } catch (e) {
        console.log(JSON.stringify({ name: e.name, code: e.code, syscall: e.syscall, path: e.path, message: e.message }))
      }`
    const child = runNodeSync(['--input-type=module', '-e', script], { uid: NOBODY, gid: NOBODY })
    expect(child.status, child.stderr).toBe(0)
    const got = JSON.parse(child.stdout)
    expect(got).toMatchObject({ name: 'IoError', code: 'EACCES', syscall: 'mkdir', path: wanted })
    expect(got.message).toContain(`no permission to write in ${dir}`)
    expect(existsSync(wanted)).toBe(false)
  })
})

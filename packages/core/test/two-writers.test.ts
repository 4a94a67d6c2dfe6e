import { type ChildProcess, spawn } from 'node:child_process'
import { symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger, FileLockedError, openLogger, readEntries } from '../dist/index.js'
import { within } from './support/deadlines.js'
import { open, tempDir } from './support/temp-loggers.js'

// One writer per file, and the refusal says who the writer is: a second logger on a file, in this
// process or from another, fails with a FileLockedError naming the file and the process holding
// it (pid and command line, from /proc/locks). A holder that dies, even by SIGKILL, leaves no
// stale lock behind.

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder-child.mjs', import.meta.url))
const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.mjs', import.meta.url))
const SMALL = { bufferSize: 64 * 1024, numShards: 2 }

const children: ChildProcess[] = []
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL')
})

async function refusal(path: string): Promise<FileLockedError> {
  const err = await createLogger({ path, ...SMALL }).then(
    (l) => {
      void l.close()
      return null
    },
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(FileLockedError)
  return err as FileLockedError
}

/** Starts a process that holds `path` until its stdin closes; resolves when it does. */
function holdFromChild(path: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [HOLDER, path], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(child)
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d
  })
  return within(
    new Promise((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        if (d.includes('locked')) resolve(child)
      })
      child.on('exit', (code) => reject(new Error(`holder exited (${code}): ${stderr}`)))
    }),
    'the holding child to open the file',
  )
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
}

async function entriesOf(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString())
  return out
}

describe('a second logger on the same file', () => {
  it('in this process: refused, naming the file and this process; also through a symlink and openLogger()', async () => {
    const dir = tempDir()
    const path = join(dir, 'app.log')
    const first = await open({ path, ...SMALL })
    first.log('first')

    const err = await refusal(path)
    expect(err.path).toBe(path)
    expect(err.message).toContain(path)
    expect(err.holder?.pid).toBe(process.pid)
    expect(err.message).toContain(`in this process (pid ${process.pid})`)
    expect(() => openLogger({ path, ...SMALL })).toThrow(FileLockedError)

    // Another name for the same file: the lock is on the file, not the name.
    const alias = join(dir, 'alias.log')
    symlinkSync(path, alias)
    const viaAlias = await refusal(alias)
    expect(viaAlias.message).toContain(alias)
    expect(viaAlias.holder?.pid).toBe(process.pid)

    // The refusals did not disturb the first logger.
    expect(first.log('still first')).toBe(true)
    await first.close()
    expect(await entriesOf(path)).toEqual(['first', 'still first'])
  })

  it('held by another process: refused, naming the file, the pid and the command line', async () => {
    const path = join(tempDir(), 'app.log')
    const child = await holdFromChild(path)
    const err = await refusal(path)
    expect(err.message).toContain(path)
    expect(err.holder?.pid).toBe(child.pid)
    expect(err.holder?.command).toContain('lock-holder-child.mjs')
    expect(err.message).toContain(`in process ${child.pid} (`)
    expect(err.message).toContain('lock-holder-child.mjs')
    child.stdin!.end()
    expect(await within(exited(child), 'the holder closing')).toBe(0)
    // Released: this process opens it now, and appends.
    const l = await open({ path, ...SMALL })
    l.log('second writer')
    await l.close()
    expect(await entriesOf(path)).toEqual(['from the holder', 'second writer'])
  })

  it('held by this process: another process is refused with an error naming this process', async () => {
    const path = join(tempDir(), 'app.log')
    const l = await open({ path, ...SMALL })
    const child = spawn(process.execPath, [LOCK_CHILD, path, 'intruder'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    expect(await within(exited(child), 'the refused child')).toBe(2)
    expect(stderr).toContain('FileLockedError')
    expect(stderr).toContain(path)
    expect(stderr).toContain(`in process ${process.pid} (`)
    await l.close()
  })

  it('a holder killed by SIGKILL leaves no stale lock: the file opens at once, its entries intact', async () => {
    const path = join(tempDir(), 'app.log')
    const child = await holdFromChild(path)
    child.kill('SIGKILL')
    await within(exited(child), 'the killed holder')
    const l = await open({ path, ...SMALL })
    l.log('after the holder died')
    await l.close()
    expect(await entriesOf(path)).toEqual(['from the holder', 'after the holder died'])
  })
})

import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, FileLockedError } from '../dist/index.js'

// One writer per file: a second logger on the same file fails, in this process or another, with
// an error that names the file; once the first closes, the file opens again (and is appended to).

const dir = realpathSync(testDir('test'))
let fileCounter = 0
const nextPath = (): string => join(dir, `locked-${fileCounter++}.log`)

const LOCK_CHILD = fileURLToPath(new URL('./fixtures/lock-child.mjs', import.meta.url))

function openFromChild(
  path: string,
  entry: string,
  truncate = false,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const args = [LOCK_CHILD, path, entry, ...(truncate ? ['truncate'] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Entries of a framed file, decoded independently of the package's reader. */
function decodeFramed(path: string): string[] {
  const buf = readFileSync(path)
  const out: string[] = []
  let off = 0
  while (off + 8 <= buf.length) {
    const capacity = buf.readUInt32LE(off)
    const valid = buf.readUInt32LE(off + 4)
    if (capacity === 0 && valid === 0) {
      off += 512
      continue
    }
    if (capacity % 512 !== 0 || 8 + valid > capacity || off + capacity > buf.length) {
      throw new Error(`bad block header at ${off}`)
    }
    let p = off + 8
    while (p < off + 8 + valid) {
      const len = buf.readUInt32LE(p)
      out.push(buf.toString('utf8', p + 4, p + 4 + len))
      p += 4 + len
    }
    off += capacity
  }
  return out
}

describe('one writer per file', () => {
  it('a second createLogger in this process rejects with FileLockedError naming the file', async () => {
    const path = nextPath()
    const first = await createLogger({ format: 'framed', path, bufferSize: 64 * 1024, numShards: 2 })
    try {
      expect(first.log('first')).toBe(true)
      const err = await createLogger({ format: 'framed', path, bufferSize: 64 * 1024, numShards: 2 }).then(
        () => null,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(FileLockedError)
      expect((err as FileLockedError).message).toContain(path)
      expect((err as FileLockedError).path).toBe(path)
      expect((err as FileLockedError).name).toBe('FileLockedError')
      expect((err as FileLockedError).code).toBe('ASYNCDIRECT_FILE_LOCKED')

      // Another spelling of the same file is the same file.
      const other = `${dir}/./sub/../${path.slice(dir.length + 1)}`
      mkdirSync(join(dir, 'sub'), { recursive: true })
      await expect(createLogger({ format: 'framed', path: other })).rejects.toThrow(FileLockedError)
      const link = join(dir, `link-${fileCounter++}`)
      symlinkSync(dir, link)
      await expect(
        createLogger({ format: 'framed', path: join(link, path.slice(dir.length + 1)) }),
      ).rejects.toThrow(FileLockedError)

      // The failed attempts did not disturb the first logger, nor its lock (checked from outside).
      expect(first.log('still writing')).toBe(true)
      const child = await openFromChild(path, 'child while locked')
      expect(child.code).not.toBe(0)
    } finally {
      await first.close()
    }
    expect(decodeFramed(path)).toEqual(['first', 'still writing'])
  })

  it('another process cannot open the file while this one writes it, and can after close', async () => {
    const path = nextPath()
    const logger = await createLogger({ format: 'framed', path, bufferSize: 64 * 1024, numShards: 2 })
    for (let i = 0; i < 1000; i++) logger.log(`parent ${i}`)
    await logger.flush()

    const refused = await openFromChild(path, 'child while locked')
    expect(refused.code).toBe(2)
    expect(refused.stdout).toBe('')
    expect(refused.stderr).toContain(path)
    expect(refused.stderr).toMatch(/FileLockedError|locked|already open/i)

    // The refused child wrote nothing, and the parent goes on.
    for (let i = 1000; i < 2000; i++) logger.log(`parent ${i}`)
    await logger.close()

    const accepted = await openFromChild(path, 'child after close')
    expect(accepted.stderr).toBe('')
    expect(accepted.code).toBe(0)
    expect(accepted.stdout).toBe('opened\n')

    // Appended, not truncated: the parent's entries, then the child's.
    const entries = decodeFramed(path)
    expect(entries).toEqual([...Array.from({ length: 2000 }, (_, i) => `parent ${i}`), 'child after close'])
  })

  it('truncate: true empties a file only once it holds it: never one another process writes', async () => {
    const path = nextPath()
    const logger = await createLogger({ format: 'framed', path, bufferSize: 64 * 1024, numShards: 2 })
    for (let i = 0; i < 100; i++) logger.log(`parent ${i}`)
    await logger.flush()
    const refused = await openFromChild(path, 'child while locked', true)
    expect(refused.code).toBe(2)
    expect(refused.stderr).toContain('ASYNCDIRECT_FILE_LOCKED')
    expect(decodeFramed(path)).toEqual(Array.from({ length: 100 }, (_, i) => `parent ${i}`))
    await logger.close()

    const accepted = await openFromChild(path, 'child after close', true)
    expect(accepted.stderr).toBe('')
    expect(accepted.code).toBe(0)
    expect(decodeFramed(path)).toEqual(['child after close'])
  })

  it('truncate with rotate is refused, naming it', async () => {
    await expect(
      createLogger({ path: nextPath(), truncate: true, rotate: { size: '1MiB' } }),
    ).rejects.toThrow(/config\.truncate: true is not accepted with rotate/)
  })

  it('after close, the file can be opened again in this process (and is appended to)', async () => {
    const path = nextPath()
    for (let round = 0; round < 3; round++) {
      const logger = await createLogger({ format: 'framed', path, bufferSize: 64 * 1024, numShards: 2 })
      expect(logger.log(`round ${round}`)).toBe(true)
      await logger.close()
    }
    expect(decodeFramed(path)).toEqual(['round 0', 'round 1', 'round 2'])

    // A logger that failed to open (locked) does not leave the file locked after the owner closes.
    const owner = await createLogger({ format: 'framed', path })
    await expect(createLogger({ format: 'framed', path })).rejects.toThrow(FileLockedError)
    await owner.close()
    const again = await createLogger({ format: 'framed', path })
    expect(again.log('round 3')).toBe(true)
    await again.close()
    expect(decodeFramed(path)).toEqual(['round 0', 'round 1', 'round 2', 'round 3'])
  })
})

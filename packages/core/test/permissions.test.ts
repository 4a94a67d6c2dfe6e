import { spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createLogger, type IoError, type LoggerConfig, readEntries } from '../dist/index.js'
import { within } from './support/deadlines.js'
import { open, tempDir } from './support/temp-loggers.js'

// What a logger creates and follows on disk: files with mode 0o666 unless `mode` says otherwise
// (an existing file keeps its mode), directories only with `mkdir: true` (mode 0o750), symlinks
// followed as open(2) follows them, and clear IoErrors (errno name, path) where the user may not
// write. Modes are checked with a umask of 0, so that what is seen is what the logger asked for.

const SMALL = { bufferSize: 64 * 1024, numShards: 2 }
const PERMISSION_CHILD = fileURLToPath(new URL('./fixtures/permission-child.mjs', import.meta.url))
const NOBODY = 65534

let savedUmask = 0
beforeEach(() => {
  savedUmask = process.umask(0)
})
afterEach(() => {
  process.umask(savedUmask)
})

const modeOf = (path: string): number => statSync(path).mode & 0o7777

async function logOnce(config: LoggerConfig, entry = 'x'): Promise<void> {
  const l = await open(config)
  l.log(entry)
  await l.close()
}

async function refused(config: LoggerConfig): Promise<IoError> {
  const err = await createLogger(config).then(
    () => null,
    (e: IoError) => e,
  )
  expect(err, 'createLogger should have failed').not.toBe(null)
  return err!
}

async function entriesOf(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString())
  return out
}

describe('file and directory modes', () => {
  it('a new file gets 0o666 by default, `mode` otherwise; the umask still applies', async () => {
    const dir = tempDir()
    await logOnce({ path: join(dir, 'default.log') })
    expect(modeOf(join(dir, 'default.log'))).toBe(0o666)
    await logOnce({ path: join(dir, 'private.log'), mode: 0o600 })
    expect(modeOf(join(dir, 'private.log'))).toBe(0o600)
    await logOnce({ path: join(dir, 'shared.log'), mode: 0o644, format: 'lines' })
    expect(modeOf(join(dir, 'shared.log'))).toBe(0o644)
    process.umask(0o027)
    await logOnce({ path: join(dir, 'umasked.log') })
    expect(modeOf(join(dir, 'umasked.log'))).toBe(0o640)
    // Nothing else is left in the directory (the O_DIRECT probe file is removed).
    expect(readdirSync(dir).sort()).toEqual(['default.log', 'private.log', 'shared.log', 'umasked.log'])
  })

  it('an existing file keeps its mode and owner; `mode` only applies to a file the logger creates', async () => {
    const path = join(tempDir(), 'existing.log')
    writeFileSync(path, '')
    chmodSync(path, 0o604)
    await logOnce({ path, mode: 0o600 })
    expect(modeOf(path)).toBe(0o604)
  })

  it('a missing directory is an error naming it, unless `mkdir: true`, which creates it with 0o750', async () => {
    const base = tempDir()
    const path = join(base, 'a', 'b', 'app.log')
    const err = await refused({ path })
    expect(err.code).toBe('ENOENT')
    expect(err.message).toContain(join(base, 'a', 'b'))
    expect(err.message).toContain('mkdir: true')
    expect(existsSync(join(base, 'a'))).toBe(false)

    await logOnce({ path, mkdir: true })
    expect(modeOf(join(base, 'a'))).toBe(0o750)
    expect(modeOf(join(base, 'a', 'b'))).toBe(0o750)
    expect(modeOf(path)).toBe(0o666)
    // An existing directory is left as it is.
    chmodSync(join(base, 'a', 'b'), 0o755)
    await logOnce({ path, mkdir: true })
    expect(modeOf(join(base, 'a', 'b'))).toBe(0o755)
    expect(await entriesOf(path)).toEqual(['x', 'x'])
  })
})

describe('symlinks and odd paths', () => {
  it('a symlink to a file: the logger writes the file it points to; the link stays a link', async () => {
    const dir = tempDir()
    const target = join(dir, 'real.log')
    const link = join(dir, 'current.log')
    await logOnce({ path: target }, 'one')
    symlinkSync(target, link)
    await logOnce({ path: link }, 'two')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(await entriesOf(target)).toEqual(['one', 'two'])
  })

  it('a dangling symlink: its target is created, as open(2) does, with the logger mode', async () => {
    const dir = tempDir()
    const target = join(dir, 'created-through-link.log')
    const link = join(dir, 'app.log')
    symlinkSync(target, link)
    await logOnce({ path: link, mode: 0o600 }, 'via link')
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(modeOf(target)).toBe(0o600)
    expect(await entriesOf(target)).toEqual(['via link'])
  })

  it('a symlinked directory is resolved: logger.path names the real file', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, 'real'))
    symlinkSync(join(dir, 'real'), join(dir, 'linked'))
    const l = await open({ path: join(dir, 'linked', 'app.log'), ...SMALL })
    expect(l.path).toBe(join(dir, 'real', 'app.log'))
    await l.close()
  })

  it('a symlink loop, a directory, an empty path: errors with the errno name or the field, no crash', async () => {
    const dir = tempDir()
    symlinkSync(join(dir, 'b'), join(dir, 'a'))
    symlinkSync(join(dir, 'a'), join(dir, 'b'))
    const loop = await refused({ path: join(dir, 'a') })
    expect(loop.code).toBe('ELOOP')
    expect(loop.message).toContain(join(dir, 'a'))
    const isDir = await refused({ path: dir })
    expect(isDir.code).toBe('EISDIR')
    await expect(createLogger({ path: '' })).rejects.toThrow(/config\.path/)
  })
})

// ---------------------------------------------------------------------------------------------
// As an unprivileged user: only root can start a process as `nobody`.

/** The first directory above the package that `nobody` (an "other" user) may not traverse, or null. */
function closedAncestor(): string | null {
  for (let dir = fileURLToPath(new URL('..', import.meta.url)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return dir
    if (dirname(dir) === dir) return null
  }
}

const asRoot = process.getuid?.() === 0
const closed = asRoot ? closedAncestor() : null
if (!asRoot) console.warn('\n[permissions.test.ts] SKIPPING the cases run as user nobody: they need root.\n')
// A checkout under a private directory (mktemp -d makes them 0700) cannot be run by nobody.
if (closed !== null) {
  console.warn(
    `\n[permissions.test.ts] SKIPPING the cases run as user nobody: they cannot reach this checkout (${closed} is not searchable by others).\n`,
  )
}

function runAsNobody(
  file: string,
): Promise<{ ok: boolean; code?: string; message?: string; directIO?: boolean }> {
  const child = spawn(process.execPath, [PERMISSION_CHILD, file], {
    uid: NOBODY,
    gid: NOBODY,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d
  })
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d
  })
  return within(
    new Promise((resolve, reject) => {
      child.on('close', (code) => {
        if (code !== 0) reject(new Error(`child exited ${code}: ${err}`))
        else resolve(JSON.parse(out))
      })
    }),
    'the child running as nobody',
  )
}

/** A directory `nobody` can reach, owned by root with `mode`. */
function sharedDir(mode: number): string {
  const base = tempDir()
  chmodSync(base, 0o755)
  const dir = join(base, 'logs')
  mkdirSync(dir, { mode })
  chmodSync(dir, mode)
  return dir
}

describe.skipIf(!asRoot || closed !== null)('as user nobody', () => {
  it('a directory it may not write: EACCES naming the file', async () => {
    const dir = sharedDir(0o755)
    const r = await runAsNobody(join(dir, 'app.log'))
    expect(r.ok).toBe(false)
    expect(r.code).toBe('EACCES')
    expect(r.message).toContain(join(dir, 'app.log'))
    expect(readdirSync(dir)).toEqual([])
  })

  it('a file it may not write (0o444): EACCES', async () => {
    const dir = sharedDir(0o777)
    const path = join(dir, 'app.log')
    writeFileSync(path, '')
    chmodSync(path, 0o444)
    const r = await runAsNobody(path)
    expect(r).toMatchObject({ ok: false, code: 'EACCES' })
  })

  it('its own file in a directory it may not write: logs with O_DIRECT, leaves nothing else behind', async () => {
    const dir = sharedDir(0o755)
    const path = join(dir, 'app.log')
    writeFileSync(path, '')
    chownSync(path, NOBODY, NOBODY)
    const r = await runAsNobody(path)
    expect(r).toEqual({ ok: true, directIO: true })
    expect(readdirSync(dir)).toEqual(['app.log'])
    expect(await entriesOf(path)).toEqual([`written by uid ${NOBODY}`])
  })

  it('a file it creates is its own, with mode 0o666 (under its umask)', async () => {
    const dir = sharedDir(0o777)
    const path = join(dir, 'app.log')
    const r = await runAsNobody(path)
    expect(r).toEqual({ ok: true, directIO: true })
    const s = statSync(path)
    expect(s.uid).toBe(NOBODY)
    // The child inherits this process's umask, 0 here.
    expect(s.mode & 0o777).toBe(0o666)
  })
})

import { chmodSync, existsSync, mkdtempSync, readdirSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runSync } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import type { DoctorReport } from '../dist/cli/doctor-report.js'
import { createLogger } from '../dist/index.js'
import { nativeTarget } from '../dist/shared/native-target.js'
import { CLI } from './support/cli-process.js'
import { copyPackage } from './support/package-copy.js'

// `asyncdirect doctor [DIR]`, run as users run it: the CLI in a child process, on a directory of
// the machine's ext4, on tmpfs, and with a package that has no usable library.

const work = testDir('doctor')
const shm = existsSync('/dev/shm') ? testDir('doctor', '/dev/shm') : null
const EXT4_MAGIC = 0xef53
const TMPFS_MAGIC = 0x01021994

function doctor(args: string[], cli = CLI, env: NodeJS.ProcessEnv = process.env) {
  const r = runSync(process.execPath, [cli, 'doctor', ...args], { env })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

function doctorJson(dir: string, cli = CLI, env: NodeJS.ProcessEnv = process.env) {
  const r = doctor(['--json', dir], cli, env)
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorReport, stderr: r.stderr }
}

describe('asyncdirect doctor', () => {
  const dir = mkdtempSync(join(work, 'ext4-'))
  it.runIf(statfsSync(dir).type === EXT4_MAGIC)(
    'finds O_DIRECT working on ext4, with the library loaded',
    () => {
      const { code, report } = doctorJson(dir)
      expect(code).toBe(0)
      expect(report.directIO).toBe(true)
      expect(report.node.version).toBe(process.version)
      expect(report.library.loaded).toBe(true)
      expect(report.library.target).toBe(nativeTarget())
      expect(report.library.abiVersion).toBe(3)
      // In the workspace the build compiles native/build; the prebuilt is the second candidate.
      expect(report.library.candidates.map((c) => c.origin)).toEqual(['compiled', 'prebuilt'])
      const chosen = report.library.candidates.find((c) => c.present && c.refused === null)
      expect(report.library.path).toBe(chosen?.path)
      expect(report.library.origin).toBe(chosen?.origin)
      expect(report.directory.fileSystem).toMatchObject({
        type: 'ext4',
        magic: EXT4_MAGIC,
        blockSize: statfsSync(dir).bsize,
      })
      expect(report.directory.directIO).toBe(true)
      const align = report.directory.offsetAlignment ?? 0
      expect(align >= 512 && (align & (align - 1)) === 0).toBe(true)
      expect(report.advice).toEqual([])
      // The test block's file is gone.
      expect(readdirSync(dir)).toEqual([])

      const text = doctor([dir])
      expect(text.code).toBe(0)
      expect(text.stdout).toMatch(/O_DIRECT:\s+works/)
      expect(text.stdout).toMatch(/file system:\s+ext4 \(statfs magic 0xef53/)
      expect(text.stdout).toContain(`origin:       ${report.library.origin} (ABI 3)`)
    },
  )

  it.runIf(shm !== null)('tells on tmpfs what a logger there does', async () => {
    const { code, report } = doctorJson(shm!)
    expect(report.directory.fileSystem).toMatchObject({ type: 'tmpfs', magic: TMPFS_MAGIC })
    // tmpfs takes O_DIRECT from Linux 6.6 on: the verdict must be the one a real logger reaches.
    const logger = await createLogger({ path: join(shm!, 'real.log') })
    const { directIO } = logger.getStatsSnapshot()
    await logger.close()
    expect(report.directIO).toBe(directIO)
    expect(code).toBe(directIO ? 0 : 1)
    if (!directIO) expect(report.advice.join('\n')).toContain('does not take O_DIRECT writes')
  })

  it('reports a package with no library: the fallback, its reason and what to do', () => {
    const pkg = copyPackage(join(work, 'no-library'), { prebuilt: false, compiled: false })
    const { code, report } = doctorJson(dir, join(pkg, 'dist', 'cli.js'))
    expect(code).toBe(1)
    expect(report.directIO).toBe(false)
    expect(report.library).toMatchObject({
      loaded: false,
      code: 'ASYNCDIRECT_NATIVE_MISSING',
      prebuiltTargets: [],
    })
    expect(report.library.reason).toContain(join(pkg, 'prebuilds', nativeTarget(), 'libasyncdirect.so'))
    expect(report.library.candidates.every((c) => !c.present)).toBe(true)
    expect(report.directory.directIO).toBeNull()
    expect(report.directory.reason).toContain('no native library')
    expect(report.advice.join('\n')).toContain('npm rebuild @asyncdirect/core')

    const text = doctor([dir], join(pkg, 'dist', 'cli.js'))
    expect(text.code).toBe(1)
    expect(text.stdout).toContain('none loaded: no native library for')
    expect(text.stdout).toContain('a logger here falls back to buffered I/O')
  })

  it('reports a refused library with the check it failed', () => {
    const pkg = copyPackage(join(work, 'refused'), { prebuilt: true, compiled: false })
    const lib = join(pkg, 'prebuilds', nativeTarget(), 'libasyncdirect.so')
    chmodSync(lib, 0o666)
    const { code, report } = doctorJson(dir, join(pkg, 'dist', 'cli.js'))
    expect(code).toBe(1)
    expect(report.library.code).toBe('ASYNCDIRECT_NATIVE_UNSAFE')
    expect(report.library.reason).toBe(`refusing to load ${lib}: the file is writable by others (mode 0666)`)
    expect(report.library.candidates[1]).toMatchObject({
      path: lib,
      present: true,
      refused: report.library.reason,
    })
    expect(report.advice[0]).toContain('chmod go-w')
  })

  it('says when the library is disabled by the environment', () => {
    const { code, report } = doctorJson(dir, CLI, { ...process.env, ASYNCDIRECT_NATIVE: '0' })
    expect(code).toBe(1)
    expect(report.library.code).toBe('ASYNCDIRECT_NATIVE_DISABLED')
    expect(report.advice).toEqual([
      'ASYNCDIRECT_NATIVE=0 is set in the environment: unset it to write with O_DIRECT.',
    ])
  })

  it('takes one DIR that must be a directory', () => {
    const file = join(work, 'a-file')
    writeFileSync(file, '')
    const r = doctor([file])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`doctor: ${file} is not a directory`)
    expect(doctor([dir, dir]).code).toBe(2)
    expect(doctor(['--bogus']).code).toBe(2)
  })
})

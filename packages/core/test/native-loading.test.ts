import { execFileSync, spawnSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { CHILD_DEADLINE_MS } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import { refuseUnsafeLibrary } from '../dist/shared/library-safety.js'
import { ABI_VERSION, loadNativeFrom } from '../dist/shared/native-library.js'
import { nativeTarget } from '../dist/shared/native-target.js'
import { copyPackage, probeNative } from './support/package-copy.js'

// The library is loaded only from inside the package, after checks of the file and its directory;
// nothing is compiled at run time and nothing is loaded from a temporary directory. Each case runs
// a real logger in a child process against a private copy of the built package.

const work = testDir('native-loading')
const target = nativeTarget()
/** A uid that is neither this process's (root) nor root: "another user". */
const OTHER_UID = 4242
let counter = 0
const fresh = (name: string) => join(work, `${name}-${counter++}`)

describe('the package copy with its prebuilt libraries only', () => {
  let pkg: string
  let lib: string
  let libDir: string
  beforeEach(() => {
    pkg = copyPackage(fresh('pkg'), { prebuilt: true, compiled: false })
    libDir = join(pkg, 'prebuilds', target)
    lib = join(libDir, 'libasyncdirect.so')
  })

  it('loads the prebuilt library for this machine and writes with O_DIRECT', async () => {
    const probe = await probeNative(pkg, join(work, `ok-${counter++}.log`))
    expect(probe.stats).toEqual({
      directIO: true,
      fallbackReason: null,
      library: { path: lib, origin: 'prebuilt', abiVersion: ABI_VERSION },
    })
    expect(probe.events).toEqual([])
    expect(probe.mapped).toEqual([lib])
  })

  const refusals: [string, () => void, string, RegExp][] = [
    [
      'a symlink in place of the file',
      () => {
        renameSync(lib, join(pkg, 'elsewhere.so'))
        symlinkSync(join(pkg, 'elsewhere.so'), lib)
      },
      'symlink',
      /the file is a symbolic link/,
    ],
    [
      'a file owned by another user',
      () => chownSync(lib, OTHER_UID, OTHER_UID),
      'foreign-owner',
      new RegExp(`the file is owned by uid ${OTHER_UID}`),
    ],
    [
      'a group-writable file',
      () => chmodSync(lib, 0o664),
      'group-writable',
      /the file is writable by its group \(mode 0664\)/,
    ],
    [
      'a world-writable file',
      () => chmodSync(lib, 0o646),
      'world-writable',
      /the file is writable by others \(mode 0646\)/,
    ],
    [
      'a directory in place of the file',
      () => {
        rmSync(lib)
        mkdirSync(lib)
      },
      'not-regular-file',
      /the file is not a regular file/,
    ],
    [
      'a symlinked directory',
      () => {
        renameSync(libDir, join(pkg, 'elsewhere'))
        symlinkSync(join(pkg, 'elsewhere'), libDir)
      },
      'symlink',
      /its directory .* is a symbolic link/,
    ],
    [
      'a directory owned by another user',
      () => chownSync(libDir, OTHER_UID, OTHER_UID),
      'foreign-owner',
      new RegExp(`its directory .* is owned by uid ${OTHER_UID}`),
    ],
    [
      'a group-writable directory',
      () => chmodSync(libDir, 0o775),
      'group-writable',
      /its directory .* is writable by its group \(mode 0775\)/,
    ],
    [
      'a world-writable directory',
      () => chmodSync(libDir, 0o1777),
      'world-writable',
      /its directory .* is writable by others \(mode 1777\)/,
    ],
  ]

  it.each(refusals)('refuses %s, naming the path and the check', async (_name, breakIt, check, message) => {
    breakIt()
    const refusal = refuseUnsafeLibrary(lib)
    expect(refusal?.check).toBe(check)
    expect(refusal?.message).toMatch(message)
    expect(refusal?.message).toContain(`refusing to load ${lib}`)
    const probe = await probeNative(pkg, join(work, `refused-${counter++}.log`))
    expect(probe.stats.directIO).toBe(false)
    expect(probe.stats.library).toBeNull()
    expect(probe.stats.fallbackReason).toBe(refusal?.message)
    expect(probe.events).toEqual([{ code: 'ASYNCDIRECT_NATIVE_UNSAFE', reason: refusal?.message }])
    expect(probe.mapped).toEqual([])
    expect(probe.stderr).toContain(`native library unavailable (${refusal?.message})`)
  })
})

describe('a library planted in the old first-use path', () => {
  // The old loader compiled into, and loaded from, <tmpdir>/asyncdirect-native-<uid>-<abi>/.
  // Another user creates that directory first in a world-writable TMPDIR and plants a library
  // whose constructor would run at dlopen: it must never be loaded, whatever the package holds.
  const tmp = fresh('world-writable-tmp')
  mkdirSync(tmp)
  chmodSync(tmp, 0o777)
  const plantDir = join(tmp, `asyncdirect-native-${process.getuid?.()}-${ABI_VERSION}`)
  const marker = join(work, 'planted-library-ran')
  const planted = join(plantDir, 'libasyncdirect.so')
  mkdirSync(plantDir)
  const source = join(work, 'planted.c')
  writeFileSync(
    source,
    `#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void planted(void) { close(open(${JSON.stringify(marker)}, O_CREAT | O_WRONLY, 0644)); }
int ad_abi_version(void) { return ${ABI_VERSION}; }
`,
  )
  execFileSync('cc', ['-shared', '-fPIC', '-o', planted, source])
  chmodSync(plantDir, 0o777)
  chownSync(plantDir, OTHER_UID, OTHER_UID)
  chownSync(planted, OTHER_UID, OTHER_UID)
  const env = { ...process.env, TMPDIR: tmp }

  const cases: [string, { prebuilt: boolean; compiled: boolean }][] = [
    ['with the prebuilt library in the package', { prebuilt: true, compiled: false }],
    ['with no library in the package (and a C compiler on PATH)', { prebuilt: false, compiled: false }],
  ]
  it.each(cases)('is not loaded %s', async (_name, contents) => {
    const before = readdirSync(tmp).sort()
    const pkg = copyPackage(fresh('pkg'), contents)
    const probe = await probeNative(pkg, join(work, `planted-${counter++}.log`), env)
    expect(existsSync(marker), 'the planted library ran').toBe(false)
    expect(probe.mapped.filter((p) => p.startsWith(tmp))).toEqual([])
    // Nothing compiled at run time: no new directory in TMPDIR, no library in the package.
    expect(readdirSync(tmp).sort()).toEqual(before)
    expect(existsSync(join(pkg, 'native', 'build'))).toBe(false)
    if (contents.prebuilt) {
      expect(probe.stats.directIO).toBe(true)
      expect(probe.mapped).toEqual([join(pkg, 'prebuilds', target, 'libasyncdirect.so')])
    } else {
      expect(probe.stats.directIO).toBe(false)
      expect(probe.events.map((e) => e.code)).toEqual(['ASYNCDIRECT_NATIVE_MISSING'])
      expect(probe.stats.fallbackReason).toBe(probe.events[0]?.reason)
      expect(probe.stats.fallbackReason).toContain(join(pkg, 'prebuilds', target, 'libasyncdirect.so'))
      expect(probe.mapped).toEqual([])
    }
  })

  it('is refused when a thread is handed its path', () => {
    const r = loadNativeFrom(planted)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.code).toBe('ASYNCDIRECT_NATIVE_UNSAFE')
    expect(r.reason).toContain(`refusing to load ${planted}: not one of this package's library paths`)
    expect(existsSync(marker)).toBe(false)
  })
})

describe('a library compiled by the install step', () => {
  it('is loaded in place of the prebuilt one, with origin "compiled"', async () => {
    const pkg = copyPackage(fresh('pkg'), { prebuilt: true, compiled: true })
    const probe = await probeNative(pkg, join(work, `compiled-${counter++}.log`))
    const compiled = join(pkg, 'native', 'build', 'libasyncdirect.so')
    expect(probe.stats.library).toEqual({ path: compiled, origin: 'compiled', abiVersion: ABI_VERSION })
    expect(probe.stats.directIO).toBe(true)
    expect(probe.mapped).toEqual([compiled])
  })

  it('is compiled by the install script only when no prebuilt matches', () => {
    const withPrebuilt = copyPackage(fresh('pkg'), { prebuilt: true, compiled: false })
    cpSync(new URL('../native', import.meta.url), join(withPrebuilt, 'native'), {
      recursive: true,
      filter: (src) => !src.includes('/native/build/') && !src.endsWith('/native/build'),
    })
    const said = execFileSync(process.execPath, [join(withPrebuilt, 'native', 'install.mjs')], {
      encoding: 'utf8',
      timeout: CHILD_DEADLINE_MS,
    })
    expect(said).toContain(`using the prebuilt native library for ${target}`)
    expect(existsSync(join(withPrebuilt, 'native', 'build'))).toBe(false)

    rmSync(join(withPrebuilt, 'prebuilds', target), { recursive: true })
    const compiledSaid = execFileSync(process.execPath, [join(withPrebuilt, 'native', 'install.mjs')], {
      encoding: 'utf8',
      timeout: CHILD_DEADLINE_MS,
    })
    expect(compiledSaid).toContain(`no prebuilt native library for ${target}; compiling one`)
    const lib = join(withPrebuilt, 'native', 'build', 'libasyncdirect.so')
    expect(compiledSaid).toContain(`compiled ${lib}`)
    expect(refuseUnsafeLibrary(lib)).toBeNull()
  })

  it('never fails the install, and says why it built nothing', () => {
    const pkg = copyPackage(fresh('pkg'), { prebuilt: false, compiled: false })
    cpSync(new URL('../native', import.meta.url), join(pkg, 'native'), {
      recursive: true,
      filter: (src) => !src.includes('/native/build/') && !src.endsWith('/native/build'),
    })
    const compiler = join(work, 'no-such-compiler')
    const r = spawnSync(process.execPath, [join(pkg, 'native', 'install.mjs')], {
      encoding: 'utf8',
      env: { ...process.env, CC: compiler },
      timeout: CHILD_DEADLINE_MS,
    })
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('compiling one')
    expect(r.stderr).toContain(`native library not built: no C compiler (${compiler}) found`)
    expect(existsSync(join(pkg, 'native', 'build', 'libasyncdirect.so'))).toBe(false)
  })
})

import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ABI_VERSION } from '../dist/shared/native-library.js'

// The prebuilt libraries are committed binaries: they must come from the C source in the tree.
// prebuilds/manifest.json, written by scripts/build-prebuilds.mjs, records the source's sha256
// and each library's; these tests fail when either no longer matches.

const packageRoot = fileURLToPath(new URL('..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(packageRoot, 'prebuilds', 'manifest.json'), 'utf8')) as {
  rebuild: string
  abiVersion: number
  source: Record<string, string>
  libraries: Record<string, { file: string; sha256: string }>
}
const REBUILD = 'pnpm --filter @asyncdirect/core build:prebuilds'
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex')

/** ELF e_machine values (elf.h). */
const ELF_MACHINE: Record<string, number> = { x64: 62, arm64: 183 }
/** The targets that must have a prebuilt library. */
const REQUIRED = ['linux-x64-glibc', 'linux-arm64-glibc', 'linux-x64-musl', 'linux-arm64-musl']

describe('prebuilt native libraries', () => {
  it('were built from the C source in the tree', () => {
    expect(manifest.rebuild).toBe(REBUILD)
    for (const file of ['native/asyncdirect.c', 'native/asyncdirect.h']) {
      expect(
        sha256(join(packageRoot, file)),
        `${file} changed since the prebuilt libraries were built: rebuild them with \`${REBUILD}\` (it names the Debian packages it needs) and commit prebuilds/`,
      ).toBe(manifest.source[file])
    }
    expect(manifest.abiVersion, `the TypeScript binds ABI ${ABI_VERSION}: rebuild with \`${REBUILD}\``).toBe(
      ABI_VERSION,
    )
  })

  it('exist for each required target, and nothing else is in prebuilds/', () => {
    const dirs = readdirSync(join(packageRoot, 'prebuilds'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
    expect(dirs).toEqual(Object.keys(manifest.libraries).sort())
    for (const t of REQUIRED) expect(dirs).toContain(t)
  })

  it.each(Object.entries(manifest.libraries))('%s is the file the manifest describes', (target, lib) => {
    const path = join(packageRoot, lib.file)
    expect(lib.file).toBe(`prebuilds/${target}/libasyncdirect.so`)
    expect(sha256(path), `${lib.file} is not the library the build wrote: rebuild with \`${REBUILD}\``).toBe(
      lib.sha256,
    )
    // Not writable by group or others: the loader refuses such a file (git keeps 0644).
    expect(statSync(path).mode & 0o022).toBe(0)
    // ELF header: 64-bit, little-endian, a shared object, for the target's machine.
    const bytes = readFileSync(path)
    const elf = bytes.subarray(0, 20)
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF')
    expect(elf[4]).toBe(2) // ELFCLASS64
    expect(elf[5]).toBe(1) // ELFDATA2LSB
    expect(elf.readUInt16LE(16)).toBe(3) // ET_DYN
    const arch = target.split('-')[1]!
    expect(elf.readUInt16LE(18)).toBe(ELF_MACHINE[arch])
    // Symbol version names are strings of .dynstr: none may be newer than Node 20's glibc floor.
    const versions = [...bytes.toString('latin1').matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ])
    if (target.endsWith('-musl')) expect(versions).toEqual([])
    else expect(versions.length).toBeGreaterThan(0)
    for (const [major, minor] of versions)
      expect(major! < 2 || (major === 2 && minor! <= 28), `${target} needs GLIBC_${major}.${minor}`).toBe(
        true,
      )
  })
})

#!/usr/bin/env node
// Compiles the native library with the system C compiler into native/build/libasyncdirect.so,
// inside the package: the only other place the logger loads a library from is prebuilds/.
//
//   node native/build.mjs
//
// Used by the workspace build, and by the install step (native/install.mjs) when no prebuilt
// library matches the machine. A system without a C compiler, or one that is not Linux, is not an
// error: the logger then uses a prebuilt library or falls back to buffered node:fs I/O, so this
// script says why it built nothing and exits 0.
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const outDir = join(here, 'build')
const target = join(outDir, 'libasyncdirect.so')

if (process.platform !== 'linux') {
  console.warn(`asyncdirect: native library not built (platform ${process.platform} is not Linux)`)
  process.exit(0)
}

const cc = process.env.CC || 'cc'
const flags = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=default']
mkdirSync(outDir, { recursive: true })
// The loader refuses a library or directory that group or others can write: set the modes
// rather than inherit them from the umask.
chmodSync(outDir, 0o755)
// Build to a private name and rename, so a concurrent loader never maps a half-written library.
const tmp = `${target}.${process.pid}.tmp`
try {
  execFileSync(cc, [...flags, '-o', tmp, join(here, 'asyncdirect.c')], {
    stdio: ['ignore', 'inherit', 'pipe'],
  })
  chmodSync(tmp, 0o644)
  renameSync(tmp, target)
  console.log(`asyncdirect: compiled ${target} with ${cc}`)
} catch (err) {
  rmSync(tmp, { force: true })
  const why = err.code === 'ENOENT' ? `no C compiler (${cc}) found` : String(err.stderr || err.message).trim()
  console.warn(`asyncdirect: native library not built: ${why}`)
  process.exit(0)
}

#!/usr/bin/env node
// Compiles the native library with the system C compiler.
//
//   node native/build.mjs [outDir]
//
// Writes <outDir>/libasyncdirect.so (default: native/build). A system without a C compiler, or one
// that is not Linux, is not an error: the logger falls back to buffered node:fs I/O at run time, so
// this script says why it built nothing and exits 0.
import { execFileSync } from 'node:child_process'
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const outDir = resolve(process.argv[2] ?? join(here, 'build'))
const target = join(outDir, 'libasyncdirect.so')

if (process.platform !== 'linux') {
  console.warn(`asyncdirect: native library not built (platform ${process.platform} is not Linux)`)
  process.exit(0)
}

const cc = process.env.CC || 'cc'
const flags = ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-fvisibility=default']
mkdirSync(outDir, { recursive: true })
// Build to a private name and rename, so a concurrent loader never maps a half-written library.
const tmp = `${target}.${process.pid}.tmp`
try {
  execFileSync(cc, [...flags, '-o', tmp, join(here, 'asyncdirect.c')], {
    stdio: ['ignore', 'inherit', 'pipe'],
  })
  renameSync(tmp, target)
} catch (err) {
  rmSync(tmp, { force: true })
  const why = err.code === 'ENOENT' ? `no C compiler (${cc}) found` : String(err.stderr || err.message).trim()
  console.warn(`asyncdirect: native library not built: ${why}`)
  process.exit(0)
}

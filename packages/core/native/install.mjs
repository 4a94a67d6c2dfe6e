#!/usr/bin/env node
// The package's install step (postinstall). A prebuilt library for this machine needs nothing;
// otherwise the library is compiled into native/build with the system C compiler. Never fails
// the install: without a library the logger writes with buffered I/O and says why.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

try {
  if (process.platform !== 'linux') {
    console.log(`asyncdirect: no native library on ${process.platform}; the logger uses buffered I/O`)
    process.exit(0)
  }
  // The same test as src/shared/native-target.ts, which is not compiled yet when the workspace installs.
  // The network part of a report can take seconds to gather (reverse DNS); it is not needed here.
  process.report.excludeNetwork = true
  const header = process.report.getReport().header
  const libc = typeof header.glibcVersionRuntime === 'string' ? 'glibc' : 'musl'
  const target = `linux-${process.arch}-${libc}`
  const prebuilt = join(here, '..', 'prebuilds', target, 'libasyncdirect.so')
  if (existsSync(prebuilt)) {
    console.log(`asyncdirect: using the prebuilt native library for ${target}`)
    process.exit(0)
  }
  console.log(`asyncdirect: no prebuilt native library for ${target}; compiling one`)
  execFileSync(process.execPath, [join(here, 'build.mjs')], { stdio: 'inherit', timeout: 120_000 })
} catch (err) {
  console.warn(`asyncdirect: install step did nothing: ${err.message}`)
}

import { readFileSync } from 'node:fs'

/**
 * The prebuilt library's target for this process: `linux-<arch>-<libc>`, e.g. `linux-x64-glibc`.
 * Decided once per thread, when the first logger loads the library, never on a write.
 */
export type LibC = 'glibc' | 'musl'

let libc: LibC | undefined

/**
 * The C library this Node.js runs on: the one mapped into the process (glibc maps `libc.so.6`,
 * musl maps its loader `ld-musl-<arch>.so.1`, which is its libc). Reading the mappings takes well
 * under a millisecond; Node's diagnostic report, the fallback when the mappings name neither (a
 * static build), takes tens of milliseconds of the event loop on the first logger's creation.
 */
export function runningLibC(): LibC {
  if (libc) return libc
  let maps = ''
  try {
    maps = readFileSync('/proc/self/maps', 'latin1')
  } catch {
    // No /proc: the report decides.
  }
  libc = libcOfMappings(maps) ?? libcOfReport()
  return libc
}

/** The C library named by a `/proc/<pid>/maps` text; undefined when it names none. */
export function libcOfMappings(maps: string): LibC | undefined {
  if (/\/ld-musl-[^/\n]+$/m.test(maps)) return 'musl'
  if (/\/libc(?:\.so\.6|-[\d.]+\.so)$/m.test(maps)) return 'glibc'
  return undefined
}

/** Node's diagnostic report names the glibc it runs with; a Node.js linked with musl has none. */
export function libcOfReport(): LibC {
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean }
  // The network part of a report can take seconds to gather (reverse DNS); it is not needed here.
  const excluded = report.excludeNetwork
  report.excludeNetwork = true
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    return typeof header?.glibcVersionRuntime === 'string' ? 'glibc' : 'musl'
  } finally {
    report.excludeNetwork = excluded
  }
}

/** The target name of this process, as the prebuilds/ folders are named. */
export function nativeTarget(): string {
  return `${process.platform}-${process.arch}-${runningLibC()}`
}

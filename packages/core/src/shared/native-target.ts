/**
 * The prebuilt library's target for this process: `linux-<arch>-<libc>`, e.g. `linux-x64-glibc`.
 * Decided once per thread, when the first logger loads the library, never on a write.
 */
export type LibC = 'glibc' | 'musl'

let libc: LibC | undefined

/**
 * The C library this Node.js runs on. Node's diagnostic report names the glibc it runs with;
 * a Node.js linked with musl has no such field.
 */
export function runningLibC(): LibC {
  if (libc) return libc
  const report = process.report as NodeJS.ProcessReport & { excludeNetwork?: boolean }
  // The network part of a report can take seconds to gather (reverse DNS); it is not needed here.
  const excluded = report.excludeNetwork
  report.excludeNetwork = true
  try {
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header
    libc = typeof header?.glibcVersionRuntime === 'string' ? 'glibc' : 'musl'
  } finally {
    report.excludeNetwork = excluded
  }
  return libc
}

/** The target name of this process, as the prebuilds/ folders are named. */
export function nativeTarget(): string {
  return `${process.platform}-${process.arch}-${runningLibC()}`
}

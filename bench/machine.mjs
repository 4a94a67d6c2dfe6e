// The machine a run measured, for the report: figures only mean something next to it.
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'

/** The file system type of `dir` (ext4, xfs, tmpfs...): O_DIRECT and page-cache figures depend on it. */
function filesystemOf(dir) {
  try {
    const out = execFileSync('df', ['--output=fstype', dir], { encoding: 'utf8' })
    return out.trim().split('\n').pop().trim()
  } catch {
    return 'unknown file system'
  }
}

export function describeMachine(dir) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    memoryGB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.versions.node,
    filesystem: filesystemOf(dir),
    dir,
  }
}

/** The 1-minute load average: on a shared machine, how busy it was besides the benchmark. */
export const loadAverage = () => loadavg()[0]

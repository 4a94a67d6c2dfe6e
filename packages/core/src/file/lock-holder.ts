import { fstatSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { LockHolder } from '../errors.js'

/** The longest command line an error message quotes. */
const MAX_COMMAND = 120

/**
 * Who holds the `flock` on the file open as `fd`, from /proc/locks (Linux): its lines read
 * `1: FLOCK  ADVISORY  WRITE <pid> <major>:<minor>:<inode> 0 EOF`, device numbers in hex.
 * Null when it cannot be told (no /proc, the lock was released meanwhile).
 */
export function flockHolder(fd: number): LockHolder | null {
  try {
    const { dev, ino } = fstatSync(fd, { bigint: true })
    // The kernel's dev_t split into major and minor, as glibc's gnu_dev_major/minor do.
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn)
    const file = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`
    for (const line of readFileSync('/proc/locks', 'utf8').split('\n')) {
      const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+(\S+)\s/.exec(line)
      if (m && m[2] === file) return holder(Number(m[1]))
    }
  } catch {
    // No /proc (or not Linux): the error says less, that is all.
  }
  return null
}

/** A holder described by its process id. */
export function holder(pid: number): LockHolder {
  return { pid, command: commandOf(pid) }
}

function commandOf(pid: number): string | null {
  try {
    const words = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
    if (words.length === 0) return null
    // The program by its name, as ps shows it: a long path to node (a version manager's) must
    // not push the script, what tells the process apart, past the cut.
    const command = [basename(words[0]!), ...words.slice(1)].join(' ')
    return command.length > MAX_COMMAND ? `${command.slice(0, MAX_COMMAND - 3)}...` : command
  } catch {
    return null
  }
}

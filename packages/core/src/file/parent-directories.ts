import { mkdirSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { IoError } from '../errors.js'
import { fileSystemOf } from './file-system-type.js'

/** Mode of the directories `mkdir: true` creates (before the umask). */
export const DIRECTORY_MODE = 0o750

/**
 * Creates the missing directories of a log file's path (`mkdir: true`), one level at a time,
 * parents first.
 *
 * Not `mkdirSync(dir, { recursive: true })`: on a file system that answers ENOENT to creating an
 * entry although the parent exists (procfs, sysfs), Node's recursive mkdir retries forever.
 *
 * @throws {IoError} with syscall `mkdir`, the errno name as `code`, naming the directory that
 *   could not be created (or the path component that is not a directory) and why.
 */
export function createParentDirectories(dir: string): void {
  const missing: string[] = []
  for (let current = dir; ; current = dirname(current)) {
    const kind = kindOf(current)
    if (kind === 'directory') break
    if (kind === 'other')
      throw new IoError('ENOTDIR', 'mkdir', current, 'it exists and is not a directory (mkdir: true)')
    missing.push(current)
    if (dirname(current) === current) break
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path, { mode: DIRECTORY_MODE })
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO'
      if (code === 'EEXIST' && kindOf(path) === 'directory') continue // made meanwhile by another
      throw new IoError(
        code,
        'mkdir',
        path,
        `cannot create the log file's directory (mkdir: true)${whyNot(code, path)}`,
      )
    }
  }
}

/**
 * Why a log file could not be created at `path` (errno `code`), in words that name what is really
 * wrong: the directory is missing, a component is not a directory, or the directory exists but its
 * file system does not take new files (procfs, sysfs answer ENOENT).
 */
export function explainCreateFailure(code: string, path: string): string {
  const dir = dirname(path)
  if (code === 'ENOTDIR') return `: a component of ${dir} is not a directory`
  if (code !== 'ENOENT') return ''
  if (kindOf(dir) === 'directory')
    return `: ${dir} exists, but its file system (${fileSystemName(dir)}) does not allow creating files in it`
  return `: directory ${dir} does not exist (pass mkdir: true to create it)`
}

function whyNot(code: string, path: string): string {
  if (code === 'EACCES' || code === 'EPERM') return `: no permission to write in ${dirname(path)}`
  if (code === 'ENOENT')
    return `: ${dirname(path)} exists, but its file system (${fileSystemName(dirname(path))}) does not allow creating directories in it`
  return ''
}

function kindOf(path: string): 'directory' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'directory' : 'other'
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // ENOTDIR: an ancestor is not a directory; walking up finds and names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing'
    throw IoError.fromNode(err, 'stat', path)
  }
}

function fileSystemName(dir: string): string {
  try {
    return fileSystemOf(dir).type
  } catch {
    return 'unknown'
  }
}

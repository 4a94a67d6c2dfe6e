import { lstatSync, type Stats } from 'node:fs'
import { dirname } from 'node:path'

/** Which check a library file, or its directory, failed before it was loaded. */
export type UnsafeCheck =
  | 'missing'
  | 'symlink'
  | 'not-regular-file'
  | 'not-directory'
  | 'foreign-owner'
  | 'group-writable'
  | 'world-writable'

/** Why a library was not loaded: the path that failed and the check it failed. */
export interface LibraryRefusal {
  /** The file or directory that failed the check. */
  readonly path: string
  readonly check: UnsafeCheck
  /** `refusing to load <library>: <what is wrong with path>` */
  readonly message: string
}

/**
 * Checks a native library and its directory before it is loaded: whoever can replace either can
 * run code in this process. Each must be what it claims (a regular file, a directory; a symlink
 * is refused, not followed), owned by this process's user or root, and writable by neither group
 * nor others. Returns null when both pass.
 */
export function refuseUnsafeLibrary(library: string): LibraryRefusal | null {
  return checkEntry(library, library, 'file') ?? checkEntry(library, dirname(library), 'directory')
}

function checkEntry(library: string, path: string, kind: 'file' | 'directory'): LibraryRefusal | null {
  const refuse = (check: UnsafeCheck, what: string): LibraryRefusal => ({
    path,
    check,
    message: `refusing to load ${library}: ${kind === 'file' ? 'the file' : `its directory ${path}`} ${what}`,
  })
  let st: Stats
  try {
    st = lstatSync(path)
  } catch (err) {
    return refuse('missing', `cannot be examined (${(err as NodeJS.ErrnoException).code ?? String(err)})`)
  }
  if (st.isSymbolicLink())
    return refuse('symlink', 'is a symbolic link (only a regular file in place is loaded)')
  if (kind === 'file' && !st.isFile()) return refuse('not-regular-file', 'is not a regular file')
  if (kind === 'directory' && !st.isDirectory()) return refuse('not-directory', 'is not a directory')
  const uid = process.getuid?.() ?? 0
  if (st.uid !== uid && st.uid !== 0)
    return refuse(
      'foreign-owner',
      `is owned by uid ${st.uid}, not by this process's user (uid ${uid}) or root`,
    )
  const mode = `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`
  if (st.mode & 0o002) return refuse('world-writable', `is writable by others (${mode})`)
  if (st.mode & 0o020) return refuse('group-writable', `is writable by its group (${mode})`)
  return null
}

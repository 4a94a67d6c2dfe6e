import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from 'vitest'

// Temporary files for the tests of every package. A package's tests run inside a temporary
// directory of their own that must be empty at the end (temp-dir-guard.ts), so every directory
// made here is removed: after the test file's tests, or when its owner says.

/** Directories made under the temporary directory, each removed by {@link TempDirs.removeAll}. */
export class TempDirs {
  private readonly dirs: string[] = []

  constructor(private readonly prefix: string) {}

  /** A fresh, empty directory. */
  dir(): string {
    const dir = mkdtempSync(join(tmpdir(), `asyncdirect-${this.prefix}-`))
    this.dirs.push(dir)
    return dir
  }

  /** A path named `name` in a fresh directory. */
  path(name = 'app.log'): string {
    return join(this.dir(), name)
  }

  /** Removes every directory made so far. */
  removeAll(): void {
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * A directory for this test file, under `parent` (the temporary directory unless a test needs
 * another file system, such as /dev/shm), removed after the file's tests.
 */
export function testDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, `asyncdirect-${prefix}-`))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** {@link testDir}, and `next(name)`: a path in it that no other call returned. */
export function tempFiles(prefix: string): { dir: string; next(name?: string): string } {
  const dir = testDir(prefix)
  let n = 0
  return { dir, next: (name = 'app') => join(dir, `${name}-${n++}.log`) }
}

/**
 * The lines of a newline-terminated text file (the lines format), without the empty string after
 * the last newline.
 * @throws when the file does not end with a newline: a line cut short is not a line.
 */
export function fileLines(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  if (text === '') return []
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`)
  return text.slice(0, -1).split('\n')
}

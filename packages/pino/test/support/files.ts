import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll } from 'vitest'

/** A fresh directory under the OS temp dir for this test file, removed after its tests. */
export function tempFiles(prefix: string): { next(name?: string): string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `asyncdirect-pino-${prefix}-`))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  return { dir, next: (name = 'app') => join(dir, `${name}-${n++}.log`) }
}

/** The built transport target, by absolute path (what thread-stream loads in its worker). */
export const TARGET = fileURLToPath(new URL('../../dist/index.js', import.meta.url))

/** A test fixture's absolute path. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

export const readText = (path: string): string => readFileSync(path, 'utf8')

/** The lines of an NDJSON file (without the empty string after the last newline). */
export function readLines(path: string): string[] {
  const text = readText(path)
  return text === '' ? [] : text.slice(0, -1).split('\n')
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Temporary directories under os.tmpdir(), removed by {@link removeTempDirs}. */
const dirs: string[] = []

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'asyncdirect-winston-'))
  dirs.push(dir)
  return dir
}

let counter = 0
/** A fresh file path in a fresh temporary directory. */
export function tempFile(name = 'app.log'): string {
  return join(tempDir(), `${counter++}-${name}`)
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
}

/** The lines of a lines-format file, without the final empty string after the last newline. */
export function fileLines(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  if (text === '') return []
  if (!text.endsWith('\n')) throw new Error(`${path} does not end with a newline`)
  return text.slice(0, -1).split('\n')
}

/** Each line parsed as JSON. */
export function fileJson(path: string): Record<string, unknown>[] {
  return fileLines(path).map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** A file of test/fixtures/. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

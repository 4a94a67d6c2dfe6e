import { fileURLToPath } from 'node:url'
import { fileLines, TempDirs } from '../../../../test-support/temp-files.js'

export { fileLines }

/** Temporary directories under os.tmpdir(), removed by {@link removeTempDirs}. */
const temp = new TempDirs('winston')

export const tempDir = (): string => temp.dir()

let counter = 0
/** A fresh file path in a fresh temporary directory. */
export function tempFile(name = 'app.log'): string {
  return temp.path(`${counter++}-${name}`)
}

export function removeTempDirs(): void {
  temp.removeAll()
}

/** Each line parsed as JSON. */
export function fileJson(path: string): Record<string, unknown>[] {
  return fileLines(path).map((line) => JSON.parse(line) as Record<string, unknown>)
}

/** A file of test/fixtures/. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

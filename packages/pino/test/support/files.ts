import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { fileLines } from '../../../../test-support/temp-files.js'

export { tempFiles } from '../../../../test-support/temp-files.js'

/** The built transport target, by absolute path (what thread-stream loads in its worker). */
export const TARGET = fileURLToPath(new URL('../../dist/index.js', import.meta.url))

/** A test fixture's absolute path. */
export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

export const readText = (path: string): string => readFileSync(path, 'utf8')

/** The lines of an NDJSON file (without the empty string after the last newline). */
export const readLines = fileLines

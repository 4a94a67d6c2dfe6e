import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

// A package's test run gets a temporary directory of its own (TMPDIR, inherited by the test
// processes and every child they start), so that what the tests leave behind can be told apart
// from what other programs on the machine put in the shared one. It must be empty at the end.

let dir: string | undefined
let previous: string | undefined

export function setup(): void {
  previous = process.env.TMPDIR
  dir = mkdtempSync(join(tmpdir(), 'asyncdirect-test-run-'))
  // Searchable by others, as the shared one is: some tests run children as user nobody.
  chmodSync(dir, 0o755)
  process.env.TMPDIR = dir
}

export function teardown(): void {
  if (!dir) return
  if (previous === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = previous
  const left = readdirSync(dir)
  rmSync(dir, { recursive: true, force: true })
  if (left.length > 0) {
    throw new Error(
      `tests left ${left.length} entries in their temporary directory: ${left.slice(0, 20).join(', ')}`,
    )
  }
}

import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { runSync } from '../../../test-support/node-child.js'
import { tempDir } from './support/temp-loggers.js'

// Every program in examples/ runs as the README says, right after the install: exit status 0 and
// nothing on stderr (no warning, no error), each writing into a fresh temporary directory.

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url))

/** How each example is run: its program and arguments, given a fresh directory. */
const RUNS: Record<string, (dir: string) => string[]> = {
  quickstart: (dir) => ['quickstart.mjs', join(dir, 'app.log')],
  winston: (dir) => ['app.mjs', join(dir, 'app.log'), '1'],
  'pino-transport': (dir) => ['app.mjs', dir],
  'pino-destination': (dir) => ['app.mjs', dir],
  commonjs: (dir) => ['app.cjs', dir],
}

function runExample(name: string, args: string[]) {
  const [program, ...rest] = args
  return runSync(process.execPath, [join(EXAMPLES, name, program!), ...rest], {
    cwd: join(EXAMPLES, name),
    timeoutMs: 240_000,
  })
}

it('every example directory has a run here', () => {
  const dirs = readdirSync(EXAMPLES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
  expect(dirs.sort()).toEqual(Object.keys(RUNS).sort())
})

// quickstart: in the test below, which runs it twice.
describe.each(Object.keys(RUNS).filter((name) => name !== 'quickstart'))('examples/%s', (name) => {
  it('exits 0 with nothing on stderr', { timeout: 300_000 }, () => {
    const run = runExample(name, RUNS[name]!(tempDir()))
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0)
    expect(run.stderr).toBe('')
  })
})

it('quickstart exits 0 with nothing on stderr, and run again on the same file appends and checks its own entries', {
  timeout: 500_000,
}, () => {
  const args = RUNS.quickstart!(tempDir())
  const first = runExample('quickstart', args)
  expect(first.status, first.stderr).toBe(0)
  expect(first.stderr).toBe('')
  const second = runExample('quickstart', args)
  expect(second.status, second.stderr).toBe(0)
  expect(second.stderr).toBe('')
  expect(second.stdout).toContain(
    'verify: ok (400000 entries in the lines format, after 200000 from earlier runs)',
  )
  expect(second.stdout).toContain('read back: { main: 100000,')
})

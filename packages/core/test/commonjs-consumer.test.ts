import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { tempDir } from './support/temp-loggers.js'

// A CommonJS application (examples/commonjs/app.cjs, a workspace package with the three packages
// as dependencies) require()s every package and logs through the core, winston, the pino
// destination and the pino transport, whose target pino resolves by name from the .cjs file.
// Node must load the ES modules without a flag and without a word on stderr, and hand out one
// instance of each module to require() and import() alike.
//
// CI runs this on every Node release it tests; ASYNCDIRECT_EXPECT_NODE (set by .ci/run) makes sure
// the run is on the release it claims to be.

const APP = fileURLToPath(new URL('../../../examples/commonjs/app.cjs', import.meta.url))

it(`a CommonJS app require()s every package and logs through each, with nothing on stderr (Node ${process.version})`, () => {
  const expected = process.env.ASYNCDIRECT_EXPECT_NODE
  if (expected) expect(process.version).toBe(expected)
  const dir = tempDir()
  const run = spawnSync(process.execPath, [APP, dir], { encoding: 'utf8', timeout: 60_000 })
  expect(run.status, run.stderr).toBe(0)
  expect(run.stderr).toBe('')
  const out = JSON.parse(run.stdout)
  expect(out.node).toBe(process.version)
  expect(out.core).toEqual([0, 1, 2].map((i) => ({ from: 'core', i })))
  expect(out.winston).toEqual(['from winston'])
  expect(out.pinoDestination).toEqual(['from the pino destination'])
  expect(out.pinoTransport).toEqual(['from the pino transport'])
  expect(out.oneCopy).toBe(true)
  // The native library loads through koffi on this release (a fallback would be null here).
  expect(out.library).toMatchObject({ origin: expect.any(String), abiVersion: expect.any(Number) })
  expect(readdirSync(dir).sort()).toEqual([
    'core.log',
    'pino-destination.log',
    'pino-transport.log',
    'winston.log',
  ])
})

import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { runNode } from '../../../test-support/node-child.js'
import { fileJson, removeTempDirs, tempFile } from './support/files.js'

// examples/winston/app.mjs, run as the README says: it logs until SIGTERM, then ends the logger
// and exits by itself with status 0, every entry in the file.

afterAll(removeTempDirs)

const app = fileURLToPath(new URL('../../../examples/winston/app.mjs', import.meta.url))

it('examples/winston/app.mjs shuts down cleanly on SIGTERM with every entry in its file', async () => {
  const path = tempFile()
  let signalled = false
  const result = await runNode([app, path, '0'], {
    onStdout: (stdout, child) => {
      if (!signalled && stdout.includes('logging to')) {
        signalled = true
        // Let it log for a moment; how much it logs does not matter.
        setTimeout(() => child.kill('SIGTERM'), 200)
      }
    },
  })
  expect(result.hung).toBe(false)
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/done: \d+ entries written/)
  const written = Number(result.stdout.match(/done: (\d+) entries written/)?.[1])
  const entries = fileJson(path)
  expect(entries).toHaveLength(written)
  expect(entries.at(-1)).toMatchObject({ level: 'warn', message: 'shutting down', reason: 'SIGTERM' })
  expect(entries.at(-1)?.served).toBe(written - 1)
})

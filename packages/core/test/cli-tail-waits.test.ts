import { join } from 'node:path'
import { expect, it } from 'vitest'
import { createLogger } from '../dist/index.js'
import { AFTER_A_POLL, run, sleep, start } from './support/cli-process.js'
import { tempDir } from './support/temp-loggers.js'

// `asyncdirect tail -f` on a log the application has not created yet waits for it, as `tail -F`
// does, and prints it from its start once it appears; without -f a missing file is an error.

it('tail -f waits for a file that does not exist yet, then prints all of it and follows it', async () => {
  const dir = tempDir()
  const path = join(dir, 'later.log')
  const tail = start(['tail', '-f', '-n', '1', path])
  await sleep(3 * AFTER_A_POLL)
  expect(tail.child.exitCode, tail.stderr).toBe(null)
  expect(tail.stderr).toContain(`${path} does not exist yet; waiting for it to appear`)
  expect(tail.stdout).toBe('')

  const logger = await createLogger({ path, bufferSize: 64 * 1024, numShards: 1 })
  logger.log('first')
  logger.log('second')
  await logger.flush()
  // -n 1 is for a file that was there: one that appeared is printed whole.
  await tail.waitFor((s) => s === 'first\nsecond\n', 'the new file from its start')
  logger.log('third')
  await logger.close()
  await tail.waitFor((s) => s === 'first\nsecond\nthird\n', 'the file growing')
  expect(await tail.stop('SIGTERM')).toBe(0)
  expect(tail.stderr).toContain(`${path} has appeared; following it`)
})

it('tail -f interrupted while waiting exits 0; tail without -f on a missing file fails with ENOENT', async () => {
  const path = join(tempDir(), 'never.log')
  const tail = start(['tail', '-f', path])
  await sleep(2 * AFTER_A_POLL)
  expect(tail.child.exitCode).toBe(null)
  expect(await tail.stop('SIGINT')).toBe(0)

  const once = await run(['tail', path])
  expect(once.code).toBe(2)
  expect(once.stderr).toMatch(/ENOENT/)
})

import { EventEmitter, once } from 'node:events'
import { expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { describeWarning, reportProblem } from '../dist/report-problem.js'

// A failed disk write (kept, retried) reaches the application as 'warn', never as an 'error'
// winston would throw; when nobody listens, one process warning says so.

it("reports as 'warn' on the transport; a process warning once when the logger has no 'warn' listener", async () => {
  const logger = new EventEmitter()
  const transport = Object.assign(new EventEmitter(), { parent: logger })
  const seen: Error[] = []
  transport.on('warn', (err: Error) => seen.push(err))

  logger.on('warn', () => {})
  reportProblem(transport, new Error('ENOSPC: first'))
  logger.removeAllListeners('warn')
  const warned = once(process, 'warning')
  reportProblem(transport, new Error('ENOSPC: second'))
  reportProblem(transport, new Error('ENOSPC: third'))

  const [warning] = (await warned) as [Error]
  expect(warning.message).toContain('ENOSPC: second')
  expect(takeWarnings()).toEqual([warning.message])
  expect(seen.map((e) => e.message)).toEqual(['ENOSPC: first', 'ENOSPC: second', 'ENOSPC: third'])
})

it("describes the core's warnings", () => {
  expect(describeWarning({ type: 'fallback', reason: 'O_DIRECT refused' })).toContain(
    'buffered I/O: O_DIRECT refused',
  )
  expect(describeWarning({ type: 'abandoned', entries: 2, shard: 1 })).toContain('2 entries in shard 1')
})

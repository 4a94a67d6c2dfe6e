import { EventEmitter, once } from 'node:events'
import { AsyncDirectError } from '@asyncdirect/core'
import { expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { reportProblem, warningError } from '../dist/report-problem.js'

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

it("describes each of the core's warnings, as an error with a stable code", () => {
  const cases = [
    [
      { type: 'fallback', reason: 'O_DIRECT refused' },
      'ASYNCDIRECT_FS_REFUSED_DIRECT',
      'buffered I/O: O_DIRECT refused',
    ],
    [
      { type: 'abandoned', entries: 2, shard: 1 },
      'ASYNCDIRECT_ENTRIES_ABANDONED',
      '2 entries in shard 1 whose writer',
    ],
    [
      { type: 'abandoned', entries: 1, shard: 0 },
      'ASYNCDIRECT_ENTRIES_ABANDONED',
      '1 entry in shard 0 whose writer',
    ],
    [
      { type: 'abandoned', entries: 1, shard: -1 },
      'ASYNCDIRECT_ENTRIES_ABANDONED',
      'an entry larger than a shard',
    ],
    [
      { type: 'leak', reason: 'a writer died mid-copy' },
      'ASYNCDIRECT_BUFFERS_LEAKED',
      'a writer died mid-copy',
    ],
  ] as const
  for (const [warning, code, text] of cases) {
    const err = warningError(warning)
    expect(err).toBeInstanceOf(AsyncDirectError)
    expect(err.code).toBe(code)
    expect(err.message).toContain(text)
    expect(err.message).not.toContain('undefined')
    expect(err.message).not.toContain('shard -1')
  }
})

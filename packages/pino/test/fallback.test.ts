import { once } from 'node:events'
import type { FallbackEvent } from '@asyncdirect/core'
import pino from 'pino'
import { expect, it } from 'vitest'
import { destination } from '../dist/index.js'
import { readLines, TARGET, tempFiles } from './support/files.js'

// Each test file runs in a process of its own (vitest's forks pool): the native library is loaded
// once per process (and per worker, which inherits the environment), so switching it off here
// forces this file's loggers onto buffered I/O.
process.env.ASYNCDIRECT_NATIVE = '0'

const files = tempFiles('fallback')
const event = { code: 'ASYNCDIRECT_NATIVE_DISABLED', reason: 'disabled by ASYNCDIRECT_NATIVE=0' }

it("destination(): 'fallback' on the destination, and the reason in its logger's statistics", async () => {
  const dest = destination({ dest: files.next() })
  const heard: FallbackEvent[] = []
  dest.on('fallback', (e: FallbackEvent) => heard.push(e))
  await once(dest, 'ready')
  expect(heard).toEqual([event])
  expect(dest.logger.getStatsSnapshot()).toMatchObject({ directIO: false, fallbackReason: event.reason })
  // Heard, so not also a process warning (warning-guard.ts fails the test on one).
  dest.end()
  await once(dest, 'close')
})

// The worker listens to its logger's 'fallback' from the start, so it prints no warning of its
// own: the event is what the main thread sees.
it("pino.transport(): the worker's 'fallback' reaches the stream in the main thread", async () => {
  const path = files.next()
  const transport = pino.transport({ target: TARGET, options: { destination: path } })
  const [heard] = (await once(transport, 'fallback')) as [FallbackEvent]
  expect(heard).toEqual(event)
  pino(transport).info('written all the same')
  const closed = once(transport, 'close')
  transport.end()
  await closed
  expect(readLines(path).map((l) => JSON.parse(l).msg)).toEqual(['written all the same'])
})

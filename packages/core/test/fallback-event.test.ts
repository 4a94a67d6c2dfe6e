import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { runNodeSync } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'

// Whoever holds a logger, or a writer attached to it, learns without reading stderr that O_DIRECT
// is off and why: a 'fallback' event (heard by a listener added at once and by one added later,
// once each) and fallbackReason in the statistics.

const dir = testDir('fallback-event')
const child = fileURLToPath(new URL('./fixtures/fallback-event-child.mjs', import.meta.url))

it('tells every listener once, and the statistics say the same, in the logger and attached writers', () => {
  const r = runNodeSync([child, join(dir, 'app.log')], {
    env: { ...process.env, ASYNCDIRECT_NATIVE: '0' },
  })
  expect(r.status, r.stderr).toBe(0)
  const out = JSON.parse(r.stdout)
  const event = { code: 'ASYNCDIRECT_NATIVE_DISABLED', reason: 'disabled by ASYNCDIRECT_NATIVE=0' }
  expect(out.early).toEqual([event])
  expect(out.late).toEqual([event])
  const stats = { directIO: false, fallbackReason: event.reason, library: null }
  expect(out.statsAtOnce).toEqual(stats)
  expect(out.attached).toEqual({ events: [event], stats })
  // Heard, so no process warning as well; one that nobody hears is a warning (next test).
  expect(r.stderr).toBe('')
})

it('is a one-time process warning when nobody listens', () => {
  const r = runNodeSync([child, join(dir, 'unheard.log'), 'unheard'], {
    env: { ...process.env, ASYNCDIRECT_NATIVE: '0' },
  })
  expect(r.status, r.stderr).toBe(0)
  expect(r.stderr.match(/native library unavailable \(disabled by ASYNCDIRECT_NATIVE=0\)/g)).toHaveLength(1)
})

it('says nothing when O_DIRECT works', () => {
  const r = runNodeSync([child, join(dir, 'direct.log')])
  expect(r.status, r.stderr).toBe(0)
  const out = JSON.parse(r.stdout)
  expect(out.early).toEqual([])
  expect(out.late).toEqual([])
  expect(out.statsAtOnce).toMatchObject({ directIO: true, fallbackReason: null })
  expect(out.statsAtOnce.library.origin).toMatch(/^(compiled|prebuilt)$/)
  expect(out.attached.events).toEqual([])
  expect(out.attached.stats).toEqual(out.statsAtOnce)
  expect(r.stderr).toBe('')
})

import type { FallbackEvent } from '@asyncdirect/core'
import { afterEach, expect, it } from 'vitest'
import { AsyncDirectTransport } from '../dist/index.js'
import { removeTempDirs, tempFile } from './support/files.js'

// Each test file runs in a process of its own (vitest's forks pool): the native library is loaded
// once per process, so switching it off here forces this file's loggers onto buffered I/O.
process.env.ASYNCDIRECT_NATIVE = '0'

afterEach(removeTempDirs)

it("tells the transport's holder that O_DIRECT is off and why: 'fallback' and the statistics", async () => {
  {
    const transport = new AsyncDirectTransport({ filename: tempFile() })
    const heard: FallbackEvent[] = []
    transport.on('fallback', (e: FallbackEvent) => heard.push(e))
    await transport.ready()
    const late: FallbackEvent[] = []
    transport.on('fallback', (e: FallbackEvent) => late.push(e))
    await new Promise((resolve) => setImmediate(resolve))
    const event = { code: 'ASYNCDIRECT_NATIVE_DISABLED', reason: 'disabled by ASYNCDIRECT_NATIVE=0' }
    expect(heard).toEqual([event])
    expect(late).toEqual([event])
    expect(transport.stats).toMatchObject({ directIO: false, fallbackReason: event.reason, library: null })
    await transport.close()
    // Heard, so not also a process warning (warning-guard.ts fails the test on one).
  }
})

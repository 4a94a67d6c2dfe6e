import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { open, readBuffers, tempPath } from './support/temp-loggers.js'

// Logger.flushSync(): the data is in the file when it returns, written from the calling thread.

const NEVER = 3_600_000

describe('Logger.flushSync()', () => {
  it('lines: returns with every entry logged before it in the file, the flusher running', async () => {
    const path = tempPath()
    // A flush interval that never fires: only flushSync() can have written the entries.
    const logger = await open({ path, format: 'lines', flushInterval: NEVER })
    for (let i = 0; i < 1000; i++) logger.log(`{"i":${i}}`)
    logger.flushSync()
    const expected = Array.from({ length: 1000 }, (_, i) => `{"i":${i}}\n`).join('')
    expect(readFileSync(path, 'utf8')).toBe(expected)
    logger.log('{"after":true}')
    logger.flushSync()
    expect(readFileSync(path, 'utf8')).toBe(`${expected}{"after":true}\n`)
    await logger.close()
    expect(logger.getStatsSnapshot()).toMatchObject({ entriesWritten: 1001, droppedLogs: 0 })
  })

  it('framed: the entries read back after flushSync(), none written twice after close', async () => {
    const path = tempPath()
    const logger = await open({ path, flushInterval: NEVER })
    for (let i = 0; i < 100; i++) logger.log(`entry ${i}`)
    logger.flushSync()
    expect((await readBuffers(path)).map(String)).toEqual(Array.from({ length: 100 }, (_, i) => `entry ${i}`))
    await logger.close()
    expect((await readBuffers(path)).length).toBe(100)
  })

  it('does nothing once closed, and fd is -1 then', async () => {
    const logger = await open({ path: tempPath(), format: 'lines' })
    expect(logger.fd).toBeGreaterThanOrEqual(0)
    await logger.close()
    expect(() => logger.flushSync()).not.toThrow()
    expect(logger.fd).toBe(-1)
  })
})

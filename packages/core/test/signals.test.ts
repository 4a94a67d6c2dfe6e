import { existsSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { SignalledChild } from '../../../test-support/signalled-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, readEntries, verify } from '../dist/index.js'

// A child logs numbered entries, a few per turn of the event loop, and says how many it has
// logged; the test sends a real signal once it has said so. Every entry whose log() returned
// before the signal must be in the file, once, in order; the child ends as the signal (no
// listener of the application's) or the application's own listener decides.

const dir = testDir('signals')
let fileCounter = 0
const nextPath = (): string => join(dir, `signal-${fileCounter++}.log`)
const fixture = fileURLToPath(new URL('./fixtures/signal-child.mjs', import.meta.url))

/** Entries logged before the signal: a few hundred turns of the child's loop. */
const LOGGED_BEFORE = 1500
afterEach(() => SignalledChild.killAll())
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const

/** The sequence numbers of the file's entries `c <seq> ...`, after checking the file decodes. */
async function fileSeqs(path: string): Promise<number[]> {
  expect((await verify(path)).problems).toEqual([])
  const seqs: number[] = []
  for await (const e of readEntries(path)) seqs.push(Number(e.toString().split(' ')[1]))
  return seqs
}

/** Checks `seqs` is 0, 1, 2, ... (each entry once, in order) and holds at least `atLeast`. */
function expectPrefix(seqs: number[], atLeast: number): void {
  const wrong = seqs.findIndex((s, i) => s !== i)
  expect(wrong, `entry ${wrong} is seq ${seqs[wrong]}`).toBe(-1)
  expect(seqs.length).toBeGreaterThanOrEqual(atLeast)
}

const handledLine = (signal: string) => (line: string) => {
  const m = new RegExp(`^handled ${signal} (\\d+)$`).exec(line)
  return m ? Number(m[1]) : undefined
}

describe.each(['buffered', 'busy'])('core logger (%s)', (config) => {
  it.each(SIGNALS)(
    '%s, no listener: the process dies by it, every entry logged before is in the file',
    async (signal) => {
      const file = nextPath()
      const child = new SignalledChild([fixture, file, 'none', config])
      const logged = await child.waitLogged(LOGGED_BEFORE)
      child.signal(signal)
      const end = await child.ended
      expect(end.signal, end.stderr).toBe(signal)
      expect(end.stderr).toBe('')
      expectPrefix(await fileSeqs(file), logged)
    },
  )

  it.each(SIGNALS)('%s, the application listens and exits: its exit code, nothing lost', async (signal) => {
    const file = nextPath()
    const child = new SignalledChild([fixture, file, 'handler-exit', config])
    await child.waitLogged(LOGGED_BEFORE)
    child.signal(signal)
    const end = await child.ended
    expect(end.signal, end.stderr).toBe(null)
    expect(end.code, end.stderr).toBe(7)
    const total = await child.waitFor('handled', handledLine(signal))
    const seqs = await fileSeqs(file)
    expectPrefix(seqs, total)
    expect(seqs).toHaveLength(total)
  })
})

describe('core logger, the application listens and keeps running', () => {
  it.each(SIGNALS)('%s: not ended, and what was logged is written at once', async (signal) => {
    const file = nextPath()
    // A one-hour flush interval: the entries reach the file now only if the signal flushed them.
    const child = new SignalledChild([fixture, file, 'handler-keep', 'buffered'])
    await child.waitLogged(LOGGED_BEFORE)
    child.signal(signal)
    const total = await child.waitFor('handled', handledLine(signal))
    // Waiting for the flush the signal asked for: the file grows to every entry, or the wait fails.
    let seqs: number[] = []
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      // A read may catch the signal's write half done (a partial last line): read again then.
      try {
        if (existsSync(file)) seqs = await fileSeqs(file)
      } catch {}
      if (seqs.length >= total) break
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(seqs).toHaveLength(total)
    expectPrefix(seqs, total)
    child.signal('SIGKILL')
    const end = await child.ended
    expect(end.signal, 'the child was still running when the test ended it').toBe('SIGKILL')
  })
})

describe("reopenOnSignal 'SIGHUP'", () => {
  it('SIGHUP reopens and the process goes on; a later SIGTERM still loses nothing', async () => {
    const file = nextPath()
    const child = new SignalledChild([fixture, file, 'reopen', 'buffered'])
    await child.waitLogged(LOGGED_BEFORE)
    renameSync(file, `${file}.1`)
    child.tell('renamed')
    child.signal('SIGHUP')
    await child.waitFor('reopened', (line) => (line === 'reopened' ? true : undefined))
    const logged = await child.waitLogged(child.lastLogged() + LOGGED_BEFORE)
    child.signal('SIGTERM')
    const end = await child.ended
    expect(end.signal, end.stderr).toBe('SIGTERM')
    const old = await fileSeqs(`${file}.1`)
    const now = await fileSeqs(file)
    expect(now.length).toBeGreaterThan(0)
    expectPrefix([...old, ...now], logged)
  })
})

describe('one listener per signal for the whole process', () => {
  it('several loggers add one listener per signal; the last close removes it', async () => {
    const before = SIGNALS.map((s) => process.listenerCount(s))
    const a = await createLogger({ path: nextPath(), bufferSize: 64 * 1024 })
    const b = await createLogger({ path: nextPath(), bufferSize: 64 * 1024 })
    expect(SIGNALS.map((s) => process.listenerCount(s))).toEqual(before.map((n) => n + 1))
    await a.close()
    expect(SIGNALS.map((s) => process.listenerCount(s))).toEqual(before.map((n) => n + 1))
    await b.close()
    expect(SIGNALS.map((s) => process.listenerCount(s))).toEqual(before)
  })

  it('flushOnSignal: false adds none', async () => {
    const before = SIGNALS.map((s) => process.listenerCount(s))
    const logger = await createLogger({ path: nextPath(), bufferSize: 64 * 1024, flushOnSignal: false })
    expect(SIGNALS.map((s) => process.listenerCount(s))).toEqual(before)
    await logger.close()
  })
})

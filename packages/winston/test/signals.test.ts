import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { readEntries, verify } from '@asyncdirect/core'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { SignalledChild } from '../../../test-support/signalled-child.js'
import { removeTempDirs, tempFile } from './support/files.js'

// A child logs numbered entries through winston, a few per turn of the event loop, and says how many
// it has logged; the test sends a real signal once it has said so. Every entry whose log call
// returned before the signal must be in the file, once, in order; the child ends as the signal
// (no listener of the application's) or the application's own listener decides.

afterAll(removeTempDirs)
const fixture = fileURLToPath(new URL('./fixtures/signal-child.mjs', import.meta.url))
const LOGGED_BEFORE = 1500
afterEach(() => SignalledChild.killAll())
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const

/** The `seq` of each entry of the file, read with the core's reader after checking it decodes. */
async function fileSeqs(path: string): Promise<number[]> {
  expect((await verify(path)).problems).toEqual([])
  const seqs: number[] = []
  for await (const e of readEntries(path)) seqs.push((JSON.parse(e.toString()) as { seq: number }).seq)
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

describe('winston with AsyncDirectTransport', () => {
  const start = (mode: string) => {
    const file = tempFile()
    return { file, child: new SignalledChild([fixture, file, mode]) }
  }

  it.each(SIGNALS)(
    '%s, no listener: the process dies by it, every entry logged before is in the file',
    async (signal) => {
      const { file, child } = start('none')
      const logged = await child.waitLogged(LOGGED_BEFORE)
      child.signal(signal)
      const end = await child.ended
      expect(end.signal, end.stderr).toBe(signal)
      expect(end.stderr).toBe('')
      expectPrefix(await fileSeqs(file), logged)
    },
  )

  it.each(SIGNALS)('%s, the application listens and exits: its exit code, nothing lost', async (signal) => {
    const { file, child } = start('handler-exit')
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

  it.each(SIGNALS)(
    '%s, the application listens and keeps running: what was logged is written at once',
    async (signal) => {
      const { file, child } = start('handler-keep')
      await child.waitLogged(LOGGED_BEFORE)
      child.signal(signal)
      const total = await child.waitFor('handled', handledLine(signal))
      // A one-hour flush interval and write delay: the lines reach the file now only if the signal
      // flushed them.
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
    },
  )
})

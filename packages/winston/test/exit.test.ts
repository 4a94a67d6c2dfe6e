import { appendFileSync, statSync } from 'node:fs'
import { createLogger, readEntries, verify } from '@asyncdirect/core'
import { afterAll, describe, expect, it } from 'vitest'
import { type ChildResult, runNode } from '../../../test-support/node-child.js'
import { fileJson, fileLines, fixture, removeTempDirs, tempFile } from './support/files.js'

// Child processes log through real winston and leave the way applications do: process.exit()
// right after logging, an uncaught exception, an unhandled rejection. The file must hold every
// entry winston accepted.

afterAll(removeTempDirs)

function expectCleanExit(result: ChildResult, code = 0): void {
  expect(result.hung).toBe(false)
  expect(result.stderr).not.toContain('entries may be lost')
  expect(result.code, `exit signal ${result.signal}; stderr: ${result.stderr}`).toBe(code)
}

/** Checks `entries` are `seq` 0..count-1, each once, in order. */
function expectSequence(entries: Array<Record<string, unknown>>, count: number): void {
  expect(entries).toHaveLength(count)
  const outOfPlace = entries.findIndex((e, i) => e.seq !== i)
  expect(outOfPlace).toBe(-1)
}

async function framedJson(path: string): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = []
  for await (const entry of readEntries(path)) out.push(JSON.parse(entry.toString()))
  return out
}

describe('process.exit() right after logging loses nothing', () => {
  it('100k entries, exit before the flusher thread has even started', async () => {
    const path = tempFile()
    const result = await runNode([fixture('exit-child.mjs'), path, '100000'])
    expectCleanExit(result)
    expectSequence(fileJson(path), 100_000)
  })

  it('100k entries, exit once the flusher thread runs', async () => {
    const path = tempFile()
    const result = await runNode([fixture('exit-child.mjs'), path, '100000', 'lines', '--wait-ready'])
    expectCleanExit(result)
    expectSequence(fileJson(path), 100_000)
  })

  it('framed format, both ways, appending to the same file', async () => {
    const path = tempFile()
    expectCleanExit(await runNode([fixture('exit-child.mjs'), path, '30000', 'framed']))
    expectCleanExit(await runNode([fixture('exit-child.mjs'), path, '30000', 'framed', '--wait-ready']))
    const entries = await framedJson(path)
    expectSequence(entries.slice(0, 30_000), 30_000)
    expectSequence(entries.slice(30_000), 30_000)
    expect((await verify(path)).ok).toBe(true)
  })

  it('lines: an existing file without a final newline keeps its last line whole', async () => {
    const path = tempFile()
    appendFileSync(path, 'a line another program wrote, cut short')
    expectCleanExit(await runNode([fixture('exit-child.mjs'), path, '3']))
    const lines = fileLines(path)
    expect(lines[0]).toBe('a line another program wrote, cut short')
    expectSequence(
      lines.slice(1).map((l) => JSON.parse(l)),
      3,
    )
  })

  it('framed: entries written at exit go after a block torn by an earlier crash', async () => {
    // An earlier run wrote one intact block, then crashed while writing a second one: its header
    // claims 8 KiB, the file ends after one complete entry and half of the next.
    const path = tempFile()
    const logger = await createLogger({ path, format: 'framed' })
    logger.log('{"seq":"before"}')
    await logger.close()
    const torn = Buffer.alloc(8 + 4 + 10 + 4 + 20)
    torn.writeUInt32LE(8192, 0)
    torn.writeUInt32LE(4 + 10 + 4 + 40, 4)
    torn.writeUInt32LE(10, 8)
    torn.write('{"seq":-1}', 12)
    torn.writeUInt32LE(40, 22)
    torn.fill('x', 26)
    const start = statSync(path).size
    appendFileSync(path, torn)

    const result = await runNode([fixture('exit-child.mjs'), path, '100', 'framed'])
    expectCleanExit(result)
    const entries = await framedJson(path)
    expect(entries.slice(0, 2)).toEqual([{ seq: 'before' }, { seq: -1 }])
    expectSequence(entries.slice(2), 100)
    const report = await verify(path)
    expect(report.problems).toEqual([])
    expect(statSync(path).size).toBeGreaterThanOrEqual(start + 8192)
  })
})

describe("winston's exception and rejection handlers", () => {
  const cases = [
    ['exception', 'uncaughtException: boom: uncaught'],
    ['rejection', 'unhandledRejection: boom: unhandled'],
  ] as const

  for (const [kind, message] of cases) {
    for (const when of ['open', 'early'] as const) {
      it(`${kind} (${when === 'early' ? 'before the flusher thread runs' : 'flusher running'}): the entry is in the file`, async () => {
        const path = tempFile()
        const result = await runNode([fixture('crash-child.mjs'), path, kind, when])
        expectCleanExit(result, 1)
        // The transport answered the handler's wait for 'finish': winston exited at once rather
        // than after its 3-second timeout.
        expect(result.stderr).toContain('transport finish')
        const entries = fileJson(path)
        expect(entries.map((e) => e.message)).toEqual(['starting', 'about to fail', expect.any(String)])
        const last = entries[2]!
        expect(String(last.message).startsWith(message)).toBe(true)
        expect(last.level).toBe('error')
        expect(String(last.stack)).toContain(message.split(': ').slice(1).join(': '))
      })
    }
  }

  for (const [kind, message] of cases) {
    it(`${kind} with the transport in winston's ${kind}Handlers: the entry is in the file`, async () => {
      const path = tempFile()
      const result = await runNode([fixture('crash-child.mjs'), path, kind, 'handlers'])
      expectCleanExit(result, 1)
      expect(result.stderr).toContain('transport finish')
      const entries = fileJson(path)
      expect(entries).toHaveLength(1)
      expect(String(entries[0]!.message).startsWith(message)).toBe(true)
      // The logger's own transport has the ordinary entries (and, for a rejection, which winston
      // does not mark as an exception, the error too).
      const all = fileJson(`${path}.all`).map((e) => e.message)
      expect(all.slice(0, 2)).toEqual(['starting', 'about to fail'])
    })

    it(`${kind} with exitOnError: false: the application goes on logging to the same transport`, async () => {
      const path = tempFile()
      const result = await runNode([fixture('crash-child.mjs'), path, kind, 'survive'])
      expectCleanExit(result, 0)
      const messages = fileJson(path).map((e) => String(e.message))
      expect(messages).toHaveLength(4)
      expect(messages.slice(0, 2)).toEqual(['starting', 'about to fail'])
      expect(messages[2]!.startsWith(message)).toBe(true)
      expect(messages[3]).toBe('still running')
      // Only the end() at the end finished the transport: it was not finished (and so unpiped
      // and closed by winston) for the handler, which does not wait when it will not exit.
      expect(result.stderr.match(/transport finish/g)).toHaveLength(1)
    })
  }
})

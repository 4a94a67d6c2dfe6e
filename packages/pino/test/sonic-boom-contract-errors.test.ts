import { once } from 'node:events'
import { closeSync, openSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { takeWarnings } from '../../../test-support/warning-guard.js'
import { type AsyncDirectDestination, destination } from '../dist/index.js'
import { readText, tempFiles } from './support/files.js'
import { destroyStream, endStream, implementations, opened } from './support/sonic-contract.js'

// SonicBoom's contract, continued: errors, reopen (a failed one included) and descriptors, against
// sonic-boom 4.2.1 and destination(); then asyncdirect's intentional differences, each asserted
// next to what SonicBoom does.

const files = tempFiles('sonic-contract-errors')
const missingDir = (name: string): string => join(files.dir, 'missing-dir', `${name}.log`)

describe.each(implementations)('SonicBoom contract, errors and reopen: $name', (impl) => {
  it("a file that cannot be opened: an 'error' event, not a throw from the constructor", async () => {
    const s = impl.open({ dest: missingDir(impl.name) })
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException]
    expect(err.code).toBe('ENOENT')
  })

  it('with sync: true, the constructor throws it', () => {
    expect(() => impl.open({ dest: missingDir(impl.name), sync: true })).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    )
  })

  it('invalid options throw at once: minLength ≥ maxWrite, an unknown contentMode', () => {
    expect(() => impl.open({ dest: files.next(impl.name), minLength: 20_000 })).toThrow(/minLength.*maxWrite/)
    expect(() => impl.open({ dest: files.next(impl.name), contentMode: 'ascii' as never })).toThrow(
      /utf8.*buffer/,
    )
  })

  it('flush(123) throws at once and nothing is thrown later', async () => {
    const s = impl.open({ dest: files.next(impl.name) })
    await opened(s)
    expect(() => s.flush(123 as never)).toThrow(/function/)
    // An uncaught exception from a later tick would fail this test (vitest reports it).
    await new Promise((resolve) => setTimeout(resolve, 50))
    await endStream(s)
  })

  it('after destroy(): write, flush, flushSync, end and reopen throw; flush(cb) gets the error', async () => {
    const s = impl.open({ dest: files.next(impl.name) })
    await opened(s)
    await destroyStream(s)
    expect(() => s.write('late\n')).toThrow(/destroyed|closed/)
    expect(() => s.flush()).toThrow(/destroyed|closed/)
    expect(() => s.flushSync()).toThrow(/destroyed|closed/)
    expect(() => s.end()).toThrow(/destroyed|closed/)
    expect(() => s.reopen()).toThrow(/destroyed|closed/)
    const err = await new Promise<Error | null | undefined>((resolve) => s.flush(resolve))
    expect(err?.message).toMatch(/destroyed|closed/)
    s.destroy() // idempotent
  })

  it('reopen() after a rename: earlier writes in the renamed file, those after reopen() in a new one', async () => {
    const dest = files.next(impl.name)
    const s = impl.open({ dest })
    await opened(s)
    s.write('before\n')
    await new Promise<void>((resolve, reject) => s.flush((e) => (e ? reject(e) : resolve())))
    renameSync(dest, `${dest}.1`)
    s.reopen()
    s.write('right after reopen()\n')
    await once(s, 'ready')
    s.write('after ready\n')
    await endStream(s)
    expect(readText(`${dest}.1`)).toBe('before\n')
    expect(readText(dest)).toBe('right after reopen()\nafter ready\n')
  })

  it('reopen(file) moves to another file', async () => {
    const first = files.next(impl.name)
    const second = files.next(impl.name)
    const s = impl.open({ dest: first })
    await opened(s)
    s.write('one\n')
    s.reopen(second)
    await once(s, 'ready')
    s.write('two\n')
    await endStream(s)
    expect(readText(first)).toBe('one\n')
    expect(readText(second)).toBe('two\n')
  })

  it("a reopen() that fails: 'error', and the old file goes on being written", async () => {
    const dest = files.next(impl.name)
    const s = impl.open({ dest })
    await opened(s)
    s.write('before\n')
    s.reopen(missingDir(`${impl.name}-reopen`))
    const [err] = (await once(s, 'error')) as [NodeJS.ErrnoException]
    expect(err.code).toBe('ENOENT')
    for (let i = 0; i < 10; i++) s.write(`after ${i}\n`)
    await endStream(s)
    const after = Array.from({ length: 10 }, (_, i) => `after ${i}\n`).join('')
    expect(readText(dest)).toBe(`before\n${after}`)
  })

  it('a write in the same turn as end() is still written; after close, writes throw', async () => {
    const dest = files.next(impl.name)
    const s = impl.open({ dest })
    await opened(s)
    s.write('kept\n')
    const closed = once(s, 'close')
    s.end()
    s.write('same turn as end\n')
    await closed
    expect(readText(dest)).toBe('kept\nsame turn as end\n')
    expect(() => s.write('after close\n')).toThrow(/destroyed|closed/)
  })

  it('reopen() after end() does nothing', async () => {
    const dest = files.next(impl.name)
    const s = impl.open({ dest })
    await opened(s)
    s.write('x\n')
    const closed = once(s, 'close')
    s.end()
    expect(() => s.reopen()).not.toThrow()
    await closed
    expect(readText(dest)).toBe('x\n')
  })
})

describe('descriptors: destination() is a plain SonicBoom, as pino.destination() builds it', () => {
  it('{ fd } of a file the caller opened, and dest: 1', async () => {
    const path = files.next('fd')
    const fd = openSync(path, 'a')
    const viaFd = destination({ fd }) as unknown as AsyncDirectDestination
    expect(viaFd.constructor.name).toBe('SonicBoom')
    viaFd.write('through the descriptor\n')
    // Ended, not flushSync()ed: SonicBoom's flushSync() returns while an asynchronous write it
    // began is still in the thread pool, so reading right after it raced with that write.
    await endStream(viaFd as never)
    expect(readText(path)).toBe('through the descriptor\n')
    expect(destination(1).constructor.name).toBe('SonicBoom')
    expect(destination('2').constructor.name).toBe('SonicBoom')
    expect(() => closeSync(fd)).toThrow(/EBADF/) // SonicBoom closed it, as it does
  })

  it("a core option with a descriptor is refused: it needs asyncdirect's file", () => {
    expect(() => destination({ dest: 1, bufferSize: 1 << 20 } as never)).toThrow(
      /config\.bufferSize: applies to a file/,
    )
  })
})

describe('intentional differences from SonicBoom', () => {
  const [sonic, ours] = implementations as [(typeof implementations)[0], (typeof implementations)[1]]

  it('an unknown option: SonicBoom ignores it, destination() names it', async () => {
    const s = sonic.open({ dest: files.next('sonic'), sinc: true })
    await endStream(s)
    expect(() => ours.open({ dest: files.next('ours'), sinc: true })).toThrow(/config\.sinc: unknown option/)
  })

  it('destroy(): SonicBoom discards what it had not written, destination() keeps it', async () => {
    const sonicPath = files.next('sonic')
    const ourPath = files.next('ours')
    const s = sonic.open({ dest: sonicPath, minLength: 4096 })
    const o = ours.open({ dest: ourPath, minLength: 4096 })
    await Promise.all([opened(s), opened(o)])
    s.write('buffered\n')
    o.write('buffered\n')
    await Promise.all([destroyStream(s), destroyStream(o)])
    expect(readText(sonicPath)).toBe('')
    expect(readText(ourPath)).toBe('buffered\n')
  })

  it("after a failed reopen(file), SonicBoom's `file` names the file it could not open; ours the one written", async () => {
    for (const impl of [sonic, ours]) {
      const dest = files.next(impl.name)
      const s = impl.open({ dest })
      await opened(s)
      const bad = missingDir(`${impl.name}-file`)
      s.reopen(bad)
      await once(s, 'error')
      expect(s.file).toBe(impl === sonic ? bad : dest)
      await endStream(s)
    }
  })

  it('a failed reopen() with no error listener: a process warning, not a crash; nothing dropped', async () => {
    const dest = files.next('ours')
    const d = destination({ dest })
    d.write('before\n')
    d.reopen(missingDir('ours-unheard'))
    await new Promise((resolve) => setImmediate(resolve))
    d.write('after\n')
    await endStream(d as never)
    expect(takeWarnings('ASYNCDIRECT_REOPEN_FAILED')).toHaveLength(1)
    expect(readText(dest)).toBe('before\nafter\n')
    expect(d.droppedLogs).toBe(0)
  })

  it("maxLength drops are counted in droppedLogs (SonicBoom only emits 'drop')", async () => {
    const d = destination({ dest: files.next('ours'), maxLength: 100 })
    for (let i = 0; i < 5; i++) d.write(`${'y'.repeat(60)}\n`)
    expect(d.droppedLogs).toBe(4)
    await endStream(d as never)
  })
})

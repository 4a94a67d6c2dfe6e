import { execFileSync } from 'node:child_process'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import {
  createLogger,
  type IoError,
  type LogFormat,
  type Logger,
  readEntries,
  verify,
} from '../dist/index.js'
import { until, within } from './support/deadlines.js'
import { isPrefix, sequencedEntry, tally } from './support/entry-sequences.js'
import { announceSkip, type LoopFs, loopFsUnavailable, mountLoopFs } from './support/loop-fs.js'
import { errorsOf, open, tempDir } from './support/temp-loggers.js'

// The file or the disk goes away under a logger: the file deleted, its directory removed, its file
// system turned read-only, the device failing with EIO. Whatever happens is reported (an 'error'
// event with the errno name, flushErrors, a rejected flush()), the host goes on, and close()
// settles instead of hanging, also with a writer blocked on a full buffer.

const unavailable = loopFsUnavailable()
if (unavailable) announceSkip('io-errors.test.ts', unavailable)

const KiB = 1024
const WRITER = new URL('./fixtures/thread-writer.mjs', import.meta.url)
/** close() retries a failing final write a few times (about 3 s); this is well past that. */
const CLOSE_DEADLINE_MS = 30_000

function logSeq(l: Logger, tag: string, count: number): number {
  let accepted = 0
  for (let seq = 0; seq < count; seq++) if (l.log(sequencedEntry(tag, seq))) accepted++
  return accepted
}

async function entriesOf(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const e of readEntries(path)) out.push(e.toString('utf8'))
  return out
}

describe('the file or its directory is removed while logging', () => {
  it.each(['framed', 'lines'] as LogFormat[])(
    '%s: the file deleted: no error, logging goes on into the deleted file, close() resolves',
    async (format) => {
      const path = join(tempDir(), 'deleted.log')
      const l = await open({ path, bufferSize: 64 * KiB, numShards: 2, format })
      const errors = errorsOf(l)
      expect(logSeq(l, 'a', 1000)).toBe(1000)
      await l.flush()
      rmSync(path)
      // Linux keeps an open file that was deleted: writing it is not an error. The entries go to
      // the deleted file and disappear with it: deleting a live log is a way to lose it.
      expect(logSeq(l, 'b', 5000)).toBe(5000)
      await within(l.flush(), 'flush() after the file was deleted')
      await within(l.close(), 'close()')
      expect(errors).toEqual([])
      const s = l.getStatsSnapshot()
      expect(s.flushErrors).toBe(0)
      expect(s.entriesWritten).toBe(6000)
      expect(existsSync(path)).toBe(false)
    },
  )

  it('the directory removed with the file: the same, and a new logger there fails naming the directory', async () => {
    const dir = join(tempDir(), 'logs')
    const path = join(dir, 'app.log')
    const l = await open({ path, bufferSize: 64 * KiB, numShards: 2, mkdir: true })
    const errors = errorsOf(l)
    expect(logSeq(l, 'a', 1000)).toBe(1000)
    rmSync(dir, { recursive: true })
    expect(logSeq(l, 'b', 5000)).toBe(5000)
    await within(l.close(), 'close()')
    expect(errors).toEqual([])
    expect(l.getStatsSnapshot().entriesWritten).toBe(6000)
    const err = await createLogger({ path: join(dir, 'other.log') }).then(
      () => null,
      (e: IoError) => e,
    )
    expect(err?.code).toBe('ENOENT')
    expect(err?.message).toContain(dir)
  })
})

describe.skipIf(unavailable !== null)('the file system fails (loop-mounted ext4)', () => {
  let fs: LoopFs

  it('remounted read-only (errors=remount-ro after a file system error): EROFS reported, close() settles', async () => {
    fs = mountLoopFs(32, ['errors=remount-ro'])
    const path = join(fs.dir, 'ro.log')
    const l = await open({ path, bufferSize: 64 * KiB, numShards: 2, flushInterval: 20 })
    const errors = errorsOf(l)
    expect(logSeq(l, 'before', 2000)).toBe(2000)
    await l.flush()

    // What ext4 does on a metadata error with errors=remount-ro (the usual fstab setting):
    // the file system turns read-only under every open file.
    writeFileSync(join(fs.sysfs, 'trigger_fs_error'), 'asyncdirect io-errors test')
    expect(logSeq(l, 'after', 1000)).toBe(1000)
    const failed = await l.flush().then(
      () => null,
      (e: IoError) => e,
    )
    expect(failed?.code).toBe('EROFS')
    expect(failed?.message).toContain(path)
    await until(() => errors.length > 0, "an 'error' event")
    expect(errors.every((e) => e.code === 'EROFS' && e.path === path)).toBe(true)
    expect(l.getStatsSnapshot().flushErrors).toBeGreaterThan(0)

    // A worker blocked on a full buffer (backpressure 'block') must not keep close() waiting.
    const worker = new Worker(WRITER, {
      workerData: { handle: l.handle, id: 1, count: 200_000, mode: 'mixed' },
    })
    const workerDone = new Promise<{ accepted: number; rejected: number }>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    // Its shard holds about a thousand entries per set: past that it waits for room.
    await until(() => l.getStatsSnapshot().totalLogs > 3500, 'the worker logs')

    const closing = await within(
      l.close().then(
        () => null,
        (e: IoError) => e,
      ),
      'close() on a read-only file system',
      CLOSE_DEADLINE_MS,
    )
    expect(closing?.code).toBe('EROFS')
    const w = await within(workerDone, 'the blocked worker, after close()')
    // Accepted before close, then dropped (and counted) once closed.
    expect(w.accepted + w.rejected).toBe(200_000)
    expect(w.rejected).toBeGreaterThan(0)
    await worker.terminate()
    const s = l.getStatsSnapshot()
    expect(s.droppedLogs).toBe(w.rejected)

    // What was written before the failure reads back intact.
    expect((await verify(path)).problems).toEqual([])
    const t = tally(await entriesOf(path))
    expect(t.foreign).toEqual([])
    expect(isPrefix(t.seqs.get('before')!)).toBe(true)
    expect(t.seqs.get('before')!.length).toBe(2000)
  })

  it('the device fails with EIO (a loop device shrunk under its file system): EIO reported, close() settles', async () => {
    fs = mountLoopFs(64)
    const path = join(fs.dir, 'eio.log')
    const l = await open({
      path,
      bufferSize: 64 * KiB,
      numShards: 2,
      flushInterval: 20,
      format: 'lines',
      backpressure: 'drop',
    })
    const errors = errorsOf(l)
    // Fits one set of the main thread's shard: nothing dropped yet.
    expect(logSeq(l, 'before', 500)).toBe(500)
    await l.flush()

    // Every block past the first MiB now fails in the block layer ("access beyond end of
    // device"): the file's next blocks, and the journal.
    execFileSync('truncate', ['-s', '1M', fs.image])
    execFileSync('losetup', ['--set-capacity', fs.device])
    const accepted = logSeq(l, 'after', 20_000)
    expect(accepted).toBeGreaterThan(0)
    const failed = await l.flush().then(
      () => null,
      (e: IoError) => e,
    )
    expect(failed).not.toBe(null)
    await until(() => errors.length > 0, "an 'error' event")
    expect(errors[0]!.code).toBe('EIO')
    expect(errors.every((e) => ['EIO', 'EROFS'].includes(e.code) && e.path === path)).toBe(true)
    const s = l.getStatsSnapshot()
    expect(s.flushErrors).toBeGreaterThan(0)
    expect(s.totalLogs).toBe(20_500)
    expect(s.droppedLogs).toBe(20_000 - accepted)

    const closing = await within(
      l.close().then(
        () => null,
        (e: IoError) => e,
      ),
      'close() on a failing device',
      CLOSE_DEADLINE_MS,
    )
    expect(['EIO', 'EROFS']).toContain(closing?.code)
    console.log(
      `[io-errors] EIO: ${errors.length} error events (${[...new Set(errors.map((e) => e.code))].join(', ')}), close() rejected with ${closing?.code}`,
    )
  })
})

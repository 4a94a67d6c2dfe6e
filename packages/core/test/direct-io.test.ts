import { spawn } from 'node:child_process'
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
} from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, type Logger, type LoggerConfig, verify } from '../dist/index.js'
import { loadNative } from '../dist/shared/native-library.js'
import { decodeFramedBuffers } from './support/framed-decoder.js'

// O_DIRECT is really used: the kernel's view of the descriptor (/proc/self/fdinfo) has the flags,
// and a 64 MiB log leaves (almost) nothing in the page cache. The buffered fallbacks (asked for,
// and forced by the absence of the native library) write the same entries.

const dir = testDir('test')
let fileCounter = 0
const nextPath = (d = dir): string => join(d, `direct-${fileCounter++}.log`)

// Linux x86_64/arm64 generic values (asm-generic/fcntl.h), printed in octal by fdinfo.
const O_DSYNC = 0o10000
const O_DIRECT = process.arch === 'arm64' || process.arch === 'arm' ? 0o200000 : 0o40000

const MiB = 1024 * 1024

/** Descriptors of this process open on `path`. */
function fdsOf(path: string): number[] {
  const target = realpathSync(path)
  const out: number[] = []
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`) === target) out.push(Number(name))
    } catch {
      // Closed between readdir and readlink (the readdir's own descriptor, for one).
    }
  }
  return out
}

/** The open flags of a descriptor, from the `flags:` line of /proc/self/fdinfo (octal). */
function fdFlags(fd: number): number {
  const info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
  const m = /^flags:\s+([0-7]+)$/m.exec(info)
  if (!m) throw new Error(`no flags line in fdinfo of ${fd}: ${info}`)
  return Number.parseInt(m[1]!, 8)
}

/** A varied set of entries: text (ASCII and not), empty, binary with zeros, shard-sized, oversize. */
function sampleEntries(shardSize: number): Array<string | Buffer> {
  const entries: Array<string | Buffer> = []
  for (let i = 0; i < 3000; i++) {
    if (i % 7 === 0) entries.push(Buffer.from([i & 0xff, 0, 0, 0, (i >> 8) & 0xff, 0xff, 0]))
    else if (i % 11 === 0) entries.push(`ünïcødé ${i} — 日本語 🚀`)
    else if (i % 13 === 0) entries.push('')
    else entries.push(`entry ${i} ${'p'.repeat(i % 300)}`)
  }
  entries.splice(1500, 0, 'L'.repeat(shardSize - 64)) // fits a shard, barely
  entries.splice(2000, 0, Buffer.alloc(shardSize * 2 + 123, 0x42)) // larger than a shard
  return entries
}

function logAll(logger: Logger, entries: Array<string | Buffer>): void {
  for (const e of entries) {
    const ok = typeof e === 'string' ? logger.log(e) : logger.logBytes(e)
    expect(ok).toBe(true)
  }
}

const asBytes = (entries: Array<string | Buffer>): Buffer[] =>
  entries.map((e) => (typeof e === 'string' ? Buffer.from(e, 'utf8') : e))

function cachedPages(path: string): { resident: number; total: number } {
  const native = loadNative()
  if (!native.ok) throw new Error(`native library unavailable: ${native.reason}`)
  const out = new BigUint64Array(2)
  const r = native.lib.cachedPages(path, out)
  if (r < 0) throw new Error(`cachedPages(${path}) failed: ${r}`)
  return { resident: Number(out[0]), total: Number(out[1]) }
}

function runChild(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('O_DIRECT | O_DSYNC', () => {
  it('the log file descriptor has O_DIRECT and O_DSYNC; 64 MiB written leave the page cache empty', async () => {
    const path = nextPath()
    const logger = await createLogger({ format: 'framed', path })
    const stats = logger.getStatsSnapshot()
    expect(stats.directIO).toBe(true)
    expect(stats.alignment % 512).toBe(0)
    const fds = fdsOf(path)
    expect(fds.length).toBeGreaterThan(0)
    for (const fd of fds) {
      const flags = fdFlags(fd)
      expect(flags & O_DIRECT, `fd ${fd} flags 0${flags.toString(8)} lack O_DIRECT`).toBe(O_DIRECT)
      expect(flags & O_DSYNC, `fd ${fd} flags 0${flags.toString(8)} lack O_DSYNC`).toBe(O_DSYNC)
    }

    const COUNT = 64 * 1024
    const payload = Buffer.alloc(1020, 0x61)
    for (let i = 0; i < COUNT; i++) {
      payload.writeUInt32LE(i, 0)
      expect(logger.logBytes(payload)).toBe(true)
    }
    await logger.close()
    expect(fdsOf(path)).toEqual([])
    const after = logger.getStatsSnapshot()
    expect(after.directIO).toBe(true)
    expect(after.bytesWritten).toBeGreaterThanOrEqual(64 * MiB)

    // Before anything reads the file: O_DIRECT writes do not go through the page cache.
    const { resident, total } = cachedPages(path)
    expect(total).toBeGreaterThanOrEqual((64 * MiB) / 4096)
    expect(resident, `${resident} of ${total} pages cached`).toBeLessThan(total * 0.05)

    const entries = decodeFramedBuffers(path)
    expect(entries.length).toBe(COUNT)
    entries.forEach((e, i) => {
      if (e.length !== 1020 || e.readUInt32LE(0) !== i) throw new Error(`entry ${i} damaged`)
    })
    expect((await verify(path)).ok).toBe(true)
  })

  it('control: the same measurement sees a buffered file in the page cache', async () => {
    // Shows that cachedPages can tell: without O_DIRECT the written pages stay cached.
    const path = nextPath()
    const logger = await createLogger({ format: 'framed', path, directIO: false, bufferSize: 8 * MiB })
    const payload = Buffer.alloc(1020, 0x62)
    for (let i = 0; i < 16 * 1024; i++) logger.logBytes(payload)
    await logger.close()
    const { resident, total } = cachedPages(path)
    expect(total).toBeGreaterThanOrEqual((16 * MiB) / 4096)
    expect(resident, `${resident} of ${total} pages cached`).toBeGreaterThan(total * 0.5)
  })

  it('dsync: false keeps O_DIRECT without O_DSYNC, and the entries are all there', async () => {
    const path = nextPath()
    const logger = await createLogger({ format: 'framed', path, dsync: false, bufferSize: MiB, numShards: 4 })
    const fds = fdsOf(path)
    expect(fds.length).toBeGreaterThan(0)
    for (const fd of fds) {
      const flags = fdFlags(fd)
      expect(flags & O_DIRECT).toBe(O_DIRECT)
      expect(flags & O_DSYNC).toBe(0)
    }
    expect(logger.getStatsSnapshot().directIO).toBe(true)
    const entries = sampleEntries(MiB / 4)
    logAll(logger, entries)
    await logger.close()
    expect(decodeFramedBuffers(path)).toEqual(asBytes(entries))
    expect((await verify(path)).ok).toBe(true)
  })
})

describe('buffered fallback', () => {
  it('directIO: false: no O_DIRECT, stats say so, and the file decodes to the same entries', async () => {
    const config: Omit<LoggerConfig, 'path'> = { bufferSize: MiB, numShards: 4 }
    const entries = sampleEntries(MiB / 4)

    const directPath = nextPath()
    const direct = await createLogger({ format: 'framed', ...config, path: directPath })
    expect(direct.getStatsSnapshot().directIO).toBe(true)
    logAll(direct, entries)
    await direct.close()

    const bufferedPath = nextPath()
    const buffered = await createLogger({ format: 'framed', ...config, path: bufferedPath, directIO: false })
    const stats = buffered.getStatsSnapshot()
    expect(stats.directIO).toBe(false)
    expect(stats.alignment % 512).toBe(0)
    const fds = fdsOf(bufferedPath)
    expect(fds.length).toBeGreaterThan(0)
    for (const fd of fds) {
      const flags = fdFlags(fd)
      expect(flags & O_DIRECT, `fd ${fd} flags 0${flags.toString(8)}`).toBe(0)
      expect(flags & O_DSYNC, `fd ${fd} flags 0${flags.toString(8)}`).toBe(O_DSYNC)
    }
    logAll(buffered, entries)
    await buffered.close()
    expect(buffered.getStatsSnapshot().directIO).toBe(false)

    const want = asBytes(entries)
    expect(decodeFramedBuffers(directPath)).toEqual(want)
    expect(decodeFramedBuffers(bufferedPath)).toEqual(want)
    expect((await verify(bufferedPath)).ok).toBe(true)
  })

  it('ASYNCDIRECT_NATIVE=0: SharedArrayBuffer memory, node:fs writes, one warning, every entry', async () => {
    const file1 = nextPath()
    const file2 = nextPath()
    const COUNT = 50_000
    const fixture = fileURLToPath(new URL('./fixtures/fallback-child.mjs', import.meta.url))
    const r = await runChild([fixture, file1, file2, String(COUNT)], {
      ...process.env,
      ASYNCDIRECT_NATIVE: '0',
    })
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout.trim()) as {
      memoryKind: string
      isShared: boolean
      accepted: number
      fromWorker: number
      stats1: { directIO: boolean; droppedLogs: number; entriesWritten: number; flushErrors: number }
      stats2: { directIO: boolean; entriesWritten: number }
    }
    expect(out.memoryKind).toBe('shared')
    expect(out.isShared).toBe(true)
    expect(out.accepted).toBe(COUNT)
    expect(out.fromWorker).toBe(COUNT)
    expect(out.stats1).toMatchObject({
      directIO: false,
      droppedLogs: 0,
      entriesWritten: 2 * COUNT,
      flushErrors: 0,
    })
    expect(out.stats2).toMatchObject({ directIO: false, entriesWritten: 1 })
    // One warning for the whole process, though two loggers were created.
    const warnings = r.stderr.split('\n').filter((l) => /native library unavailable/.test(l))
    expect(warnings.length, r.stderr).toBe(1)
    expect(warnings[0]).toMatch(/ASYNCDIRECT_NATIVE=0/)

    const entries = decodeFramedBuffers(file1).map((e) => e.toString('utf8'))
    expect(entries.length).toBe(2 * COUNT)
    const main = entries.filter((e) => e.startsWith('fb '))
    const fromWorker = entries.filter((e) => e.startsWith('fw '))
    expect(main).toEqual(Array.from({ length: COUNT }, (_, i) => `fb ${i} ${'q'.repeat(i % 37)}`))
    expect(fromWorker).toEqual(Array.from({ length: COUNT }, (_, i) => `fw ${i}`))
    expect((await verify(file1)).ok).toBe(true)
    expect(decodeFramedBuffers(file2).map((e) => e.toString())).toEqual(['second file entry'])
  })
})

const shmIsTmpfs =
  existsSync('/proc/mounts') &&
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => {
      const [, mountPoint, type] = line.split(' ')
      return mountPoint === '/dev/shm' && type === 'tmpfs'
    })

describe.skipIf(!shmIsTmpfs)('tmpfs (/dev/shm)', () => {
  it('a logger on tmpfs works, whatever it decides about O_DIRECT', async () => {
    const shmDir = mkdtempSync(join('/dev/shm', 'asyncdirect-'))
    try {
      const path = nextPath(shmDir)
      const logger = await createLogger({ format: 'framed', path, bufferSize: MiB, numShards: 4 })
      const stats = logger.getStatsSnapshot()
      expect(stats.alignment).toBeGreaterThanOrEqual(512)
      expect(stats.alignment % 512).toBe(0)
      const entries = sampleEntries(MiB / 4)
      logAll(logger, entries)
      await logger.close()
      expect(logger.getStatsSnapshot().flushErrors).toBe(0)
      expect(decodeFramedBuffers(path)).toEqual(asBytes(entries))
      const report = await verify(path)
      expect(report.ok).toBe(true)
      expect(report.entries).toBe(entries.length)
    } finally {
      rmSync(shmDir, { recursive: true, force: true })
    }
  })
})

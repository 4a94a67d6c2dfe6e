import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { TempDirs } from '../../../test-support/temp-files.js'
import {
  ConfigError,
  createLogger,
  defaultConfig,
  type Logger,
  type LoggerConfig,
  readEntries,
  resolveConfig,
} from '../dist/index.js'

const MiB = 1024 * 1024

const temp = new TempDirs('config')
const loggers: Logger[] = []
const tempDir = (): string => temp.dir()

afterEach(async () => {
  await Promise.allSettled(loggers.splice(0).map((l) => l.close()))
  temp.removeAll()
})

async function readAll(path: string): Promise<string[]> {
  const out: string[] = []
  for await (const entry of readEntries(path)) out.push(entry.toString('utf8'))
  return out
}

/** Awaits `promise`, expects it to reject with a ConfigError, and returns that error. */
async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  let caught: unknown
  try {
    const logger = await promise
    loggers.push(logger as Logger)
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ConfigError)
  expect(caught).toMatchObject({ code: 'ASYNCDIRECT_INVALID_CONFIG' })
  return caught as ConfigError
}

describe('defaultConfig', () => {
  it("has the seed's defaults, in the 'lines' format", () => {
    expect(defaultConfig('/var/log/app.log')).toEqual({
      path: '/var/log/app.log',
      bufferSize: 64 * MiB,
      numShards: 8,
      flushInterval: 10_000,
      writeDelay: 100,
      flushTimeout: 10,
      useMMap: false,
      format: 'lines',
      backpressure: 'block',
      directIO: true,
      dsync: true,
      mode: 0o666,
      mkdir: false,
      truncate: false,
      rotate: { size: 0, interval: 0, maxFiles: 0, maxAge: 0, symlink: false },
      reopenOnSignal: false,
      flushOnSignal: true,
    })
  })

  it('returns a fresh object each call', () => {
    const a = defaultConfig('/a')
    a.bufferSize = 1
    expect(defaultConfig('/a').bufferSize).toBe(64 * MiB)
  })

  it('is accepted by createLogger as it is, and the file is written with the default mode', async () => {
    const dir = tempDir()
    const path = join(dir, 'default.log')
    const logger = await createLogger(defaultConfig(path))
    loggers.push(logger)
    expect(logger.log('with defaults')).toBe(true)
    await logger.close()
    expect(await readAll(path)).toEqual(['with defaults'])
    expect(statSync(path).mode & 0o777).toBe(0o666 & ~process.umask())
  })
})

describe('createLogger rejects a bad configuration with a ConfigError', () => {
  interface Case {
    name: string
    config: (path: string) => unknown
    field: string
    /** What the message must say about the accepted values. */
    range: RegExp
  }

  const cases: Case[] = [
    { name: 'missing path', config: () => ({}), field: 'path', range: /non-empty file path/ },
    { name: 'empty path', config: () => ({ path: '' }), field: 'path', range: /non-empty file path/ },
    { name: 'path not a string', config: () => ({ path: 42 }), field: 'path', range: /non-empty file path/ },
    {
      name: 'config a number',
      config: () => 42,
      field: '(root)',
      range: /an object with at least \{ path \}/,
    },
    {
      name: 'config a string',
      config: (p) => p,
      field: '(root)',
      range: /an object with at least \{ path \}/,
    },
    { name: 'config null', config: () => null, field: '(root)', range: /an object with at least \{ path \}/ },
    {
      name: 'numShards 0',
      config: (p) => ({ path: p, numShards: 0 }),
      field: 'numShards',
      range: /1 to 256/,
    },
    {
      name: 'numShards 257',
      config: (p) => ({ path: p, numShards: 257 }),
      field: 'numShards',
      range: /1 to 256/,
    },
    {
      name: 'numShards 1.5',
      config: (p) => ({ path: p, numShards: 1.5 }),
      field: 'numShards',
      range: /1 to 256/,
    },
    {
      name: 'bufferSize not a multiple of numShards * 4096',
      config: (p) => ({ path: p, numShards: 2, bufferSize: 3 * 4096 }),
      field: 'bufferSize',
      range: /multiple of 8192/,
    },
    {
      name: 'bufferSize not a multiple of 4096 with one shard',
      config: (p) => ({ path: p, numShards: 1, bufferSize: 4096 + 512 }),
      field: 'bufferSize',
      range: /multiple of 4096/,
    },
    {
      name: 'bufferSize too small',
      config: (p) => ({ path: p, numShards: 8, bufferSize: 4096 }),
      field: 'bufferSize',
      range: /32768 to/,
    },
    {
      name: 'bufferSize too large',
      config: (p) => ({ path: p, numShards: 1, bufferSize: 1024 * MiB }),
      field: 'bufferSize',
      range: /to 536870912/,
    },
    {
      name: 'bufferSize neither a number nor a size',
      config: (p) => ({ path: p, bufferSize: 'big' }),
      field: 'bufferSize',
      range: /positive integer or a string such as '8MiB'/,
    },
    {
      name: "bufferSize '64MB' (decimal) does not split into 8 shards of 4 KiB multiples",
      config: (p) => ({ path: p, bufferSize: '64MB' }),
      field: 'bufferSize',
      range: /'64MB' does not split into numShards 8 .*multiple of 32768 \(63995904 or 64028672\)/,
    },
    {
      name: 'numShards 3 with the default bufferSize: the shard count is named, not the size',
      config: (p) => ({ path: p, numShards: 3 }),
      field: 'numShards',
      range: /3 shards cannot split the default bufferSize .*power of two up to 256.*multiple of 12288/,
    },
    {
      name: 'flushInterval 0',
      config: (p) => ({ path: p, flushInterval: 0 }),
      field: 'flushInterval',
      range: /1 to 3600000 milliseconds/,
    },
    {
      name: 'flushInterval -1',
      config: (p) => ({ path: p, flushInterval: -1 }),
      field: 'flushInterval',
      range: /1 to 3600000 milliseconds/,
    },
    {
      name: "flushInterval 'x'",
      config: (p) => ({ path: p, flushInterval: 'x' }),
      field: 'flushInterval',
      range: /1 to 3600000 milliseconds/,
    },
    {
      name: 'flushTimeout -1',
      config: (p) => ({ path: p, flushTimeout: -1 }),
      field: 'flushTimeout',
      range: /0 to 60000 milliseconds/,
    },
    {
      name: "format 'xml'",
      config: (p) => ({ path: p, format: 'xml' }),
      field: 'format',
      range: /'framed'/,
    },
    {
      name: "backpressure 'wait'",
      config: (p) => ({ path: p, backpressure: 'wait' }),
      field: 'backpressure',
      range: /'block', 'drop'/,
    },
    {
      name: "directIO 'yes'",
      config: (p) => ({ path: p, directIO: 'yes' }),
      field: 'directIO',
      range: /true or false/,
    },
    {
      name: 'useMMap 1',
      config: (p) => ({ path: p, useMMap: 1 }),
      field: 'useMMap',
      range: /true or false/,
    },
    {
      name: 'mode 0o10000',
      config: (p) => ({ path: p, mode: 0o10000 }),
      field: 'mode',
      range: /0 to 4095/,
    },
    {
      name: 'unknown key bufSize',
      config: (p) => ({ path: p, bufSize: 1024 }),
      field: 'bufSize',
      range: /unknown option.*bufferSize/,
    },
  ]

  for (const c of cases) {
    it(c.name, async () => {
      const dir = tempDir()
      const path = join(dir, 'bad.log')
      const err = await configError(createLogger(c.config(path) as Parameters<typeof createLogger>[0]))
      expect(err).toBeInstanceOf(TypeError)
      expect(err.name).toBe('ConfigError')
      expect(err.code).toBe('ASYNCDIRECT_INVALID_CONFIG')
      expect(err.field).toBe(c.field)
      expect(err.message).toContain(c.field)
      expect(err.message).toMatch(c.range)
      // Rejected before anything touched the disk.
      expect(readdirSync(dir)).toEqual([])
    })
  }

  it('the message says what was given', async () => {
    const dir = tempDir()
    const err = await configError(createLogger({ path: join(dir, 'x.log'), numShards: 300 }))
    expect(err.message).toMatch(/got 300/)
  })

  it("bufferSize takes a size with units, as rotate.size does: '8MiB', '1 MB' with a matching numShards", () => {
    expect(resolveConfig({ path: '/x/app.log', bufferSize: '8MiB' }).bufferSize).toBe(8 * MiB)
    expect(resolveConfig({ path: '/x/app.log', bufferSize: '256 KiB', numShards: 2 }).bufferSize).toBe(
      256 * 1024,
    )
    expect(resolveConfig({ path: '/x/app.log', bufferSize: 12288, numShards: 3 }).bufferSize).toBe(12288)
  })

  it('undefined optional fields take their defaults', async () => {
    const dir = tempDir()
    const path = join(dir, 'undef.log')
    const logger = await createLogger({ path, bufferSize: undefined, numShards: undefined })
    loggers.push(logger)
    expect(logger.getShardStats()).toHaveLength(8)
    expect(logger.getShardStats()[0]!.capacity).toBe((64 * MiB) / 8)
    logger.log('ok')
    await logger.close()
    expect(await readAll(path)).toEqual(['ok'])
  })

  it('the smallest and largest accepted shard counts work', async () => {
    const dir = tempDir()
    for (const numShards of [1, 256]) {
      const path = join(dir, `shards-${numShards}.log`)
      const logger = await createLogger({ path, numShards, bufferSize: numShards * 4096 })
      loggers.push(logger)
      expect(logger.getShardStats()).toHaveLength(numShards)
      expect(logger.getShardStats().every((s) => s.capacity === 4096)).toBe(true)
      logger.log(`shards=${numShards}`)
      await logger.close()
      expect(await readAll(path)).toEqual([`shards=${numShards}`])
    }
  })
})

describe('the log file directory', () => {
  it('a missing directory fails with an error naming it and suggesting mkdir', async () => {
    const dir = tempDir()
    const missing = join(dir, 'no', 'such')
    let caught: unknown
    try {
      loggers.push(await createLogger({ path: join(missing, 'app.log') }))
    } catch (err) {
      caught = err
    }
    expect(caught).toBeInstanceOf(Error)
    expect(caught).not.toBeInstanceOf(ConfigError)
    const err = caught as Error & { code?: string }
    expect(err.code).toBe('ENOENT')
    expect(err.message).toContain(missing)
    expect(err.message).toMatch(/mkdir: true/)
    expect(existsSync(join(dir, 'no'))).toBe(false)
  })

  it('with mkdir: true the directory is created and the file written', async () => {
    const dir = tempDir()
    const nested = join(dir, 'a', 'b', 'c')
    const path = join(nested, 'app.log')
    const logger = await createLogger({ path, mkdir: true })
    loggers.push(logger)
    expect(statSync(nested).isDirectory()).toBe(true)
    expect(statSync(nested).mode & 0o777).toBe(0o750 & ~process.umask())
    expect(logger.log('in a new directory')).toBe(true)
    await logger.close()
    expect(await readAll(path)).toEqual(['in a new directory'])
  })

  it('mkdir: true on an existing directory is fine', async () => {
    const dir = tempDir()
    const path = join(dir, 'app.log')
    const logger = await createLogger({ path, mkdir: true })
    loggers.push(logger)
    logger.log('existing dir')
    await logger.close()
    expect(await readAll(path)).toEqual(['existing dir'])
  })

  it('mode sets the permission bits of a new file', async () => {
    const dir = tempDir()
    const path = join(dir, 'private.log')
    const logger = await createLogger({ path, mode: 0o600 })
    loggers.push(logger)
    await logger.close()
    expect(statSync(path).mode & 0o777).toBe(0o600 & ~process.umask())
  })
})

describe('rotate and reopenOnSignal', () => {
  const resolve = (rotate: unknown, extra: object = {}) =>
    resolveConfig({ path: '/x/app.log', rotate, ...extra } as LoggerConfig)

  it('reads sizes with units, intervals by name and ages with units', () => {
    expect(resolve({ size: '64MiB' }).rotate).toEqual({
      size: 64 * MiB,
      interval: 0,
      maxFiles: 0,
      maxAge: 0,
      symlink: false,
    })
    expect(resolve({ size: '4.5 KB', interval: 'hourly' }).rotate.size).toBe(4500)
    expect(resolve({ size: 10_000 }).rotate.size).toBe(10_000)
    expect(resolve({ interval: 'daily', maxAge: '7d', maxFiles: 3, symlink: true }).rotate).toEqual({
      size: 0,
      interval: 86_400_000,
      maxFiles: 3,
      maxAge: 7 * 86_400_000,
      symlink: true,
    })
    expect(resolve({ interval: 90_000, maxAge: 5000 }).rotate).toMatchObject({
      interval: 90_000,
      maxAge: 5000,
    })
  })

  it('a resolved configuration resolves to itself', () => {
    const once = resolve({ size: '1MiB', interval: 'hourly', maxFiles: 2 }, { reopenOnSignal: 'SIGHUP' })
    expect(resolveConfig(once)).toEqual(once)
    const none = resolveConfig({ path: '/x/app.log' })
    expect(resolveConfig(none)).toEqual(none)
  })

  it.each([
    [{ size: '64 parsecs' }, 'rotate.size', /'64MiB'/],
    [{ size: 100 }, 'rotate.size', /at least 4096 bytes/],
    [{ size: -1 }, 'rotate.size', /positive integer/],
    [{ interval: 'weekly' }, 'rotate.interval', /'hourly', 'daily'/],
    [{ interval: 10 }, 'rotate.interval', /at least 1000/],
    [{ size: '1MiB', maxFiles: 1.5 }, 'rotate.maxFiles', /integer/],
    [{ size: '1MiB', maxAge: 'soon' }, 'rotate.maxAge', /'7d'/],
    [{ size: '1MiB', symlink: 'yes' }, 'rotate.symlink', /true or false/],
    [{ size: '1MiB', keep: 3 }, 'rotate.keep', /accepted are size, interval, maxFiles, maxAge, symlink/],
    [{ maxFiles: 3 }, 'rotate', /need a size or an interval/],
    ['64MiB', 'rotate', /expected an object/],
  ])('rotate %j is refused, naming %s', (rotate, field, message) => {
    try {
      resolve(rotate)
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as ConfigError).field).toBe(field)
      expect((err as Error).message).toMatch(message)
    }
  })

  it('reopenOnSignal takes SIGHUP, SIGUSR1, SIGUSR2 or false', () => {
    expect(resolve(undefined, { reopenOnSignal: 'SIGHUP' }).reopenOnSignal).toBe('SIGHUP')
    expect(() => resolve(undefined, { reopenOnSignal: 'SIGKILL' })).toThrow(
      /reopenOnSignal.*'SIGHUP', 'SIGUSR1', 'SIGUSR2'/,
    )
  })

  it('flushOnSignal takes true or false', () => {
    expect(resolve(undefined, { flushOnSignal: false }).flushOnSignal).toBe(false)
    expect(() => resolve(undefined, { flushOnSignal: 'no' as unknown as boolean })).toThrow(
      /flushOnSignal: expected true or false, got 'no'/,
    )
  })
})

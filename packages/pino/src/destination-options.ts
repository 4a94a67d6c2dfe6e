import { ConfigError, type LoggerConfig } from '@asyncdirect/core'
import { type CoreOptions, toCoreConfig } from './options.js'

/**
 * The options `pino.destination()` passes to SonicBoom 4, as {@link destination} takes them.
 * With a file, each is honoured or mapped onto the core logger (see the README's table); with a
 * descriptor they go to a SonicBoom unchanged.
 */
export interface SonicBoomOptions {
  /** The file's path, or a file descriptor (`1` stdout, `2` stderr, or one you opened). */
  dest?: string | number
  /** Same as `dest` (SonicBoom takes either; `fd` wins when both are given). */
  fd?: string | number
  /** Bytes SonicBoom gathers before a write. Accepted; the core always gathers (no effect). */
  minLength?: number
  /**
   * At most this many bytes not yet written: a write beyond it is dropped, counted in
   * `droppedLogs` and emitted as `'drop'`. 0 (default): no limit (the core's `backpressure` rules).
   */
  maxLength?: number
  /** SonicBoom's largest write(2) (16 KiB). Accepted and checked; the core writes whole sets. */
  maxWrite?: number
  /** Milliseconds: `flush()` runs this often while lines wait (an unref'ed timer). 0: off. */
  periodicFlush?: number
  /** `true`: each `write()` returns once its data is durable in the file (a synchronous flush). */
  sync?: boolean
  /** `false`: the file is emptied when opened, once locked. Default `true`: appended to. */
  append?: boolean
  /** Create missing parent directories. */
  mkdir?: boolean
  /** Permission bits of a new file (number, or an octal string such as `'0644'`); default 0o666, less the umask. */
  mode?: number | string
  /** Accepted: every flush of the core is durable already (needs `dsync`, the default). */
  fsync?: boolean
  /** `'utf8'` (default): `write()` takes strings. `'buffer'`: it also takes `Uint8Array`s. */
  contentMode?: 'utf8' | 'buffer'
  /** Accepted and kept: a regular file never answers EAGAIN; the core retries any failed write itself. */
  retryEAGAIN?: (err: Error, writeBufferLen: number, remainingBufferLen: number) => boolean
}

/** Options of {@link destination} for a file: SonicBoom's and every option of the core logger. */
export interface DestinationOptions extends SonicBoomOptions, Omit<CoreOptions, 'mode' | 'mkdir'> {}

/** A file destination's options once checked: the core's config and what the stream honours itself. */
export interface FileDestinationPlan {
  kind: 'file'
  config: LoggerConfig
  /** The SonicBoom options as given, for the stream's properties. */
  sonic: ResolvedSonicOptions
}

/** A descriptor: written by a SonicBoom with these options (O_DIRECT needs a regular file). */
export interface FdDestinationPlan {
  kind: 'fd'
  fd: number
  options: SonicBoomOptions
}

export interface ResolvedSonicOptions {
  minLength: number
  maxLength: number
  maxWrite: number
  periodicFlush: number
  sync: boolean
  append: boolean
  mkdir: boolean
  mode: number | string | undefined
  fsync: boolean
  contentMode: 'utf8' | 'buffer'
  retryEAGAIN: ((err: Error, writeBufferLen: number, remainingBufferLen: number) => boolean) | undefined
}

/** SonicBoom's default `maxWrite`, and the bound it puts on `minLength`. */
const SONIC_MAX_WRITE = 16 * 1024

const SONIC_KEYS = new Set([
  'dest',
  'fd',
  'minLength',
  'maxLength',
  'maxWrite',
  'periodicFlush',
  'sync',
  'append',
  'mkdir',
  'mode',
  'fsync',
  'contentMode',
  'retryEAGAIN',
])

/** Keys a user may have meant as the file's path. */
const PATH_KEYS = new Set(['destination', 'path', 'file'])

/**
 * Turns what `destination()` was called with into a plan: a file for the core logger, or a
 * descriptor for a SonicBoom. As `pino.destination()` does, no destination means stdout (fd 1),
 * and a string of digits names a descriptor.
 * @throws {ConfigError} naming the option: an invalid value, an unknown key, a core option given
 * with a descriptor.
 */
export function planDestination(options: unknown): FileDestinationPlan | FdDestinationPlan {
  const given: Record<string, unknown> =
    options === undefined || options === null
      ? {}
      : typeof options === 'string' || typeof options === 'number'
        ? { dest: options }
        : isPlainObject(options)
          ? { ...options }
          : fail('dest', `expected a path, a file descriptor or an options object, got ${typeof options}`)
  // As SonicBoom: `fd` wins over `dest`; as pino.destination(): neither means stdout.
  const target = asDescriptor(given.fd ?? given.dest ?? 1)
  const sonic = resolveSonic(given)
  if (typeof target === 'number') {
    const core = Object.keys(given).filter((k) => !SONIC_KEYS.has(k))
    const misnamed = core.find((k) => PATH_KEYS.has(k))
    if (misnamed !== undefined && given.fd === undefined && given.dest === undefined)
      fail(misnamed, "unknown option (destination() names the file with 'dest')")
    if (core.length > 0) {
      fail(
        core[0]!,
        `applies to a file; a descriptor (${target}) is written by a plain SonicBoom, which takes only ${[...SONIC_KEYS].join(', ')}`,
      )
    }
    const { fd: _fd, dest: _dest, ...rest } = given
    return { kind: 'fd', fd: target, options: rest as SonicBoomOptions }
  }
  if (typeof target !== 'string' || target.length === 0) {
    fail('dest', `expected a file path or a file descriptor, got ${target === '' ? "''" : typeof target}`)
  }
  if (sonic.fsync && given.dsync === false)
    fail('fsync', 'true needs dsync (every flush durable); drop dsync: false')
  const coreOptions: Record<string, unknown> = { dest: target }
  for (const [key, value] of Object.entries(given)) if (!SONIC_KEYS.has(key)) coreOptions[key] = value
  if (sonic.mkdir) coreOptions.mkdir = true
  if (!sonic.append) {
    if (given.rotate !== undefined)
      fail(
        'append',
        'false empties the file at open; the files of a rotated series are never emptied: drop one of append and rotate',
      )
    coreOptions.truncate = true
  }
  if (sonic.mode !== undefined) coreOptions.mode = modeBits(sonic.mode)
  return { kind: 'file', config: toCoreConfig(coreOptions, 'dest'), sonic }
}

/** A descriptor number for `dest`/`fd` when it names one (a number, or digits as pino accepts). */
function asDescriptor(target: unknown): unknown {
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target)
  if (typeof target === 'number' && (!Number.isInteger(target) || target < 0))
    fail('dest', `expected a file descriptor (a non-negative integer) or a path, got ${target}`)
  return target
}

function resolveSonic(given: Record<string, unknown>): ResolvedSonicOptions {
  const minLength = count(given, 'minLength')
  const maxWrite = count(given, 'maxWrite') || SONIC_MAX_WRITE
  if (minLength >= maxWrite)
    fail('minLength', `must be smaller than maxWrite (${maxWrite}), got ${minLength}`)
  const contentMode = given.contentMode ?? 'utf8'
  if (contentMode !== 'utf8' && contentMode !== 'buffer')
    fail('contentMode', `expected 'utf8' or 'buffer', got ${String(contentMode)}`)
  const retryEAGAIN = given.retryEAGAIN
  if (retryEAGAIN !== undefined && typeof retryEAGAIN !== 'function')
    fail(
      'retryEAGAIN',
      `expected a function (err, writeBufferLen, remainingBufferLen) => boolean, got ${typeof retryEAGAIN}`,
    )
  const mode = given.mode
  if (mode !== undefined) modeBits(mode)
  return {
    minLength,
    maxLength: count(given, 'maxLength'),
    maxWrite,
    periodicFlush: count(given, 'periodicFlush'),
    sync: flag(given, 'sync', false),
    append: flag(given, 'append', true),
    mkdir: flag(given, 'mkdir', false),
    mode: mode as number | string | undefined,
    fsync: flag(given, 'fsync', false),
    contentMode,
    retryEAGAIN: retryEAGAIN as ResolvedSonicOptions['retryEAGAIN'],
  }
}

/** Permission bits from a number or an octal string, as `fs.open()` takes them. */
function modeBits(mode: unknown): number {
  const bits = typeof mode === 'string' && /^0?[0-7]{1,4}$/.test(mode) ? Number.parseInt(mode, 8) : mode
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < 0 || bits > 0o7777)
    fail('mode', `expected permission bits (0o644, or an octal string such as '0644'), got ${String(mode)}`)
  return bits
}

/** A non-negative integer option; 0 when absent (SonicBoom treats every falsy value as 0). */
function count(given: Record<string, unknown>, key: string): number {
  const value = given[key]
  if (value === undefined || value === null || value === 0) return 0
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(key, `expected a non-negative integer, got ${String(value)}`)
  return value
}

function flag(given: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const value = given[key]
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') fail(key, `expected true or false, got ${String(value)}`)
  return value
}

function isPlainObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fail(field: string, message: string): never {
  throw new ConfigError(field, message)
}

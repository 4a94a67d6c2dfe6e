import { ConfigError } from './errors.js'

/**
 * The file formats a logger can write: `'framed'` (length-prefixed entries in aligned blocks) or
 * `'lines'` (NDJSON: each entry as logged plus a newline when it lacks one).
 */
export type LogFormat = 'framed' | 'lines'

/** What a writer does when both buffer sets are full: wait for the flusher, or drop and count. */
export type BackpressurePolicy = 'block' | 'drop'

/**
 * Logger configuration. Only `path` is required; every other field has the default
 * {@link defaultConfig} gives it (`writeDelay` excepted: 1000 ms for the framed format).
 */
export interface LoggerConfig {
  /** The log file. Created when missing; an existing file is appended to (see `truncate`). */
  path: string
  /**
   * Bytes of one buffer set (there are two): a number, or a string such as `'8MiB'` (units as
   * {@link RotateOptions.size}). Default 64 MiB. Split evenly into `numShards` shards, each a
   * multiple of 4096 bytes.
   */
  bufferSize?: number | string
  /** Shards per buffer set, 1 to 256. Default 8. */
  numShards?: number
  /**
   * Milliseconds after which buffered entries are written and made durable even if no set filled
   * up. Default 10 000. (They reach the file sooner: see {@link LoggerConfig.writeDelay}.)
   */
  flushInterval?: number
  /**
   * The longest an entry waits in memory before it is written to the file when its buffer set does
   * not fill first, in milliseconds (1 to 3 600 000): so that `tail -f` sees it. Default 100 for
   * the `'lines'` format and 1000 for `'framed'`, whose every write pads each shard's entries to a
   * whole block (at a trickle of entries, a short delay mostly writes padding). A set that fills
   * within the delay is written whole, as before, in one large write. Early writes are not made
   * durable on their own (framed writes are, being O_DSYNC); `flushInterval` still does that. A
   * delay of `flushInterval` or more leaves only the interval.
   */
  writeDelay?: number
  /** Milliseconds a flush waits for writers that reserved space to finish copying. Default 10. */
  flushTimeout?: number
  /** One anonymous mmap region cut into shards instead of one mapping per shard. Default false. */
  useMMap?: boolean
  /**
   * On-disk format: `'lines'` (default: NDJSON, one entry per line, readable by `grep`, `jq` and
   * `tail`) or `'framed'` (a binary format of length-prefixed entries in aligned blocks, which
   * holds any bytes, newlines included; read it with `asyncdirect cat` or `readEntries()`).
   */
  format?: LogFormat
  /** What happens when both sets are full. Default `'block'` (lose nothing). */
  backpressure?: BackpressurePolicy
  /** Write with O_DIRECT (bypassing the page cache) when the file system allows it. Default true. */
  directIO?: boolean
  /** Open with O_DSYNC so that every flush is durable when it returns. Default true. */
  dsync?: boolean
  /**
   * Permission bits for a newly created file, before the process umask applies. Default 0o666
   * (so 0o644 under the usual umask 022), as `fs.open`, pino and winston create files.
   */
  mode?: number
  /** Create missing parent directories (mode 0o750). Default false. */
  mkdir?: boolean
  /**
   * Empty an existing file when the logger opens it, as `fs.open(path, 'w')` does (what pino's
   * `append: false` maps to). Only once the file is locked: a file another logger
   * writes is never touched (the open fails with `FileLockedError` first). A `reopen()` never
   * truncates. Not with `rotate`. Default false.
   */
  truncate?: boolean
  /**
   * Rotation: write a series of files named after `path` (`app.log` → `app.2026-11-25.1.log`,
   * see format/series.ts) and move to the next one by size and/or time. Default: none.
   */
  rotate?: RotateOptions
  /**
   * Reopen the file when the process receives this signal (for an external `logrotate` in
   * create mode). Default false. Installing it replaces the signal's default action (exit).
   */
  reopenOnSignal?: ReopenSignal | false
  /**
   * On SIGTERM, SIGINT and SIGHUP, write what was logged, then let the signal do what it would
   * have done: the application's own listeners keep control; with none, the process runs its
   * `'exit'` listeners and dies by the signal. From any thread. Default true. False leaves the
   * signals alone (a signal that ends the process then loses what is buffered).
   */
  flushOnSignal?: boolean
}

/** Signals {@link LoggerConfig.reopenOnSignal} accepts. */
export type ReopenSignal = 'SIGHUP' | 'SIGUSR1' | 'SIGUSR2'

/** When to move to the next file of a rotated series, and how many to keep. */
export interface RotateOptions {
  /**
   * Move on before a file would pass this size: bytes, or a string such as `'64MiB'`, `'1GB'`
   * (units B, KB/MB/GB = 1000ⁿ, KiB/MiB/GiB = 1024ⁿ). No file is larger, except one holding a
   * single entry larger than it. At least 4096 bytes.
   */
  size?: number | string
  /**
   * Move on at each boundary of this period of the wall clock (UTC): `'hourly'`, `'daily'`, or
   * milliseconds (at least 1000), boundaries being the multiples of it since the epoch.
   */
  interval?: 'hourly' | 'daily' | number
  /** Keep at most this many files of the series, the current one included; older ones are deleted. */
  maxFiles?: number
  /** Delete files of the series last written longer ago than this: milliseconds or `'7d'`, `'12h'`, `'30m'`. */
  maxAge?: number | string
  /** Keep `path` itself as a symbolic link to the file being written. Default false. */
  symlink?: boolean
}

/** Rotation with every field checked; 0 turns a limit off. All zero: no rotation. */
export interface ResolvedRotation {
  size: number
  interval: number
  maxFiles: number
  maxAge: number
  symlink: boolean
}

/** A configuration with every default applied and every field checked. */
export type ResolvedConfig = Required<Omit<LoggerConfig, 'rotate' | 'bufferSize'>> & {
  /** In bytes. */
  bufferSize: number
  rotate: ResolvedRotation
}

const MiB = 1024 * 1024

/** Every shard is a multiple of this, so it suits any direct-I/O alignment a file can ask for. */
export const SHARD_GRANULE = 4096
/** Offsets within a shard live in 30 bits of the reservation word (see control-block.ts). */
export const MAX_SHARD_SIZE = 512 * MiB
export const MAX_SHARDS = 256
const DEFAULT_BUFFER_SIZE = 64 * MiB

/**
 * The defaults for a log file at `path`: sets of 64 MiB in 8 shards, a 10 s flush interval, a 10 ms
 * flush timeout, in the `'lines'` (NDJSON) format.
 */
export function defaultConfig(path: string): ResolvedConfig {
  return {
    path,
    bufferSize: DEFAULT_BUFFER_SIZE,
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
    rotate: NO_ROTATION,
    reopenOnSignal: false,
    flushOnSignal: true,
  }
}

const NO_ROTATION: ResolvedRotation = Object.freeze({
  size: 0,
  interval: 0,
  maxFiles: 0,
  maxAge: 0,
  symlink: false,
})

/** True when `rotation` asks for a series of files. */
export function rotates(rotation: ResolvedRotation): boolean {
  return rotation.size > 0 || rotation.interval > 0
}

/**
 * Every option of {@link LoggerConfig}, in the order the defaults list them: what resolveConfig
 * accepts, and what the pino and winston adapters pass through to the core.
 */
export const CONFIG_KEYS: readonly (keyof LoggerConfig)[] = Object.freeze(
  Object.keys(defaultConfig('')) as (keyof LoggerConfig)[],
)
const KNOWN_KEYS: ReadonlySet<string> = new Set(CONFIG_KEYS)

/** The framed format's default writeDelay (see {@link LoggerConfig.writeDelay}). */
const FRAMED_WRITE_DELAY = 1000

function checkInteger(field: string, value: unknown, min: number, max: number, unit = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `expected an integer from ${min} to ${max}${unit}, got ${describe(value)}`)
  }
  return value
}

function checkBoolean(field: string, value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConfigError(field, `expected true or false, got ${describe(value)}`)
  return value
}

function checkChoice<T extends string>(field: string, value: unknown, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new ConfigError(
      field,
      `expected one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describe(value)}`,
    )
  }
  return value as T
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}

/**
 * Applies the defaults to `config` and checks every field.
 * @throws {ConfigError} naming the first invalid field and its accepted range.
 */
export function resolveConfig(config: LoggerConfig): ResolvedConfig {
  if (config === null || typeof config !== 'object') {
    throw new ConfigError('(root)', `expected an object with at least { path }, got ${describe(config)}`)
  }
  for (const key of Object.keys(config)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new ConfigError(key, `unknown option; accepted options are ${[...KNOWN_KEYS].join(', ')}`)
    }
  }
  if (typeof config.path !== 'string' || config.path.length === 0 || config.path.includes('\0')) {
    throw new ConfigError('path', `expected a non-empty file path, got ${describe(config.path)}`)
  }
  const merged: ResolvedConfig = { ...defaultConfig(config.path) }
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value
  }

  const numShards = checkInteger('numShards', merged.numShards, 1, MAX_SHARDS)
  merged.bufferSize = resolveBufferSize(config.bufferSize, numShards)
  checkInteger('flushInterval', merged.flushInterval, 1, 3_600_000, ' milliseconds')
  if (config.writeDelay === undefined && merged.format === 'framed') merged.writeDelay = FRAMED_WRITE_DELAY
  checkInteger('writeDelay', merged.writeDelay, 1, 3_600_000, ' milliseconds')
  checkInteger('flushTimeout', merged.flushTimeout, 0, 60_000, ' milliseconds')
  checkBoolean('useMMap', merged.useMMap)
  checkChoice('format', merged.format, ['framed', 'lines'] as const)
  checkChoice('backpressure', merged.backpressure, ['block', 'drop'] as const)
  checkBoolean('directIO', merged.directIO)
  checkBoolean('dsync', merged.dsync)
  checkInteger('mode', merged.mode, 0, 0o7777, ' (permission bits, e.g. 0o644)')
  checkBoolean('mkdir', merged.mkdir)
  checkBoolean('truncate', merged.truncate)
  merged.rotate = resolveRotation(config.rotate)
  if (merged.truncate && rotates(merged.rotate))
    throw new ConfigError(
      'truncate',
      'true is not accepted with rotate: the files of a series are never emptied',
    )
  if (merged.reopenOnSignal !== false)
    checkChoice('reopenOnSignal', merged.reopenOnSignal, ['SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const)
  checkBoolean('flushOnSignal', merged.flushOnSignal)
  return merged
}

/**
 * The bytes of one set: `bufferSize` as given (a number or `'8MiB'`), or the default when absent,
 * checked against `numShards`. A default that does not split into the shards is the shard count's
 * fault, and the message says so in terms of what the user set.
 */
function resolveBufferSize(given: number | string | undefined, numShards: number): number {
  const granule = numShards * SHARD_GRANULE
  if (given === undefined) {
    const size = DEFAULT_BUFFER_SIZE
    if (size % granule === 0) return size
    throw new ConfigError(
      'numShards',
      `${numShards} shards cannot split the default bufferSize (${size} bytes, 64 MiB) into shards ` +
        `of a multiple of ${SHARD_GRANULE} bytes: use a power of two up to ${MAX_SHARDS}, or set ` +
        `bufferSize to a multiple of ${granule} (${suggestSizes(size, granule)})`,
    )
  }
  const size = typeof given === 'string' ? parseAmount('bufferSize', given, SIZE_UNITS, "'8MiB'") : given
  checkInteger(
    'bufferSize',
    size,
    granule,
    numShards * MAX_SHARD_SIZE,
    ` bytes for numShards ${numShards} (${SHARD_GRANULE} to ${MAX_SHARD_SIZE} bytes per shard)`,
  )
  if (size % granule !== 0) {
    throw new ConfigError(
      'bufferSize',
      `${describe(given)} does not split into numShards ${numShards} shards of a multiple of ` +
        `${SHARD_GRANULE} bytes each: use a multiple of ${granule} (${suggestSizes(size, granule)})`,
    )
  }
  return size
}

/** The multiples of `granule` nearest to `size`, as a hint. */
function suggestSizes(size: number, granule: number): string {
  const below = Math.floor(size / granule) * granule
  return below > 0 ? `${below} or ${below + granule}` : `${granule}`
}

const ROTATE_KEYS = ['size', 'interval', 'maxFiles', 'maxAge', 'symlink']
const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
}
const AGE_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const MIN_ROTATE_SIZE = 4096

function resolveRotation(rotate: RotateOptions | undefined): ResolvedRotation {
  if (rotate === undefined) return NO_ROTATION
  if (rotate === null || typeof rotate !== 'object' || Array.isArray(rotate)) {
    throw new ConfigError('rotate', `expected an object such as { size: '64MiB' }, got ${describe(rotate)}`)
  }
  for (const key of Object.keys(rotate)) {
    if (!ROTATE_KEYS.includes(key))
      throw new ConfigError(`rotate.${key}`, `unknown option; accepted are ${ROTATE_KEYS.join(', ')}`)
  }
  // 0 (as in a resolved configuration handed back) means off, as absent does.
  const size = !rotate.size ? 0 : parseAmount('rotate.size', rotate.size, SIZE_UNITS, "'64MiB'")
  if (size !== 0 && size < MIN_ROTATE_SIZE)
    throw new ConfigError(
      'rotate.size',
      `expected at least ${MIN_ROTATE_SIZE} bytes, got ${describe(rotate.size)}`,
    )
  const interval = resolveInterval(rotate.interval)
  const maxFiles =
    rotate.maxFiles === undefined ? 0 : checkInteger('rotate.maxFiles', rotate.maxFiles, 0, 1_000_000)
  const maxAge = !rotate.maxAge ? 0 : parseAmount('rotate.maxAge', rotate.maxAge, AGE_UNITS, "'7d'")
  const symlink = rotate.symlink === undefined ? false : checkBoolean('rotate.symlink', rotate.symlink)
  const resolved = { size, interval, maxFiles, maxAge, symlink }
  if (size === 0 && interval === 0 && (maxFiles || maxAge || symlink))
    throw new ConfigError('rotate', 'maxFiles, maxAge and symlink need a size or an interval to rotate by')
  return resolved
}

function resolveInterval(interval: RotateOptions['interval']): number {
  if (interval === undefined || interval === 0) return 0
  if (interval === 'hourly') return 3_600_000
  if (interval === 'daily') return 86_400_000
  if (typeof interval === 'number' && Number.isInteger(interval) && interval >= 1000) return interval
  throw new ConfigError(
    'rotate.interval',
    `expected 'hourly', 'daily' or an integer of milliseconds of at least 1000, got ${describe(interval)}`,
  )
}

/** A positive integer, or a number with one of `units` (`'64MiB'`, `'7d'`). */
function parseAmount(field: string, value: unknown, units: Record<string, number>, example: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value) : null
  const unit = m ? units[(m[2] || (units.b ? 'b' : 'ms')).toLowerCase()] : undefined
  if (!m || unit === undefined || Math.round(Number(m[1]) * unit) <= 0) {
    throw new ConfigError(
      field,
      `expected a positive integer or a string such as ${example} (units ${Object.keys(units).join(', ')}), got ${describe(value)}`,
    )
  }
  return Math.round(Number(m[1]) * unit)
}

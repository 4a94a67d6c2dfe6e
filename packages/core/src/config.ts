/**
 * The file formats a logger can write: `'framed'` (the seed's length-prefixed blocks) or
 * `'lines'` (NDJSON: each entry as logged plus a newline when it lacks one).
 */
export type LogFormat = 'framed' | 'lines'

/** What a writer does when both buffer sets are full: wait for the flusher, or drop and count. */
export type BackpressurePolicy = 'block' | 'drop'

/**
 * Logger configuration. Only `path` is required; every other field defaults to the seed's values
 * (see {@link defaultConfig}).
 */
export interface LoggerConfig {
  /** The log file. Created when missing; an existing file is appended to, never truncated. */
  path: string
  /** Bytes of one buffer set (there are two). Default 64 MiB. Split evenly into `numShards` shards. */
  bufferSize?: number
  /** Shards per buffer set, 1 to 256. Default 8. */
  numShards?: number
  /** Milliseconds after which buffered entries are written even if no set filled up. Default 10 000. */
  flushInterval?: number
  /** Milliseconds a flush waits for writers that reserved space to finish copying. Default 10. */
  flushTimeout?: number
  /** One anonymous mmap region cut into shards instead of separate aligned allocations. Default false. */
  useMMap?: boolean
  /** On-disk format: `'framed'` (default) or `'lines'` (NDJSON). */
  format?: LogFormat
  /** What happens when both sets are full. Default `'block'` (lose nothing). */
  backpressure?: BackpressurePolicy
  /** Write with O_DIRECT (bypassing the page cache) when the file system allows it. Default true. */
  directIO?: boolean
  /** Open with O_DSYNC so that every flush is durable when it returns. Default true. */
  dsync?: boolean
  /** Permission bits for a newly created file. Default 0o640. */
  mode?: number
  /** Create missing parent directories (mode 0o750). Default false. */
  mkdir?: boolean
}

/** A configuration with every default applied and every field checked. */
export type ResolvedConfig = Required<LoggerConfig>

/** Thrown for an invalid configuration; names the field and what it accepts. */
export class ConfigError extends TypeError {
  override readonly name = 'ConfigError'
  /** The configuration field that was wrong. */
  readonly field: string
  readonly code = 'ASYNCDIRECT_INVALID_CONFIG'

  constructor(field: string, message: string) {
    super(`asyncdirect: invalid config.${field}: ${message}`)
    this.field = field
  }
}

const MiB = 1024 * 1024

/** Every shard is a multiple of this, so it suits any direct-I/O alignment a file can ask for. */
export const SHARD_GRANULE = 4096
/** Offsets within a shard live in 30 bits of the reservation word (see control-block.ts). */
export const MAX_SHARD_SIZE = 512 * MiB
export const MAX_SHARDS = 256

/** The seed's defaults for a log file at `path`: 64 MiB, 8 shards, 10 s interval, 10 ms timeout. */
export function defaultConfig(path: string): ResolvedConfig {
  return {
    path,
    bufferSize: 64 * MiB,
    numShards: 8,
    flushInterval: 10_000,
    flushTimeout: 10,
    useMMap: false,
    format: 'framed',
    backpressure: 'block',
    directIO: true,
    dsync: true,
    mode: 0o640,
    mkdir: false,
  }
}

const KNOWN_KEYS = new Set(Object.keys(defaultConfig('')))

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
  const bufferSize = checkInteger(
    'bufferSize',
    merged.bufferSize,
    numShards * SHARD_GRANULE,
    numShards * MAX_SHARD_SIZE,
    ` bytes for ${numShards} shard(s)`,
  )
  if (bufferSize % (numShards * SHARD_GRANULE) !== 0) {
    throw new ConfigError(
      'bufferSize',
      `must split into ${numShards} shard(s) of a multiple of ${SHARD_GRANULE} bytes each ` +
        `(a multiple of ${numShards * SHARD_GRANULE}), got ${bufferSize}`,
    )
  }
  checkInteger('flushInterval', merged.flushInterval, 1, 3_600_000, ' milliseconds')
  checkInteger('flushTimeout', merged.flushTimeout, 0, 60_000, ' milliseconds')
  checkBoolean('useMMap', merged.useMMap)
  checkChoice('format', merged.format, ['framed', 'lines'] as const)
  checkChoice('backpressure', merged.backpressure, ['block', 'drop'] as const)
  checkBoolean('directIO', merged.directIO)
  checkBoolean('dsync', merged.dsync)
  checkInteger('mode', merged.mode, 0, 0o7777, ' (permission bits, e.g. 0o640)')
  checkBoolean('mkdir', merged.mkdir)
  return merged
}

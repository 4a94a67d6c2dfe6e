import {
  type BackpressurePolicy,
  CONFIG_KEYS,
  ConfigError,
  type LogFormat,
  type LoggerConfig,
  type ReopenSignal,
  type ResolvedConfig,
  type RotateOptions,
  resolveConfig,
} from '@asyncdirect/core'
import type TransportStream from 'winston-transport'
import { FILE_KEYS, type FileBehaviour, type FileTransportOptions, mapFileOptions } from './file-options.js'

/** A logform format, as `winston.format.json()` returns. */
export type WinstonFormat = NonNullable<TransportStream.TransportStreamOptions['format']>

/**
 * Options of {@link AsyncDirectTransport}: winston File's options (see
 * {@link FileTransportOptions}), the core logger's options, and winston's own transport
 * options. Only `filename` (or `dirname`) is required.
 */
export interface AsyncDirectTransportOptions
  extends FileTransportOptions,
    Omit<LoggerConfig, 'path' | 'format'> {
  /**
   * Bytes of one buffer set (there are two). Default 64 MiB, split evenly into `numShards` shards;
   * a multiple of `numShards` × 4096, from `numShards` × 4 KiB to `numShards` × 512 MiB.
   * A winston logger writes from one thread, so it fills one shard (`bufferSize / numShards`)
   * before each write to disk.
   */
  bufferSize?: number
  /** Shards per buffer set, 1 to 256. Default 8. One per thread that logs. */
  numShards?: number
  /** Milliseconds (1 to 3 600 000) after which buffered entries are written even if no shard filled. Default 10 000. */
  flushInterval?: number
  /** Milliseconds (0 to 60 000) a flush waits for a writer still copying an entry. Default 10. */
  flushTimeout?: number
  /** Take the buffers from one anonymous mmap region instead of separate aligned allocations. Default false. */
  useMMap?: boolean
  /** When both buffer sets are full: `'block'` waits for the disk (default, loses nothing), `'drop'` drops and counts. */
  backpressure?: BackpressurePolicy
  /**
   * On-disk format. Default `'lines'`: each entry as winston formatted it plus a newline, so
   * `tail -f`, `grep` and log shippers read the file. `'framed'` is the core's length-prefixed
   * block format (read it with `asyncdirect cat`). Named `fileFormat` because `format` is winston's.
   */
  fileFormat?: LogFormat
  /** Write with O_DIRECT (bypassing the page cache) where the file system allows it. Default true. */
  directIO?: boolean
  /** Open with O_DSYNC, so every write to disk is durable when it completes. Default true. */
  dsync?: boolean
  /** Create missing parent directories (mode 0o750). Default true, as File creates its `dirname`. */
  mkdir?: boolean
  /** Permission bits of a newly created file, 0 to 0o7777. Default 0o640. */
  mode?: number
  /**
   * Rotation (the core's): `{ size: '64MiB', interval: 'daily', maxFiles: 14, maxAge: '30d',
   * symlink: true }`, any of them. `filename` then names a series, `app.2026-11-25.1.log`, ...;
   * see the core README. Default: none (File's `maxsize`, `maxFiles` and `tailable` set it too).
   */
  rotate?: RotateOptions
  /** Reopen the file on this signal (`'SIGHUP'`), for an external logrotate in create mode. Default false. */
  reopenOnSignal?: ReopenSignal | false
  /**
   * On SIGTERM, SIGINT and SIGHUP write what was logged, then let the signal end the process (no
   * listener of the application's) or leave it to the application's listeners. Default true.
   */
  flushOnSignal?: boolean

  /** Most verbose level this transport writes (winston's). Default: the logger's level. */
  level?: string
  /** Write nothing (winston's). Default false. */
  silent?: boolean
  /** A logform format applied to each entry before it is written (winston's). Default: none (the logger's format). */
  format?: WinstonFormat
  /** Write winston's uncaught-exception entries (winston's). Default false. */
  handleExceptions?: boolean
  /** Write winston's unhandled-rejection entries (winston's). Default false. */
  handleRejections?: boolean
}

/** What winston's TransportStream constructor takes. */
export interface WinstonOptions {
  level?: string
  silent?: boolean
  format?: WinstonFormat
  handleExceptions?: boolean
  handleRejections?: boolean
}

/** The core's options, as its defaults name them: `path` and `format` are named otherwise here. */
const CORE_KEYS: readonly string[] = CONFIG_KEYS.filter((k) => k !== 'path' && k !== 'format')
const WINSTON_KEYS = ['level', 'silent', 'format', 'handleExceptions', 'handleRejections'] as const
const ACCEPTED: string[] = [...FILE_KEYS, ...CORE_KEYS, 'fileFormat', ...WINSTON_KEYS]

/** What a user switching from another transport may have meant by a key this one does not know. */
const HINTS: Record<string, string> = {
  path: "the file is named by 'filename'",
  stream:
    'File writes to a stream with it (deprecated there); this transport writes a file with O_DIRECT: use winston.transports.Stream for a stream',
  rotationFormat:
    'rotated files are named by date and number (see rotate); symlink: true (or tailable) keeps filename pointing at the current one',
}

function checkWinstonOptions(options: Record<string, unknown>): WinstonOptions {
  const { level, silent, format, handleExceptions, handleRejections } = options
  if (level !== undefined && (typeof level !== 'string' || level.length === 0)) {
    throw new ConfigError('level', `expected a level name such as 'info', got ${typeof level}`)
  }
  for (const [key, value] of Object.entries({ silent, handleExceptions, handleRejections })) {
    if (value !== undefined && typeof value !== 'boolean')
      throw new ConfigError(key, `expected true or false, got ${typeof value}`)
  }
  if (typeof format === 'string') {
    throw new ConfigError(
      'format',
      `winston's format is a logform format such as winston.format.json(); ` +
        `for the on-disk format use fileFormat: '${format}'`,
    )
  }
  if (format !== undefined && typeof (format as WinstonFormat | null)?.transform !== 'function') {
    throw new ConfigError('format', 'expected a logform format such as winston.format.json()')
  }
  const out: WinstonOptions = {}
  for (const key of WINSTON_KEYS) if (options[key] !== undefined) Object.assign(out, { [key]: options[key] })
  return out
}

/**
 * Checks a transport's options and splits them into the core logger's configuration (every
 * default applied, `format: 'lines'` unless `fileFormat` says otherwise) and winston's options.
 * @throws {ConfigError} naming the first invalid option: unknown, missing `filename`, or out of range.
 */
export function splitOptions(options: AsyncDirectTransportOptions): {
  core: ResolvedConfig
  winston: WinstonOptions
  file: FileBehaviour
} {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError('filename', "expected an options object such as { filename: '/var/log/app.log' }")
  }
  const given = options as unknown as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!ACCEPTED.includes(key)) {
      const hint = HINTS[key] ? ` (${HINTS[key]})` : ''
      throw new ConfigError(key, `unknown option${hint}; accepted options are ${ACCEPTED.join(', ')}`)
    }
  }
  const format = (given.fileFormat ?? 'lines') as LogFormat
  const mapped = mapFileOptions(given, format)
  const core: Record<string, unknown> = { path: mapped.path, format }
  for (const key of CORE_KEYS) core[key] = given[key]
  core.rotate ??= mapped.rotate
  core.mode ??= mapped.mode
  core.mkdir ??= true
  return {
    core: resolveCoreConfig(core as unknown as LoggerConfig),
    winston: checkWinstonOptions(given),
    file: mapped.behaviour,
  }
}

/** The core's names for the two options this transport names otherwise. */
const RENAMED: Record<string, string> = { path: 'filename', format: 'fileFormat' }

/**
 * The core's `resolveConfig` (defaults and checks, synchronously), its errors naming the option
 * as the transport names it: `filename` for the core's `path`, `fileFormat` for its `format`.
 */
function resolveCoreConfig(config: LoggerConfig): ResolvedConfig {
  try {
    return resolveConfig(config)
  } catch (err) {
    const option = err instanceof ConfigError ? RENAMED[err.field] : undefined
    if (option === undefined) throw err
    const prefix = `config.${(err as ConfigError).field}: `
    const reason = (err as ConfigError).message
    throw new ConfigError(option, reason.slice(reason.indexOf(prefix) + prefix.length))
  }
}

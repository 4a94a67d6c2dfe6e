import { basename, join } from 'node:path'
import { ConfigError, type LogFormat, type RotateOptions } from '@asyncdirect/core'

/**
 * The options of winston's File transport (winston 3.19, `winston.transports.File`), as this
 * transport takes them: each is honoured, or mapped onto the core's rotation, so that switching
 * is a one-line change. See the README's "Switching from File" for where they differ on purpose.
 */
export interface FileTransportOptions {
  /**
   * The log file. Created when missing; an existing file is appended to, never truncated. One
   * writer per file: a second transport (or any asyncdirect logger, in this process or
   * another) on the same file fails. As with File, the directory part is ignored when
   * `dirname` is given; `'winston.log'` when only `dirname` is.
   */
  filename?: string
  /** The directory of the log file (File's). Default: the directory part of `filename`. */
  dirname?: string
  /**
   * File's size limit in bytes (at least 4096): the core's `rotate: { size }`. A file moves on
   * before it would pass it (File moves on once it has reached it).
   */
  maxsize?: number
  /** With `maxsize`: keep at most this many files, the current one included (`rotate: { maxFiles }`). */
  maxFiles?: number
  /** With `maxsize`: keep `filename` naming the file written now, as a symlink (`rotate: { symlink: true }`). */
  tailable?: boolean
  /** Gzip each rotated file to `<file>.gz` (with `node:zlib`, streamed, off the event loop). Default false. */
  zippedArchive?: boolean
  /** What ends each entry. Default `'\n'`; must end with `'\n'` (`'\r\n'` is fine). */
  eol?: string
  /** Open (and create) the file at the first entry instead of in the constructor. Default false. */
  lazy?: boolean
  /** The transport's name: the key of its results in `logger.query()`. Default `'file'`, as File's. */
  name?: string
  /**
   * File's options for `fs.createWriteStream`: `flags` must append (`'a'`, the default, `'a+'`,
   * `'as'`, `'as+'`); `mode` is the new file's mode (as the top-level `mode`); `encoding` must
   * be UTF-8; `autoClose`, `emitClose`, `highWaterMark` and `flush` have no meaning here and are
   * ignored (every write is durable with `dsync`).
   */
  options?: FileStreamOptions
}

/** File's `options` (what it passes to `fs.createWriteStream`). */
export interface FileStreamOptions {
  flags?: string
  mode?: number
  encoding?: string
  autoClose?: boolean
  emitClose?: boolean
  highWaterMark?: number
  flush?: boolean
}

/** File's option names. */
export const FILE_KEYS = [
  'filename',
  'dirname',
  'maxsize',
  'maxFiles',
  'tailable',
  'zippedArchive',
  'eol',
  'lazy',
  'name',
  'options',
] as const

/** How the transport behaves beyond the core's configuration. */
export interface FileBehaviour {
  name: string
  /** Appended to each entry; '' for the lines format's own '\n'. */
  suffix: string
  lazy: boolean
  zippedArchive: boolean
}

/** What File's options mean for the core: the path, and rotation and mode when they set them. */
export interface FileMapping {
  path: string
  rotate: RotateOptions | undefined
  mode: number | undefined
  behaviour: FileBehaviour
}

const APPEND_FLAGS = ['a', 'a+', 'as', 'as+']
const UTF8 = ['utf8', 'utf-8']
const IGNORED_STREAM_OPTIONS = ['autoClose', 'emitClose', 'highWaterMark', 'flush']
const MIN_MAXSIZE = 4096

function nonEmptyString(field: string, value: unknown, example: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0'))
    throw new ConfigError(field, `expected a non-empty path, e.g. ${example}, got ${typeof value}`)
  return value
}

function flag(field: string, value: unknown): boolean {
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new ConfigError(field, `expected true or false, got ${typeof value}`)
  return value
}

function count(field: string, value: unknown, min: number, what: string): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ConfigError(field, `expected ${what} (an integer of at least ${min}), got ${String(value)}`)
  return value
}

/** The file's path as File computes it: `dirname` (or `filename`'s directory) joined with `filename`'s base name. */
function filePath(given: Record<string, unknown>): string {
  const file = nonEmptyString('filename', given.filename, "'/var/log/app.log'")
  const dir = nonEmptyString('dirname', given.dirname, "'/var/log'")
  if (file === undefined && dir === undefined) {
    throw new ConfigError('filename', "required (or dirname): the log file's path, e.g. '/var/log/app.log'")
  }
  if (file === undefined) return join(dir!, 'winston.log')
  return dir === undefined ? file : join(dir, basename(file))
}

function streamOptions(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError('options', `expected an object such as { flags: 'a' }, got ${typeof value}`)
  const options = value as Record<string, unknown>
  for (const key of Object.keys(options)) {
    if (key === 'flags' || key === 'mode' || key === 'encoding' || IGNORED_STREAM_OPTIONS.includes(key))
      continue
    throw new ConfigError(
      `options.${key}`,
      `not supported: the core opens the file itself (O_DIRECT, O_DSYNC, append); accepted are flags, mode, encoding, ${IGNORED_STREAM_OPTIONS.join(', ')}`,
    )
  }
  if (options.flags !== undefined && !APPEND_FLAGS.includes(options.flags as string)) {
    throw new ConfigError(
      'options.flags',
      `expected an appending flag (${APPEND_FLAGS.map((f) => `'${f}'`).join(', ')}): the file is appended to; to start it empty, give truncate: true (emptied once the transport holds it)`,
    )
  }
  if (options.encoding !== undefined && !UTF8.includes(String(options.encoding).toLowerCase()))
    throw new ConfigError('options.encoding', `expected 'utf8': entries are written as UTF-8`)
  return options.mode as number | undefined
}

function eolSuffix(value: unknown, format: LogFormat): string {
  if (value === undefined || value === '\n') return ''
  if (typeof value !== 'string' || !value.endsWith('\n') || format === 'framed') {
    throw new ConfigError(
      'eol',
      format === 'framed'
        ? "the framed format stores entries without a line ending; leave eol out (or '\\n')"
        : `expected a string ending with '\\n' (such as '\\r\\n'): each entry of the lines format ends with a newline, got ${JSON.stringify(value)}`,
    )
  }
  // The core adds a newline only to an entry that lacks one: this one has it.
  return value
}

/**
 * Checks File's options and maps them onto the core's: the path, `rotate` from `maxsize`,
 * `maxFiles` and `tailable` (as with File, `maxFiles` and `tailable` do nothing without
 * `maxsize`), the mode from `options.mode`.
 * @throws {ConfigError} naming the option.
 */
export function mapFileOptions(given: Record<string, unknown>, format: LogFormat): FileMapping {
  const path = filePath(given)
  const maxsize = count('maxsize', given.maxsize, MIN_MAXSIZE, 'bytes')
  const maxFiles = count('maxFiles', given.maxFiles, 0, 'a number of files, 0 for no limit')
  const tailable = flag('tailable', given.tailable)
  if (maxsize !== undefined && given.rotate !== undefined) {
    throw new ConfigError('maxsize', 'give either rotate (the core’s) or maxsize (File’s), not both')
  }
  const rotate: RotateOptions | undefined =
    maxsize === undefined ? undefined : { size: maxsize, maxFiles: maxFiles ?? 0, symlink: tailable }
  const name = given.name === undefined ? 'file' : given.name
  if (typeof name !== 'string' || name.length === 0)
    throw new ConfigError('name', `expected a non-empty string, got ${typeof name}`)
  return {
    path,
    rotate,
    mode: streamOptions(given.options),
    behaviour: {
      name,
      suffix: eolSuffix(given.eol, format),
      lazy: flag('lazy', given.lazy),
      zippedArchive: flag('zippedArchive', given.zippedArchive),
    },
  }
}

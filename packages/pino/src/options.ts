import { CONFIG_KEYS, ConfigError, type LogFormat, type LoggerConfig } from '@asyncdirect/core'

/**
 * Every option of the core logger except `path` (the adapters name the file `destination` or
 * `dest`, as pino does). See the core's README for ranges and defaults; the one default the
 * adapters change is `format`.
 */
export interface CoreOptions extends Omit<LoggerConfig, 'path' | 'format'> {
  /**
   * On-disk format. Default `'lines'` (NDJSON: pino's lines exactly as pino wrote them, readable by
   * `tail -f`, `grep` and `pino-pretty`); `'framed'` is the core's length-prefixed block format.
   */
  format?: LogFormat
}

/** Which key names the file: the transport follows `pino/file` (`destination`), the in-process
 * stream follows `pino.destination()` (`dest`). */
export type PathKey = 'destination' | 'dest'

const CORE_KEYS: readonly string[] = CONFIG_KEYS.filter((k) => k !== 'path')

/** Keys pino and thread-stream add to a transport's options; they are not the user's. */
const PINO_KEYS = new Set(['$context', 'pinoWillSendConfig'])

/** What a user may have meant by a key this adapter does not know. */
const HINTS: Record<string, string> = {
  path: 'the file is named by',
  dest: 'the transport names the file with',
  destination: 'destination() names the file with',
  file: 'the file is named by',
}

/**
 * Checks an adapter's options and turns them into the core's configuration: the file under
 * `pathKey`, every other key a core option, `format` defaulting to `'lines'`. Only what the
 * adapter owns is checked here; the core checks its own options' values when the logger opens
 * (and throws a {@link ConfigError} naming the field).
 * @throws {ConfigError} naming the option: a missing or empty path, or an unknown key.
 */
export function toCoreConfig(options: unknown, pathKey: PathKey): LoggerConfig {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new ConfigError(pathKey, `expected an options object with { ${pathKey}: '/path/to/file.log' }`)
  }
  const config: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(options)) {
    if (key === pathKey || PINO_KEYS.has(key)) continue
    if (!CORE_KEYS.includes(key)) {
      const hint = HINTS[key] ? ` (${HINTS[key]} '${pathKey}')` : ''
      throw new ConfigError(
        key,
        `unknown option${hint}; accepted options are ${[pathKey, ...CORE_KEYS].join(', ')}`,
      )
    }
    // Left out rather than passed as undefined: the core would apply its own default.
    if (value !== undefined) config[key] = value
  }
  const path = (options as Record<string, unknown>)[pathKey]
  if (typeof path !== 'string' || path.length === 0) {
    const got = path === undefined ? 'it is missing' : `got ${typeof path === 'string' ? "''" : typeof path}`
    throw new ConfigError(pathKey, `required: the log file's path, e.g. '/var/log/app.log'; ${got}`)
  }
  config.format ??= 'lines'
  // As pino's own sinks (SonicBoom opens with 0o666): a new file's bits are then cut by the umask.
  config.mode ??= 0o666
  return { ...config, path } as LoggerConfig
}

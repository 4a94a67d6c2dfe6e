/**
 * Every error the library throws, rejects with or emits. Each carries a stable `code` to branch
 * on; messages are for people and may change.
 *
 * `err instanceof AsyncDirectError` holds for all of them. {@link ConfigError} and
 * {@link InvalidArgumentError} are `TypeError`s as well (a wrong value or type, as JavaScript's own
 * checks throw), so they cannot inherit from it: they carry a brand that `instanceof` reads.
 */

import { constants } from 'node:os'

/** Marks an error as the library's, across copies of the package loaded side by side. */
const BRAND = Symbol.for('asyncdirect.error')

/** The base of every error of this package: `code` says which failure it is. */
export class AsyncDirectError extends Error {
  override readonly name: string = 'AsyncDirectError'

  constructor(
    /** Stable: `ASYNCDIRECT_...`, or an errno name (`ENOSPC`) for an {@link IoError}. */
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}
brand(AsyncDirectError)
// `err instanceof AsyncDirectError` holds for every branded error, the TypeErrors included.
// Subclasses inherit static members: for them, `instanceof` walks the prototype chain as usual.
Object.defineProperty(AsyncDirectError, Symbol.hasInstance, {
  value(this: unknown, value: unknown): boolean {
    if (this !== AsyncDirectError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  },
})

/** Thrown for an invalid configuration; names the field and what it accepts. */
export class ConfigError extends TypeError {
  override readonly name = 'ConfigError'
  readonly code = 'ASYNCDIRECT_INVALID_CONFIG'
  /** The configuration field that was wrong. */
  readonly field: string

  constructor(field: string, message: string) {
    super(`asyncdirect: invalid config.${field}: ${message}`)
    this.field = field
  }
}
brand(ConfigError)

/** An argument of the wrong type or value: `log(42)`, `attach({})`, `logLines(text, 0)`. */
export class InvalidArgumentError extends TypeError {
  override readonly name: string = 'InvalidArgumentError'
  readonly code = 'ASYNCDIRECT_INVALID_ARGUMENT'
}
brand(InvalidArgumentError)

const errnoNames = new Map<number, string>()
for (const [name, value] of Object.entries(constants.errno)) {
  // Several names share a number (EAGAIN/EWOULDBLOCK); keep the first, which is the usual one.
  if (!errnoNames.has(value)) errnoNames.set(value, name)
}

/** `ENOSPC` for 28 (or -28): the symbolic name of an errno value, `E<n>` when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno)
  return errnoNames.get(n) ?? `E${n}`
}

/** The errno number of a name such as `ENOSPC`, -1 when unknown. */
export function errnoNumber(code: string): number {
  return (constants.errno as Record<string, number>)[code] ?? -1
}

/**
 * The errno values the library tests for, by name. The native library returns `-errno`: compare
 * with `-Errno.EINVAL`.
 */
export const Errno = {
  EAGAIN: constants.errno.EAGAIN,
  EINVAL: constants.errno.EINVAL,
} as const

/** An I/O failure reported by the native library or `node:fs`, carrying the errno name as `code`. */
export class IoError extends AsyncDirectError {
  override readonly name = 'IoError'
  /** The errno name, e.g. `ENOSPC`. */
  declare readonly code: string
  /** The errno number (28 for ENOSPC), -1 when the name is not one of this system's. */
  readonly errno: number
  /** The operation that failed, e.g. `pwritev`. */
  readonly syscall: string
  /** The file concerned. */
  readonly path: string

  constructor(code: string, syscall: string, path: string, detail?: string, options?: ErrorOptions) {
    super(code, `${syscall} ${path}: ${code}${detail ? ` (${detail})` : ''}`, options)
    this.errno = errnoNumber(code)
    this.syscall = syscall
    this.path = path
  }

  /** Builds an IoError from a negative errno returned by the native library. */
  static fromErrno(result: number, syscall: string, path: string): IoError {
    return new IoError(errnoName(result), syscall, path)
  }

  /** Builds an IoError from an error thrown by `node:fs`. */
  static fromNode(err: unknown, syscall: string, path: string): IoError {
    const code = (err as NodeJS.ErrnoException)?.code ?? 'EIO'
    // One of ours that is no errno (a path refused as no regular file): its message explains.
    const detail = err instanceof AsyncDirectError && !(err instanceof IoError) ? err.message : undefined
    return new IoError(code, syscall, path, detail)
  }
}

/** The process that holds a log file's lock, as far as the system tells. */
export interface LockHolder {
  /** Its process id (this process's own when another logger here has the file). */
  readonly pid: number
  /** Its command line, the program named by its file name (`node app.js`); null when it cannot be read. */
  readonly command: string | null
}

/** Thrown when another logger (in this process or another) already writes the file. */
export class FileLockedError extends AsyncDirectError {
  override readonly name = 'FileLockedError'
  declare readonly code: 'ASYNCDIRECT_FILE_LOCKED'

  constructor(
    readonly path: string,
    /** The process holding the file, when the system can tell (Linux: /proc/locks). */
    readonly holder: LockHolder | null = null,
  ) {
    super(
      'ASYNCDIRECT_FILE_LOCKED',
      `asyncdirect: ${path} is already open for writing by another asyncdirect logger ` +
        `(${describeHolder(holder)}); one writer per file`,
    )
  }
}

/** How an error message names the holder of a file's lock. */
export function describeHolder(h: LockHolder | null): string {
  if (!h) return 'in this process or another'
  if (h.pid === process.pid) return `in this process (pid ${h.pid})`
  return `in process ${h.pid}${h.command ? ` (${h.command})` : ''}`
}

/** Thrown when a read finds the file shorter than its last known size (it was truncated meanwhile). */
export class FileShrankError extends AsyncDirectError {
  override readonly name = 'FileShrankError'
  declare readonly code: 'ASYNCDIRECT_FILE_SHRANK'

  constructor(
    readonly path: string,
    readonly offset: number,
  ) {
    super('ASYNCDIRECT_FILE_SHRANK', `${path}: file shrank while reading at offset ${offset}`)
  }
}

/** Codes of {@link StateError}. */
export type StateErrorCode =
  /** `reopen()` after `close()`. */
  | 'ASYNCDIRECT_CLOSED'
  /** `ready()`: the flusher thread exited before it ran (writers then write themselves). */
  | 'ASYNCDIRECT_FLUSHER_NOT_STARTED'
  /** `collectLoggerMetrics()` twice for one file in one registry. */
  | 'ASYNCDIRECT_METRICS_COLLECTED'
  /** A logger handle whose control block is not one (`attach()` of a forged handle). */
  | 'ASYNCDIRECT_BAD_HANDLE'
  /** An object used in a state it cannot be in: a bug of this package. */
  | 'ASYNCDIRECT_INTERNAL'

/** A call the object cannot take in its state. */
export class StateError extends AsyncDirectError {
  override readonly name = 'StateError'
  declare readonly code: StateErrorCode

  constructor(code: StateErrorCode, message: string) {
    super(code, message)
  }
}

/** Codes of {@link NativeError}. */
export type NativeErrorCode =
  /** The kernel refused memory for the buffers, or a block for a write. */
  | 'ASYNCDIRECT_NO_MEMORY'
  /** The native library reports another ABI version than this code binds to. */
  | 'ASYNCDIRECT_NATIVE_ABI'
  /** A thread cannot load the native library that holds the logger's memory. */
  | 'ASYNCDIRECT_NATIVE_UNAVAILABLE'

/** The native library or the memory it manages failed. */
export class NativeError extends AsyncDirectError {
  override readonly name = 'NativeError'
  declare readonly code: NativeErrorCode

  constructor(code: NativeErrorCode, message: string) {
    super(code, message)
  }
}

/** A mistake in the command line: the tool prints it with the command's usage and exits 2. */
export class UsageError extends AsyncDirectError {
  override readonly name = 'UsageError'
  declare readonly code: 'ASYNCDIRECT_USAGE'

  constructor(
    message: string,
    /** The command whose usage to print; the tool's when absent. */
    readonly command?: string,
  ) {
    super('ASYNCDIRECT_USAGE', message)
  }
}

function brand(cls: { prototype: object }): void {
  Object.defineProperty(cls.prototype, BRAND, { value: true })
}

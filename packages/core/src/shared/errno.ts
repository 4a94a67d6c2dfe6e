import { constants } from 'node:os'

const names = new Map<number, string>()
for (const [name, value] of Object.entries(constants.errno)) {
  // Several names share a number (EAGAIN/EWOULDBLOCK); keep the first, which is the usual one.
  if (!names.has(value)) names.set(value, name)
}

/** `ENOSPC` for 28 (or -28): the symbolic name of an errno value, `E<n>` when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno)
  return names.get(n) ?? `E${n}`
}

/** The errno number of a name such as `ENOSPC`, -1 when unknown. */
export function errnoNumber(code: string): number {
  return (constants.errno as Record<string, number>)[code] ?? -1
}

/** An I/O failure reported by the native library or `node:fs`, carrying the errno name as `code`. */
export class IoError extends Error {
  override readonly name = 'IoError'
  /** The errno name, e.g. `ENOSPC`. */
  readonly code: string
  /** The operation that failed, e.g. `pwritev`. */
  readonly syscall: string
  /** The file concerned. */
  readonly path: string

  constructor(code: string, syscall: string, path: string, detail?: string) {
    super(`${syscall} ${path}: ${code}${detail ? ` (${detail})` : ''}`)
    this.code = code
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
    return new IoError(code, syscall, path)
  }
}

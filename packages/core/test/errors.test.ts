// The library's errors (src/errors.ts): one base class, a stable code on each, the TypeErrors still
// TypeErrors, and no bare Error thrown anywhere in the source.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  AsyncDirectError,
  ConfigError,
  FileLockedError,
  FileShrankError,
  InvalidArgumentError,
  IoError,
  NativeError,
  StateError,
} from '../dist/index.js'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

describe('errors', () => {
  const cases: [Error, string, string][] = [
    [new ConfigError('numShards', 'expected 1 to 256'), 'ConfigError', 'ASYNCDIRECT_INVALID_CONFIG'],
    [
      new InvalidArgumentError('log() accepts a string'),
      'InvalidArgumentError',
      'ASYNCDIRECT_INVALID_ARGUMENT',
    ],
    [new IoError('ENOSPC', 'pwritev', '/x.log'), 'IoError', 'ENOSPC'],
    [new FileLockedError('/x.log'), 'FileLockedError', 'ASYNCDIRECT_FILE_LOCKED'],
    [new FileShrankError('/x.log', 4096), 'FileShrankError', 'ASYNCDIRECT_FILE_SHRANK'],
    [new StateError('ASYNCDIRECT_CLOSED', 'closed'), 'StateError', 'ASYNCDIRECT_CLOSED'],
    [new NativeError('ASYNCDIRECT_NO_MEMORY', 'no memory'), 'NativeError', 'ASYNCDIRECT_NO_MEMORY'],
  ]

  it.each(cases)(
    '%s: an AsyncDirectError and an Error, with its name and a stable code',
    (err, name, code) => {
      expect(err).toBeInstanceOf(AsyncDirectError)
      expect(err).toBeInstanceOf(Error)
      expect(err.name).toBe(name)
      expect((err as AsyncDirectError).code).toBe(code)
    },
  )

  it('the wrong-value errors stay TypeErrors; the others are not', () => {
    expect(new ConfigError('path', 'x')).toBeInstanceOf(TypeError)
    expect(new InvalidArgumentError('x')).toBeInstanceOf(TypeError)
    expect(new IoError('EIO', 'write', '/x')).not.toBeInstanceOf(TypeError)
  })

  it('instanceof a subclass is still the prototype chain: the base class alone reads the brand', () => {
    expect(new ConfigError('path', 'x')).not.toBeInstanceOf(IoError)
    expect(new IoError('EIO', 'write', '/x')).not.toBeInstanceOf(FileLockedError)
    expect(new Error('plain')).not.toBeInstanceOf(AsyncDirectError)
    expect(new TypeError('plain')).not.toBeInstanceOf(AsyncDirectError)
    expect(null).not.toBeInstanceOf(AsyncDirectError)
  })

  it('an IoError has the errno name as code and its number as errno', () => {
    const err = IoError.fromErrno(-28, 'pwritev', '/x.log')
    expect(err.code).toBe('ENOSPC')
    expect(err.errno).toBe(28)
    expect(err.message).toBe('pwritev /x.log: ENOSPC')
    expect(new IoError('ENOTANERRNO', 'open', '/x').errno).toBe(-1)
  })

  it('the library throws no bare Error: every throw names its class and code', () => {
    const offenders: string[] = []
    for (const file of sourceFiles(SRC)) {
      const lines = readFileSync(file, 'utf8').split('\n')
      lines.forEach((line, i) => {
        if (/\bnew (Type|Range)?Error\(/.test(line)) offenders.push(`${file.slice(SRC.length + 1)}:${i + 1}`)
      })
    }
    expect(offenders).toEqual([])
  })
})

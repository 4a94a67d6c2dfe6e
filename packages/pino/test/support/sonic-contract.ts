import type { EventEmitter } from 'node:events'
import { once } from 'node:events'
import sonicBoom from 'sonic-boom'
import { destination, type SonicBoomOptions } from '../../dist/index.js'

/**
 * What the contract tests use of a stream: SonicBoom's public API (its type declarations leave
 * out the properties, so this names them).
 */
export interface SonicLike extends EventEmitter {
  write(data: string | Uint8Array): boolean
  flush(cb?: ((err?: Error | null) => void) | null): void
  flushSync(): void
  end(): void
  destroy(): void
  reopen(file?: string): void
  readonly fd: number
  readonly file: string | null
  readonly destroyed: boolean
  readonly minLength: number
  readonly maxLength: number
  readonly maxWrite: number
  readonly sync: boolean
  readonly append: boolean
  readonly mkdir: boolean
  readonly mode: number | string | undefined
}

/** One implementation of the contract: the real SonicBoom, or asyncdirect's destination(). */
export interface Implementation {
  name: 'sonic-boom' | 'asyncdirect'
  open(options: SonicBoomOptions & Record<string, unknown>): SonicLike
}

export const implementations: Implementation[] = [
  {
    name: 'sonic-boom',
    open: (options) => new sonicBoom.SonicBoom(options as never) as unknown as SonicLike,
  },
  { name: 'asyncdirect', open: (options) => destination(options as never) as unknown as SonicLike },
]

/** Ends the stream and waits for its 'close' (SonicBoom's end() waits for its open first). */
export async function endStream(s: SonicLike): Promise<void> {
  if (s.destroyed) return
  const closed = once(s, 'close')
  s.end()
  await closed
}

/** Destroys the stream and waits for its 'close'. */
export async function destroyStream(s: SonicLike): Promise<void> {
  const closed = once(s, 'close')
  s.destroy()
  await closed
}

/** Resolves once the stream's file is open (SonicBoom opens asynchronously). */
export async function opened(s: SonicLike): Promise<void> {
  if (s.fd < 0 || s.file === null) await once(s, 'ready')
}

/** `count` lines of about `size` bytes, numbered. */
export function numberedLines(count: number, size = 64, tag = 'line'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const head = `{"${tag}":${i},"pad":"`
    return `${head}${'x'.repeat(Math.max(0, size - head.length - 3))}"}\n`
  })
}

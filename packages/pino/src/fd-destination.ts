import sonicBoom, { type SonicBoom } from 'sonic-boom'
import type { SonicBoomOptions } from './destination-options.js'

/**
 * A file descriptor's destination (`dest: 1`, `2`, `{ fd }`): a SonicBoom, as
 * `pino.destination()` builds it, since O_DIRECT and the core's buffers need a regular file that
 * the logger owns. As pino does for an asynchronous one, what is still buffered is written
 * synchronously when the process exits.
 */
export function fdDestination(fd: number, options: SonicBoomOptions): SonicBoom {
  // CommonJS: the default import is the class itself, which also carries itself as `.SonicBoom`.
  const stream = new sonicBoom.SonicBoom({ ...options, fd })
  if (!options.sync) {
    const atExit = (): void => {
      // Both are SonicBoom's public properties, missing from its type declarations.
      const state = stream as SonicBoom & { destroyed: boolean; fd: number }
      if (state.destroyed || state.fd < 0) return
      try {
        stream.flushSync()
      } catch {
        // The process is exiting and the descriptor refuses the data (a closed pipe): nothing is left to tell.
      }
    }
    process.on('exit', atExit)
    stream.on('close', () => process.off('exit', atExit))
  }
  return stream
}

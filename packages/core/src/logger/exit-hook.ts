/**
 * One `process.on('exit')` listener for every open logger of this thread, so that
 * `process.exit()`, an uncaught exception or the natural end of the program flushes what was
 * logged. Exit listeners must be synchronous: each callback writes from the calling thread.
 */
const callbacks = new Set<() => void>()
let installed = false

function runAll(): void {
  for (const cb of callbacks) {
    try {
      cb()
    } catch (err) {
      // The process is exiting: stderr is the only place left to say so.
      process.stderr.write(`asyncdirect: flush at exit failed: ${(err as Error).message}\n`)
    }
  }
}

export function onExit(cb: () => void): () => void {
  if (!installed) {
    process.on('exit', runAll)
    installed = true
  }
  callbacks.add(cb)
  return () => callbacks.delete(cb)
}

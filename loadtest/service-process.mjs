// Starts a service (service.mjs) in a child process and stops it: SIGTERM, then wait for its
// exit, by which time its logger has written and closed the file.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

const START_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 60_000

/** Resolves with `{ port, stop() }` once the service listens. */
export async function startService(backend, logPath) {
  const child = spawn(
    process.execPath,
    [new URL('./service.mjs', import.meta.url).pathname, backend, logPath],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  const exited = once(child, 'exit')
  const lines = createInterface({ input: child.stdout })
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${backend}: service did not start`)), START_TIMEOUT_MS)
    lines.once('line', (line) => {
      clearTimeout(timer)
      resolve(JSON.parse(line).port)
    })
    exited.then(([code]) => reject(new Error(`${backend}: service exited with ${code} before listening`)))
  })
  return {
    port,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
      const [code, signal] = await exited
      clearTimeout(timer)
      if (code !== 0) throw new Error(`${backend}: service ended with ${signal ?? `exit code ${code}`}`)
    },
  }
}

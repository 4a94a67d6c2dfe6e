import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface ChildResult {
  /** True when the child had not exited after the deadline and was killed. */
  hung: boolean
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * A child that has not exited after this long never will (these take well under a second): it
 * is killed, so that a process kept alive fails its test with a clear message instead of the
 * test timeout. Not a performance assertion.
 */
const CHILD_DEADLINE_MS = 45_000

export const fixture = (name: string): string =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))

/** Runs `node script args...`; `onStdout` sees the output as it comes (to signal the child). */
export function runNode(
  script: string,
  args: string[],
  onStdout?: (text: string, child: ReturnType<typeof spawn>) => void,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // As the test processes (test-support/vitest-base.ts): Node 20 can deadlock or fail a
    // worker's exit when V8 compiles concurrently (nodejs/node#54918); these children exit with
    // flusher threads running.
    const child = spawn(process.execPath, ['--no-concurrent-recompilation', script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let hung = false
    const deadline = setTimeout(() => {
      hung = true
      child.kill('SIGKILL')
    }, CHILD_DEADLINE_MS)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d
      onStdout?.(stdout, child)
    })
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      clearTimeout(deadline)
      resolve({ hung, code, signal, stdout, stderr })
    })
  })
}

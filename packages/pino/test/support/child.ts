import { spawn } from 'node:child_process'

export interface ChildResult {
  /** True when the child had not exited after the deadline and was killed. */
  hung: boolean
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * A child that has not exited after this long never will (these take a second or two): it is
 * killed, so a process kept alive by a stream fails its test with a clear message instead of
 * hitting the test timeout. Not a timing assertion.
 */
const CHILD_DEADLINE_MS = 60_000

/** Runs `node ...args` and collects its output. */
export function runNode(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // As the test processes (test-support/vitest-base.ts): Node 20 can deadlock or fail a
    // worker's exit when V8 compiles concurrently (nodejs/node#54918); these children exit with
    // flusher threads running.
    const child = spawn(process.execPath, ['--no-concurrent-recompilation', ...args], {
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

import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach } from 'vitest'

// The CLI as users run it: the built dist/cli.js in a real child process of this Node.

/** The built CLI. */
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url))

/** How a finished CLI run ended. */
export interface Result {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI to completion. */
export function run(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Longer than the follower's 200 ms poll: one poll has certainly seen what is on disk. */
export const AFTER_A_POLL = 700

/** A running CLI (tail -f): its output so far, waiting for output, stopping it. */
export class Running {
  stdout = ''
  stderr = ''
  private readonly exited: Promise<number | null>

  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d) => (this.stdout += d))
    child.stderr!.on('data', (d) => (this.stderr += d))
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)))
  }

  async waitFor(predicate: (stdout: string) => boolean, what: string, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms
    while (!predicate(this.stdout)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; stdout: ${this.stdout}; stderr: ${this.stderr}`)
      await sleep(50)
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.child.kill(signal)
    return this.exited
  }
}

const running: Running[] = []

// A failed assertion must not leave a `tail -f` running into the next test.
afterEach(() => {
  for (const r of running.splice(0)) r.child.kill('SIGKILL')
})

/** Starts the CLI and leaves it running; it is killed after the test if still running. */
export function start(args: string[]): Running {
  const r = new Running(spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }))
  running.push(r)
  return r
}

import { type ChildProcess, type SpawnSyncOptions, spawn, spawnSync } from 'node:child_process'

// Child Node processes of the tests, every one with a deadline. A child that has not exited after
// CHILD_DEADLINE_MS never will (they take a second or two): it is killed, and its test fails
// saying so. Without the deadline a hung child blocks a synchronous test for ever, where no
// vitest timeout can reach it. A liveness bound, not a speed check.
//
// The children run with --no-concurrent-recompilation, as the test processes do
// (vitest-base.ts): Node 20 can deadlock or fail a worker's exit when V8 compiles concurrently
// (nodejs/node#54918), and these children exit with flusher threads running.

export const CHILD_DEADLINE_MS = 60_000

const NODE_FLAGS = ['--no-concurrent-recompilation']

/** How a finished child ended. */
export interface ChildResult {
  /** True when the child had not exited after the deadline and was killed. */
  hung: boolean
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export interface RunNodeOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Sees the output so far as it comes, and the child (to signal it at the right moment). */
  onStdout?: (stdout: string, child: ChildProcess) => void
}

/** Runs `node ...args` to its end and collects its output. */
export function runNode(args: string[], options: RunNodeOptions = {}): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env,
      cwd: options.cwd,
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
      options.onStdout?.(stdout, child)
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

/**
 * Runs `command ...args` synchronously, with the deadline, as given (a program as users run it,
 * a build or install step). The result's `error` is set (ETIMEDOUT) when the child hung and was
 * killed.
 */
export function runSync(
  command: string,
  args: string[],
  options: Omit<SpawnSyncOptions, 'encoding'> & { timeoutMs?: number } = {},
): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  const { timeoutMs = CHILD_DEADLINE_MS, ...rest } = options
  const r = spawnSync(command, args, {
    ...rest,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
  })
  return r as ReturnType<typeof spawnSync> & { stdout: string; stderr: string }
}

/** `runNode`'s synchronous twin: `node ...args` with the flags above and the deadline. */
export function runNodeSync(
  args: string[],
  options: Omit<SpawnSyncOptions, 'encoding'> & { timeoutMs?: number } = {},
): ReturnType<typeof runSync> {
  return runSync(process.execPath, [...NODE_FLAGS, ...args], options)
}

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'

/** How a child process ended. */
export interface ChildEnd {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * A child that has not said what a test waits for after this long never will (they say it within
 * a second or two): the wait fails with the child's output rather than hitting the test timeout.
 * Not a timing assertion.
 */
const DEADLINE_MS = 90_000

/**
 * A running `node` child whose stdout lines a test waits on, to send it a signal at a known point
 * of its work: the child prints what it has done (`logged 1200`), the test waits for that line,
 * then signals. Synchronization by the child's own words, never by sleeping.
 */
export class SignalledChild {
  private static readonly running = new Set<SignalledChild>()
  private readonly child: ChildProcessWithoutNullStreams
  private readonly lines: string[] = []
  private waiters: Array<() => void> = []
  private stdout = ''
  private stderr = ''
  private pending = ''
  /** Settles when the child has exited and its output is closed. */
  readonly ended: Promise<ChildEnd>

  constructor(args: string[]) {
    // As the test processes (vitest-base.ts): Node 20 can deadlock or fail a worker's exit when V8
    // compiles concurrently (nodejs/node#54918).
    this.child = spawn(process.execPath, ['--no-concurrent-recompilation', ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      this.stdout += d
      this.pending += d
      const parts = this.pending.split('\n')
      this.pending = parts.pop() ?? ''
      if (parts.length === 0) return
      this.lines.push(...parts)
      this.wake()
    })
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d
    })
    const deadline = setTimeout(() => this.child.kill('SIGKILL'), 4 * DEADLINE_MS)
    SignalledChild.running.add(this)
    this.ended = new Promise((resolve, reject) => {
      this.child.on('error', reject)
      this.child.on('close', (code, signal) => {
        SignalledChild.running.delete(this)
        clearTimeout(deadline)
        this.wake()
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })
      })
    })
  }

  /**
   * Kills (SIGKILL) and awaits every child still running: for `afterEach`, so that a failed
   * assertion never leaves one behind.
   */
  static async killAll(): Promise<void> {
    const left = [...SignalledChild.running]
    for (const c of left) c.child.kill('SIGKILL')
    await Promise.all(left.map((c) => c.ended.catch(() => {})))
  }

  get pid(): number {
    return this.child.pid ?? -1
  }

  /** The first stdout line (from the start) that `match` returns a value for; that value. */
  async waitFor<T>(what: string, match: (line: string) => T | undefined): Promise<T> {
    const deadline = Date.now() + DEADLINE_MS
    for (let seen = 0; ; ) {
      for (; seen < this.lines.length; seen++) {
        const value = match(this.lines[seen]!)
        if (value !== undefined) return value
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null || Date.now() > deadline) {
        this.child.kill('SIGKILL')
        const end = await this.ended
        throw new Error(
          `the child never printed ${what} (exit ${end.code ?? end.signal}); stdout tail: ` +
            `${end.stdout.slice(-300)}; stderr: ${end.stderr}`,
        )
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  /** Waits for `logged N` with N ≥ `atLeast`; returns N. */
  waitLogged(atLeast: number): Promise<number> {
    return this.waitFor(`logged ≥ ${atLeast}`, (line) => {
      const m = /^logged (\d+)$/.exec(line)
      return m && Number(m[1]) >= atLeast ? Number(m[1]) : undefined
    })
  }

  /** The last `logged N` the child printed so far (0 if none). */
  lastLogged(): number {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const m = /^logged (\d+)$/.exec(this.lines[i]!)
      if (m) return Number(m[1])
    }
    return 0
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal)
  }

  /** Writes a line to the child's stdin. */
  tell(line: string): void {
    this.child.stdin.write(`${line}\n`)
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}

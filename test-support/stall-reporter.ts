import { readdirSync, readFileSync } from 'node:fs'
import type { Reporter, TestCase, TestModule } from 'vitest/node'

// A test file that never ends must cost minutes, not the whole CI run, and must say where it
// stopped. Vitest's own timeouts cannot help when the test process is blocked in a synchronous
// call (spawnSync on a child that hangs, a thread that never exits): its timers never run. This
// reporter runs in vitest's main process, which is never blocked by a test, and watches the file
// being run. Past STALL_MS it prints the file, its running test and the processes under vitest,
// then kills those processes' children (unblocking a synchronous wait, so the test fails with its
// own message) and, if the file still does not end, the test process itself: vitest reports that
// file as failed and goes on with the next.
//
// The bound is a liveness bound, far above any file's time on a loaded machine (the longest takes
// about a minute), never a speed check.

const STALL_MS = Number(process.env.ASYNCDIRECT_TEST_STALL_MS ?? 6 * 60_000)
const GRACE_MS = 60_000
const CHECK_MS = 5_000

interface Proc {
  pid: number
  ppid: number
  seconds: number
  args: string
}

const ticksPerSecond = 100

function processes(): Proc[] {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  const found: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      // The command name is in parentheses and may itself contain spaces or parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim()
      found.push({
        pid: Number(name),
        ppid: Number(fields[1]),
        seconds: Math.round(uptime - Number(fields[19]) / ticksPerSecond),
        args,
      })
    } catch {
      // The process ended while being read.
    }
  }
  return found
}

/** The processes below `root`, each with its depth, parents first. */
function descendants(root: number): { proc: Proc; depth: number }[] {
  const all = processes()
  const out: { proc: Proc; depth: number }[] = []
  const walk = (pid: number, depth: number) => {
    for (const p of all) {
      if (p.ppid !== pid) continue
      out.push({ proc: p, depth })
      walk(p.pid, depth + 1)
    }
  }
  walk(root, 0)
  return out
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}

export default class StallReporter implements Reporter {
  private module: { id: string; since: number; test: string; reported: boolean } | undefined
  private readonly timer = setInterval(() => this.check(), CHECK_MS).unref()

  onTestModuleStart(testModule: TestModule): void {
    this.module = {
      id: testModule.relativeModuleId,
      since: Date.now(),
      test: '(collecting)',
      reported: false,
    }
  }

  onTestCaseReady(testCase: TestCase): void {
    if (this.module) this.module.test = testCase.fullName
  }

  // After a file's last test come its test process's exit and the next file's start; they hang
  // when a thread cannot be stopped, so they are watched the same way.
  onTestModuleEnd(testModule: TestModule): void {
    this.module = {
      id: `what follows ${testModule.relativeModuleId}`,
      since: Date.now(),
      test: '(none: the file has ended)',
      reported: false,
    }
  }

  onTestRunEnd(): void {
    clearInterval(this.timer)
  }

  private check(): void {
    const m = this.module
    if (!m) return
    const ran = Date.now() - m.since
    if (ran < STALL_MS) return
    const tree = descendants(process.pid)
    if (!m.reported) {
      m.reported = true
      const lines = tree.map(
        ({ proc, depth }) => `  ${'  '.repeat(depth)}${proc.pid} ${proc.seconds}s ${proc.args.slice(0, 240)}`,
      )
      process.stderr.write(
        `\n[stall] ${m.id} has run ${Math.round(ran / 1000)} s (bound ${STALL_MS / 1000} s); ` +
          `last test started: ${m.test}\n[stall] processes under vitest:\n${lines.join('\n')}\n` +
          `[stall] killing the test process's children; the test process itself in ${GRACE_MS / 1000} s\n`,
      )
      // The test processes are vitest's children; what hangs is usually one of theirs.
      for (const { proc, depth } of tree) if (depth >= 1) kill(proc.pid)
    } else if (ran >= STALL_MS + GRACE_MS) {
      process.stderr.write(`[stall] ${m.id} still running: killing its test process\n`)
      for (const { proc, depth } of tree) if (depth === 0 && proc.args.includes('vitest')) kill(proc.pid)
      m.since = Date.now() - STALL_MS // Try again after another grace period, not every check.
    }
  }
}

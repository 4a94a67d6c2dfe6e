import { readdirSync, readFileSync } from 'node:fs'
import type { Reporter, TestCase, TestModule } from 'vitest/node'

// A test file that never ends must cost minutes, not the whole CI run, and must say where it
// stopped. Vitest's own timeouts cannot help when the test process is blocked in a synchronous
// call (spawnSync on a child that hangs, a thread that never exits): its timers never run. This
// reporter runs in vitest's main process, which is never blocked by a test, and watches every file
// being run. Past STALL_MS it prints the file, its running test and the processes under vitest,
// then kills the children of that file's test process (unblocking a synchronous wait, so the test
// fails with its own message) and, if the file still does not end, the test process itself:
// vitest reports that file as failed and goes on. Files run two at a time; a test process is told
// from the other by its title, which process-title.ts sets to the file it runs.
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

/** The title process-title.ts gives the process that runs `file`. */
export function titleFor(file: string): string {
  return `vitest-file ${file}`
}

interface Watched {
  /** What is watched, for the message. */
  what: string
  /** The test file's absolute path: its process carries titleFor(file). */
  file: string
  since: number
  test: string
  reported: boolean
}

export default class StallReporter implements Reporter {
  private readonly watched = new Map<string, Watched>()
  private readonly timer = setInterval(() => this.check(), CHECK_MS).unref()

  onTestModuleStart(testModule: TestModule): void {
    this.watched.set(testModule.moduleId, {
      what: testModule.relativeModuleId,
      file: testModule.moduleId,
      since: Date.now(),
      test: '(collecting)',
      reported: false,
    })
  }

  onTestCaseReady(testCase: TestCase): void {
    const w = this.watched.get(testCase.module.moduleId)
    if (w) w.test = testCase.fullName
  }

  // After a file's last test comes its test process's exit; it hangs when a thread cannot be
  // stopped, so it is watched the same way, until the process is gone.
  onTestModuleEnd(testModule: TestModule): void {
    this.watched.set(testModule.moduleId, {
      what: `the exit of the process that ran ${testModule.relativeModuleId}`,
      file: testModule.moduleId,
      since: Date.now(),
      test: '(none: the file has ended)',
      reported: false,
    })
  }

  onTestRunEnd(): void {
    clearInterval(this.timer)
  }

  private check(): void {
    let tree: { proc: Proc; depth: number }[] | undefined
    for (const [id, w] of this.watched) {
      const ran = Date.now() - w.since
      if (ran < STALL_MS) continue
      tree ??= descendants(process.pid)
      const own = tree.find(({ proc }) => proc.args.startsWith(titleFor(w.file)))
      if (!own) {
        if (w.test.startsWith('(none')) this.watched.delete(id) // exited
        continue
      }
      if (!w.reported) {
        w.reported = true
        const lines = tree.map(
          ({ proc, depth }) =>
            `  ${'  '.repeat(depth)}${proc.pid} ${proc.seconds}s ${proc.args.slice(0, 240)}`,
        )
        process.stderr.write(
          `\n[stall] ${w.what} has run ${Math.round(ran / 1000)} s (bound ${STALL_MS / 1000} s); ` +
            `last test started: ${w.test}\n[stall] processes under vitest:\n${lines.join('\n')}\n` +
            `[stall] killing the children of ${own.proc.pid}; ${own.proc.pid} itself in ${GRACE_MS / 1000} s\n`,
        )
        // What hangs is usually a child of the test process.
        for (const { proc } of descendants(own.proc.pid)) kill(proc.pid)
      } else if (ran >= STALL_MS + GRACE_MS) {
        process.stderr.write(`[stall] ${w.what} still running: killing its test process ${own.proc.pid}\n`)
        kill(own.proc.pid)
        w.since = Date.now() - STALL_MS // Try again after another grace period, not every check.
      }
    }
  }
}

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

// Tests drive real threads, real child processes and real disks. Two files run at a time: half
// of a file's time is spent waiting on the disk or on child processes, so a second file uses the
// machine's second core without starving the first; no test depends on having a core to itself
// (.ci/loaded-runs.sh checks that with one core busy). The timeouts are for slow disks, not for
// measuring speed (benchmarks do that).
//
// Every package's tests run inside a temporary directory of their own that must be empty at the
// end (temp-dir-guard.ts), and fail on a process warning they did not assert
// (warning-guard.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON results are what .ci/test-summary.mjs counts; the stall reporter bounds a file
    // that never ends (see there).
    reporters: [
      'default',
      ['json', { outputFile: '.test-results/vitest.json' }],
      here('./stall-reporter.ts'),
    ],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // A dist/ older than its source is built again first (fresh-dist.ts), before the temporary
    // directory is set up.
    globalSetup: [here('./fresh-dist.ts'), here('./temp-dir-guard.ts')],
    setupFiles: [here('./process-title.ts'), here('./warning-guard.ts')],
    // Node 20 can deadlock a worker's exit when V8 compiles concurrently (nodejs/node#54918); the
    // tests start and end hundreds of threads. Compiling on the thread itself avoids it.
    execArgv: ['--no-concurrent-recompilation'],
  },
})

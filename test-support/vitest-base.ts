import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

// Tests drive real threads, real child processes and real disks on a shared 2-core machine:
// one file at a time keeps them from starving each other, and the timeouts are for slow disks,
// not for measuring speed (benchmarks do that).
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
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // A dist/ older than its source is built again first (fresh-dist.ts), before the temporary
    // directory is set up.
    globalSetup: [here('./fresh-dist.ts'), here('./temp-dir-guard.ts')],
    setupFiles: [here('./warning-guard.ts')],
    // Node 20 can deadlock a worker's exit when V8 compiles concurrently (nodejs/node#54918); the
    // tests start and end hundreds of threads. Compiling on the thread itself avoids it.
    execArgv: ['--no-concurrent-recompilation'],
  },
})

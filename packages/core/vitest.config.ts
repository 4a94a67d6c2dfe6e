import { defineConfig } from 'vitest/config'

// Tests drive real threads, real child processes and real disks on a shared 2-core machine:
// one file at a time keeps them from starving each other, and the timeouts are for slow disks,
// not for measuring speed (benchmarks do that).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // Node 20 can deadlock a worker's exit when V8 compiles concurrently (nodejs/node#54918); the
    // tests start and end hundreds of threads. Compiling on the thread itself avoids it.
    execArgv: ['--no-concurrent-recompilation'],
  },
})

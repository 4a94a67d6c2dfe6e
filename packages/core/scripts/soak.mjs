#!/usr/bin/env node
// Soak test: a logger under steady load from worker threads while other loggers are opened and
// closed (and refused) over and over, sampling memory, open descriptors and threads. After a
// warm-up none of them may grow: a leak per entry, per flush or per open shows here long before
// it shows in production.
//
// Memory is watched in two parts, because V8 sizes its heaps as it pleases (a worker's heap may
// double after minutes of steady work without holding anything more):
//  - live JS objects: every thread's heap after a garbage collection;
//  - everything else (C memory: buffers, the native library, thread arenas): resident memory
//    minus the threads' heaps as V8 sized them.
//
//   node scripts/soak.mjs --soak            5 minutes (by hand, outside CI)
//   node scripts/soak.mjs --seconds 15      a short run (contention.test.ts runs this in CI)
//   options: --dir DIR (default: a temporary directory, removed at the end)
//
// Prints one line per sample and a summary; exits 0 when nothing grew, 1 otherwise.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Worker } from 'node:worker_threads'
import { createLogger } from '../dist/index.js'

const { values } = parseArgs({
  options: { soak: { type: 'boolean' }, seconds: { type: 'string' }, dir: { type: 'string' } },
})
const seconds = values.soak ? 300 : Number(values.seconds ?? 60)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-soak-'))
const MiB = 1024 * 1024
const mib = (n) => `${(n / MiB).toFixed(1)}MiB`
const WORKERS = 4
const PER_SECOND = 5000
/** Samples before this are the warm-up (JIT, heaps, allocator). */
const warmupMs = Math.min(10_000, (seconds * 1000) / 4)
/**
 * Allowed growth after the warm-up. Live JS objects: a few MiB of noise; anything kept per entry
 * (millions) exceeds it. The rest: each logger opened and closed costs about 55 KiB that is never
 * returned (its flusher is a worker thread: Node and koffi keep per-thread memory), which is 16
 * MiB for the 5-minute run's 300 cycles; anything kept per entry or per flush exceeds the bound.
 */
const LIVE_BOUND = 8 * MiB
const NATIVE_BOUND = 32 * MiB

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')
/** [used, total] heap bytes of each worker, published by the workers once a second. */
const heaps = new Float64Array(new SharedArrayBuffer(8 * 2 * WORKERS))

const count = (path) => readdirSync(path).length
const sum = (parity) => heaps.reduce((n, v, i) => (i % 2 === parity ? n + v : n), 0)
function sample(t) {
  gc()
  const h = getHeapStatistics()
  const rss = process.memoryUsage.rss()
  const total = h.total_heap_size + sum(1)
  return {
    t,
    rss,
    live: h.used_heap_size + sum(0),
    native: rss - total,
    fds: count('/proc/self/fd'),
    threads: count('/proc/self/task'),
  }
}

const main = await createLogger({
  path: join(dir, 'soak.log'),
  bufferSize: 1 * MiB,
  numShards: 4,
  flushInterval: 200,
})
const stop = new Int32Array(new SharedArrayBuffer(4))
const workers = Array.from(
  { length: WORKERS },
  (_, id) =>
    new Worker(new URL('./soak-worker.mjs', import.meta.url), {
      workerData: { handle: main.handle, id, stop, perSecond: PER_SECOND, heaps },
    }),
)
const reports = workers.map(
  (w) => new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)),
)

/** One open/log/close cycle of a short-lived logger, and two refused opens. */
let cycles = 0
async function cycle() {
  const format = cycles % 2 === 0 ? 'framed' : 'lines'
  const path = join(dir, `cycle-${format}-${cycles % 3}.log`)
  const l = await createLogger({ path, format, bufferSize: 64 * 1024, numShards: 2 })
  for (let i = 0; i < 100; i++) l.log(`cycle ${cycles} ${i}`)
  await createLogger({ path, format }).then(
    () => {
      throw new Error('a second logger on a locked file was not refused')
    },
    (err) => {
      if (err.name !== 'FileLockedError') throw err
    },
  )
  await createLogger({ path: join(dir, 'missing', 'x.log') }).catch(() => {})
  await l.close()
  cycles++
}

const samples = []
const started = Date.now()
while (Date.now() - started < seconds * 1000) {
  await cycle()
  await new Promise((r) => setTimeout(r, 1000))
  const s = sample(Date.now() - started)
  samples.push(s)
  console.log(
    `t=${(s.t / 1000).toFixed(0)}s rss=${mib(s.rss)} live-js=${mib(s.live)} native=${mib(s.native)} fds=${s.fds} threads=${s.threads}`,
  )
}
Atomics.store(stop, 0, 1)
const accepted = (await Promise.all(reports)).reduce((n, r) => n + r.accepted, 0)
for (const w of workers) await w.terminate()
await main.close()
const stats = main.getStatsSnapshot()

const settled = samples.filter((s) => s.t >= warmupMs)
const first = settled[0] ?? samples[0]
const last = samples.at(-1)
const peak = (key) => Math.max(...settled.map((s) => s[key]))
const problems = []
if (peak('live') - first.live > LIVE_BOUND)
  problems.push(`live JS objects grew by ${mib(peak('live') - first.live)} after the warm-up`)
if (peak('native') - first.native > NATIVE_BOUND)
  problems.push(`memory outside the JS heaps grew by ${mib(peak('native') - first.native)} after the warm-up`)
if (last.fds > first.fds) problems.push(`open descriptors grew from ${first.fds} to ${last.fds}`)
if (last.threads > first.threads) problems.push(`threads grew from ${first.threads} to ${last.threads}`)
if (stats.entriesWritten !== accepted || stats.droppedLogs !== 0)
  problems.push(
    `entries: ${accepted} accepted, ${stats.entriesWritten} written, ${stats.droppedLogs} dropped`,
  )
if (!values.dir) rmSync(dir, { recursive: true, force: true })
for (const p of problems) console.log(`PROBLEM: ${p}`)
console.log(
  `soak: ${seconds} s, ${accepted} entries from ${WORKERS} threads, ${cycles} open/close cycles: ` +
    `live JS ${mib(first.live)} -> ${mib(last.live)} (peak ${mib(peak('live'))}), ` +
    `outside the JS heaps ${mib(first.native)} -> ${mib(last.native)} (peak ${mib(peak('native'))}), ` +
    `RSS ${mib(first.rss)} -> ${mib(last.rss)}, fds ${first.fds} -> ${last.fds}, ` +
    `threads ${first.threads} -> ${last.threads}: ${problems.length === 0 ? 'ok' : 'FAILED'}`,
)
process.exitCode = problems.length === 0 ? 0 : 1

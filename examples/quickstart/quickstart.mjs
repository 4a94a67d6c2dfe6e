// The quick start: one logger, the main thread and two worker threads writing into it,
// then the statistics and the file read back.
//
//   node quickstart.mjs [file]
//
// The file is in the default format, NDJSON ('lines'): `grep`, `jq` and `tail -f` read it as it
// is. Given an existing file, the logger appends to it (never truncates), so a second run with
// the same file finds the first run's entries before its own.
import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { createLogger, readEntries, verify } from '@asyncdirect/core'

const path = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'asyncdirect-quickstart-')), 'app.log')
const before = existsSync(path) ? await verify(path) : { ok: true, entries: 0 }
if (!before.ok) {
  console.error(`${path} already exists and does not read back cleanly: run \`asyncdirect verify ${path}\``)
  process.exit(1)
}
const logger = await createLogger({ path, bufferSize: 8 * 1024 * 1024, numShards: 4 })
logger.on('error', (err) => console.error('log write failed (kept, retried):', err.code, err.message))

// Workers write into the same shards: hand them `logger.handle`, plain cloneable data.
const workers = [1, 2].map(
  (id) => new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { handle: logger.handle, id } }),
)

for (let i = 0; i < 50_000; i++)
  logger.log(`{"level":"info","thread":"main","seq":${i},"msg":"request handled"}`)
const line = Buffer.from('{"level":"debug","thread":"main","msg":"bytes API: one copy, no allocation"}')
for (let i = 0; i < 50_000; i++) logger.logBytes(line)

await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))))
await logger.close()

const stats = logger.getStatsSnapshot()
const flush = logger.getFlushMetrics()
console.log(`file:            ${path}`)
console.log(`entries logged:  ${stats.totalLogs} (dropped ${stats.droppedLogs})`)
console.log(
  `entries written: ${stats.entriesWritten} in ${stats.flushes} flushes, ${stats.bytesWritten} bytes`,
)
console.log(`direct I/O:      ${stats.directIO} (alignment ${stats.alignment})`)
console.log(
  `flush time:      avg ${flush.avgFlushDuration.toFixed(2)} ms, max ${flush.maxFlushDuration.toFixed(2)} ms`,
)
for (const s of logger.getShardStats()) console.log(`  shard ${s.shardId}: ${s.writeCount} writes`)

const perThread = new Map()
let skipped = 0
for await (const entry of readEntries(path)) {
  if (skipped < before.entries) {
    skipped++ // an earlier run's
    continue
  }
  const thread = entry.toString().match(/"thread":"(\w+)"/)?.[1] ?? '?'
  perThread.set(thread, (perThread.get(thread) ?? 0) + 1)
}
console.log('read back:', Object.fromEntries(perThread))
const report = await verify(path)
const earlier = before.entries ? `, after ${before.entries} from earlier runs` : ''
console.log(
  `verify: ${report.ok ? 'ok' : 'PROBLEMS'} (${report.entries} entries in the ${report.format} format${earlier})`,
)
if (!report.ok) {
  console.error(
    `verify found problems: ${report.problems.map((p) => `${p.offset}: ${p.message}`).join('; ')}`,
  )
  process.exitCode = 1
} else if (report.entries !== before.entries + stats.totalLogs) {
  console.error(`expected ${before.entries + stats.totalLogs} entries in ${path}, found ${report.entries}`)
  process.exitCode = 1
}

// Creating a logger with the default configuration, in a fresh process. Prints one JSON line.
//
//   node creation-scenario.mjs <createLogger|openLogger> <framed|lines> <dir>
//
// - createLogger: how long `createLogger()` takes to resolve (file opened and locked, buffers
//   reserved: it takes entries from then on, the flusher thread still starting);
// - openLogger: how long `openLogger()` blocks the event loop (what a winston transport's or a
//   pino destination's constructor costs), the flusher thread also still starting;
// for both, how long until `ready()` resolves (the flusher thread writes), and how much the
// process's resident memory grew by then (in all, and anonymous memory alone: the rest is code
// of the Node binary that the first worker thread pages in).
// The package is imported first, outside the measurement: its module loading is the application's
// start, not the logger's creation. Each run is cold: the native library loads inside it.
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger, openLogger } from '@asyncdirect/core'

const [api, format, dir] = process.argv.slice(2)
if (!['createLogger', 'openLogger'].includes(api) || !['framed', 'lines'].includes(format) || !dir) {
  console.error('usage: creation-scenario.mjs <createLogger|openLogger> <framed|lines> <dir>')
  process.exit(2)
}
const MiB = 1024 * 1024
const path = join(dir, `creation-${api}-${format}.log`)
rmSync(path, { force: true })

/** Anonymous resident memory (bytes), from /proc/self/status; null elsewhere. */
function rssAnon() {
  try {
    const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    return m ? Number(m[1]) * 1024 : null
  } catch {
    return null
  }
}

const rssBefore = process.memoryUsage().rss
const anonBefore = rssAnon()
const start = performance.now()
const logger = api === 'createLogger' ? await createLogger({ path, format }) : openLogger({ path, format })
const ms = performance.now() - start
await logger.ready()
const readyMs = performance.now() - start
const rssMiB = (process.memoryUsage().rss - rssBefore) / MiB
const anonAfter = rssAnon()
const rssAnonMiB = anonBefore === null || anonAfter === null ? null : (anonAfter - anonBefore) / MiB
const { directIO, alignment } = logger.getStatsSnapshot()
await logger.close()
rmSync(path, { force: true })
console.log(
  JSON.stringify({ scenario: 'creation', api, format, ms, readyMs, rssMiB, rssAnonMiB, directIO, alignment }),
)

// One winston benchmark scenario in a fresh process (no scenario inherits another's heap, JIT
// state or open files). Prints one JSON line with its figures.
//
//   node winston-scenario.mjs <asyncdirect|file|discard> <burst|paced> <dir> <lines>
//
// discard is winston with a transport that throws every entry away: winston's own cost, the
// floor under both real transports.
// burst: every entry logged in one synchronous loop; paced: 100 entries per event-loop turn
// (setImmediate between turns), as a busy server logs. Timed from the first log call until the
// logger's 'finish' (every transport finished: for AsyncDirectTransport, everything durable).
// Main-thread time is the event loop's active (non-idle) time over the same span.
import { once } from 'node:events'
import { openSync, readSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { AsyncDirectTransport } from '@asyncdirect/winston'
import winston from 'winston'
import { entryMeta, MESSAGE_TEXT } from './winston-entry.mjs'

const PER_TURN = 100
const [kind, mode, dir, linesArg] = process.argv.slice(2)
const lines = Number(linesArg)
const filename = join(dir, `winston-${kind}-${mode}.log`)
rmSync(filename, { force: true })

class DiscardTransport extends winston.Transport {
  log(info, callback) {
    this.emit('logged', info)
    callback()
  }
}

const transport =
  kind === 'asyncdirect'
    ? new AsyncDirectTransport({ filename })
    : kind === 'file'
      ? new winston.transports.File({ filename })
      : new DiscardTransport()
const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
// Every kind starts with its file open.
if (kind === 'asyncdirect') await transport.ready()
else if (kind === 'file') await once(transport, 'open')

function burst() {
  for (let i = 0; i < lines; i++) logger.info(MESSAGE_TEXT, entryMeta(i))
}

function paced() {
  return new Promise((resolve) => {
    let i = 0
    const turn = () => {
      const end = Math.min(i + PER_TURN, lines)
      for (; i < end; i++) logger.info(MESSAGE_TEXT, entryMeta(i))
      if (i < lines) setImmediate(turn)
      else resolve()
    }
    turn()
  })
}

const elu0 = performance.eventLoopUtilization()
const start = performance.now()
if (mode === 'burst') burst()
else await paced()
const callsDone = performance.now()
const finished = once(logger, 'finish')
logger.end()
await finished
const end = performance.now()
const elu = performance.eventLoopUtilization(elu0)

const bytes = kind === 'discard' ? 0 : statSync(filename).size
const written = kind === 'discard' ? 0 : countLines(filename)
rmSync(filename, { force: true })
console.log(
  JSON.stringify({
    kind,
    mode,
    lines,
    written,
    bytes,
    ms: end - start,
    callMs: callsDone - start,
    mainMs: elu.active,
    directIO: kind === 'asyncdirect' ? transport.stats.directIO : false,
  }),
)

function countLines(path) {
  const fd = openSync(path, 'r')
  const buf = Buffer.allocUnsafe(1 << 20)
  let n = 0
  for (let pos = 0; ; ) {
    const got = readSync(fd, buf, 0, buf.length, pos)
    if (got === 0) break
    for (let i = buf.indexOf(10, 0); i !== -1 && i < got; i = buf.indexOf(10, i + 1)) n++
    pos += got
  }
  return n
}

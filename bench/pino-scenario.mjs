// One pino benchmark scenario in a fresh process (no scenario inherits another's heap, JIT state
// or threads). Prints one JSON line with its figures.
//
//   node pino-scenario.mjs <sink> <burst|paced> <dir> <lines>
//
// Time runs from the first log call until the sink says everything is written (its 'close', or
// for the no-op floor the end of the calls). `callMs` is the time the event loop spent inside log
// calls: all of it for a burst, the sum of the batches for paced.
import { once } from 'node:events'
import { rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { destination } from '@asyncdirect/pino'
import pino from 'pino'
import { PINO_FIELDS, PINO_MESSAGE, PINO_OPTIONS } from './pino-entry.mjs'

const [sink, mode, dir, linesArg] = process.argv.slice(2)
const lines = Number(linesArg)
const path = join(dir, `${sink}-${mode}.log`)
rmSync(path, { force: true })
/** Paced: this many lines, then a turn of the event loop (as a server handling requests). */
const BATCH = 1000

const options = PINO_OPTIONS
const fields = PINO_FIELDS

/** Each sink: the stream to hand pino, and how to wait until everything is written. */
const sinks = {
  noop: () => ({ stream: { write() {} }, done: async () => {} }),
  // The least any sink that keeps the bytes must do: encode pino's string into memory (a 64 MiB
  // ring, no I/O, no bookkeeping).
  memcopy: () => {
    const ring = Buffer.allocUnsafe(64 << 20)
    let at = 0
    const write = (s) => {
      if (at + 3 * s.length > ring.length) at = 0
      at += ring.utf8Write(s, at)
    }
    return { stream: { write }, done: async () => {} }
  },
  // The least a sink that batches must do (as the asyncdirect destination does): join each
  // turn's lines into one rope, flatten and encode it once per 16 Ki characters.
  'memcopy-batched': () => {
    const ring = Buffer.allocUnsafe(64 << 20)
    let at = 0
    let text = ''
    const encode = () => {
      if (at + 3 * text.length > ring.length) at = 0
      at += ring.utf8Write(text, at)
      text = ''
    }
    const write = (s) => {
      text += s
      if (text.length >= 16384) encode()
    }
    return { stream: { write }, done: async () => encode() }
  },
  'asyncdirect-destination': async () => {
    const stream = destination({ dest: path })
    await once(stream, 'ready')
    return { stream, done: () => endAndClose(stream) }
  },
  'asyncdirect-transport': () => transport('@asyncdirect/pino'),
  'pino-destination-sync': () => {
    const stream = pino.destination({ dest: path, sync: true })
    return { stream, done: () => endAndClose(stream) }
  },
  'pino-destination-async': async () => {
    const stream = pino.destination({ dest: path, sync: false, minLength: 4096 })
    await once(stream, 'ready')
    return { stream, done: () => endAndClose(stream) }
  },
  'pino-file-transport': () => transport('pino/file'),
}

async function transport(target) {
  const stream = pino.transport({ target, options: { destination: path } })
  await once(stream, 'ready')
  // A transport's worker is unref'd after 'ready': keep the process alive until it closes.
  stream.ref()
  return { stream, done: () => endAndClose(stream) }
}

async function endAndClose(stream) {
  const closed = once(stream, 'close')
  stream.end()
  await closed
}

const { stream, done } = await sinks[sink]()
const logger = pino(options, stream)
const message = PINO_MESSAGE

let callMs = 0
const start = performance.now()
if (mode === 'burst') {
  for (let i = 0; i < lines; i++) logger.info(fields, message)
  callMs = performance.now() - start
} else {
  for (let i = 0; i < lines; i += BATCH) {
    const t = performance.now()
    for (let j = 0; j < BATCH; j++) logger.info(fields, message)
    callMs += performance.now() - t
    await new Promise(setImmediate)
  }
}
await done()
const ms = performance.now() - start
let bytes = 0
try {
  bytes = statSync(path).size
} catch {}
rmSync(path, { force: true })
console.log(JSON.stringify({ sink, mode, lines, ms, callMs, bytes }))

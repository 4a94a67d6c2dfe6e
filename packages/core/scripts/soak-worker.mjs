// Worker of soak.mjs: logs `w<id> <seq> <padding>` at a steady `perSecond` until told to stop, and
// reports how many entries were accepted. Once a second it collects its garbage and publishes its
// heap, live and total, in `heaps` (see soak.mjs).
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parentPort, workerData } from 'node:worker_threads'
import { attach } from '../dist/index.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc')
const { handle, id, stop, perSecond, heaps } = workerData
const writer = await attach(handle)
const nap = new Int32Array(new SharedArrayBuffer(4))
const started = performance.now()
let seq = 0
let accepted = 0
let published = 0
while (Atomics.load(stop, 0) === 0) {
  // Paced: the soak is about a steady state over time, not about overload.
  const due = ((performance.now() - started) / 1000) * perSecond
  for (; seq < due; seq++) if (writer.log(`w${id} ${seq} ${'x'.repeat(seq % 53)}`)) accepted++
  Atomics.wait(nap, 0, 0, 5)
  if (performance.now() - published >= 1000) {
    published = performance.now()
    gc()
    const h = getHeapStatistics()
    heaps[2 * id] = h.used_heap_size
    heaps[2 * id + 1] = h.total_heap_size
  }
}
parentPort.postMessage({ id, accepted })

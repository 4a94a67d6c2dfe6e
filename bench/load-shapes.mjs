// How a scenario calls its sink. Each shape returns the time the event loop spent inside log
// calls (ms): all of a burst, the sum of the batches otherwise. The paced shapes call `warm()`
// once a tenth of the lines is logged: the event-loop delay is a steady-state figure, and the
// first turns of a fresh process are spent compiling (JIT), which a service pays once at start.
//
// - burst: one tight loop, as a batch job logs; the event loop is blocked until it ends.
// - paced: PER_TURN calls, then a turn of the event loop (setImmediate), as a busy server logs
//   between requests; as fast as the sink allows.
// - rate: paced, but held to a fixed rate of lines per second, as a service under a steady load
//   is: batches of at most PER_TURN while behind schedule, a 1 ms timer while ahead. This is the
//   shape the event-loop delay target is about: what a sink does to a loop that has time to spare.
import { setTimeout as sleep } from 'node:timers/promises'

export const PER_TURN = 100
export const RATE_PER_SECOND = 500_000

const turn = () => new Promise(setImmediate)

function burst(logOne, lines) {
  const start = performance.now()
  for (let i = 0; i < lines; i++) logOne(i)
  return performance.now() - start
}

/** Lines after which the process counts as warm. */
const warmAfter = (lines) => Math.floor(lines / 10)

async function paced(logOne, lines, warm) {
  let callMs = 0
  const warmAt = warmAfter(lines)
  let warmed = false
  for (let i = 0; i < lines; ) {
    if (!warmed && i >= warmAt) {
      warmed = true
      warm()
    }
    const end = Math.min(i + PER_TURN, lines)
    const t = performance.now()
    for (; i < end; i++) logOne(i)
    callMs += performance.now() - t
    await turn()
  }
  return callMs
}

async function atRate(logOne, lines, warm) {
  let callMs = 0
  const warmAt = warmAfter(lines)
  let warmed = false
  const start = performance.now()
  for (let i = 0; i < lines; ) {
    if (!warmed && i >= warmAt) {
      warmed = true
      warm()
    }
    const due = Math.min(lines, Math.floor(((performance.now() - start) * RATE_PER_SECOND) / 1000))
    if (due <= i) {
      await sleep(1)
      continue
    }
    const end = Math.min(i + PER_TURN, due)
    const t = performance.now()
    for (; i < end; i++) logOne(i)
    callMs += performance.now() - t
    await turn()
  }
  return callMs
}

export const loadShapes = { burst, paced, rate: atRate }

// What `pnpm bench` runs and compares: every scenario (a sink and a load shape, or a thread
// count), the peer each asyncdirect scenario is measured against, and the targets of issue #7.
// Ratios are of throughput (lines/s), subject over peer, computed round by round.

/** Sinks of scenario.mjs: name, family and how they are labelled in the report. */
export const SINKS = {
  'core-logBytes-framed': { family: 'asyncdirect', label: 'core logBytes (framed)' },
  'core-logBytes-lines': { family: 'asyncdirect', label: 'core logBytes (lines)' },
  'core-log-framed': { family: 'asyncdirect', label: 'core log (framed)' },
  'core-log-lines': { family: 'asyncdirect', label: 'core log (lines)' },
  'pino-asyncdirect-destination': { family: 'asyncdirect', label: 'pino → asyncdirect destination()' },
  'pino-asyncdirect-transport': { family: 'asyncdirect', label: 'pino → asyncdirect transport' },
  'winston-asyncdirect': { family: 'asyncdirect', label: 'winston → AsyncDirectTransport' },
  'sonic-boom': { family: 'peer', label: 'sonic-boom (async)' },
  'sonic-boom-sync': { family: 'peer', label: 'sonic-boom (sync)' },
  'pino-destination-sync': { family: 'peer', label: 'pino → pino.destination() sync' },
  'pino-destination-async': { family: 'peer', label: 'pino → pino.destination() async' },
  'pino-file-transport': { family: 'peer', label: "pino → transport 'pino/file'" },
  'winston-file': { family: 'peer', label: 'winston → File' },
  'pino-noop': { family: 'floor', label: 'pino → no-op stream (floor)' },
  'pino-memory-batched': { family: 'floor', label: 'pino → memory, batched (ceiling of a sink)' },
  'winston-noop': { family: 'floor', label: 'winston → discard (floor)' },
}

/** The rate shape runs where the event-loop delay matters and the sink can keep up with it. */
const RATE_SINKS = [
  'core-logBytes-framed',
  'core-log-lines',
  'pino-asyncdirect-destination',
  'pino-asyncdirect-transport',
  'sonic-boom',
  'pino-destination-sync',
  'pino-file-transport',
  'pino-noop',
]

export const THREAD_KINDS = {
  'core-logBytes': { family: 'asyncdirect', label: 'core logBytes, one logger' },
  'pino-asyncdirect': { family: 'asyncdirect', label: 'pino per thread → one asyncdirect logger' },
  'pino-destination': { family: 'peer', label: 'pino.destination() per thread, one file' },
}
export const THREAD_COUNTS = [1, 2, 4, 8, 32]

export const RAW_DIRECT = 'raw-direct'

/** Every scenario of one round, in the order a round runs them. */
export function scenarios() {
  const single = ['burst', 'paced'].flatMap((shape) =>
    Object.keys(SINKS).map((sink) => ({ key: `${sink}/${shape}`, script: 'scenario.mjs', sink, shape })),
  )
  const rate = RATE_SINKS.map((sink) => ({
    key: `${sink}/rate`,
    script: 'scenario.mjs',
    sink,
    shape: 'rate',
  }))
  const threads = THREAD_COUNTS.flatMap((n) =>
    Object.keys(THREAD_KINDS).map((sink) => ({
      key: `${sink}/threads-${n}`,
      script: 'thread-scenario.mjs',
      sink,
      shape: `threads-${n}`,
      threads: n,
    })),
  )
  const raw = { key: `${RAW_DIRECT}/burst`, script: 'raw-direct.mjs', sink: RAW_DIRECT, shape: 'burst' }
  return [...single, ...rate, ...threads, raw]
}

export function familyOf(sink) {
  if (sink === RAW_DIRECT) return 'ceiling'
  return (SINKS[sink] ?? THREAD_KINDS[sink]).family
}

export function labelOf(sink) {
  if (sink === RAW_DIRECT) return 'native O_DIRECT write loop (ceiling)'
  return (SINKS[sink] ?? THREAD_KINDS[sink]).label
}

const each = (shapes, subject, peer) =>
  shapes.map((shape) => ({ subject: `${subject}/${shape}`, peer: `${peer}/${shape}` }))
const BOTH = ['burst', 'paced']

/** Subject/peer pairs whose throughput ratio the report gives, round by round. */
export const COMPARISONS = [
  ...['core-logBytes-framed', 'core-logBytes-lines', 'core-log-framed', 'core-log-lines'].flatMap((core) => [
    ...each(BOTH, core, 'sonic-boom'),
    ...each(BOTH, core, 'sonic-boom-sync'),
    { subject: `${core}/burst`, peer: `${RAW_DIRECT}/burst` },
  ]),
  ...each(BOTH, 'pino-asyncdirect-destination', 'pino-noop'),
  ...each(BOTH, 'pino-asyncdirect-destination', 'pino-memory-batched'),
  ...each(BOTH, 'pino-asyncdirect-destination', 'pino-destination-sync'),
  ...each(BOTH, 'pino-asyncdirect-destination', 'pino-destination-async'),
  ...each(BOTH, 'pino-asyncdirect-transport', 'pino-file-transport'),
  ...each(BOTH, 'pino-asyncdirect-transport', 'pino-noop'),
  ...each(BOTH, 'winston-asyncdirect', 'winston-file'),
  ...each(BOTH, 'winston-asyncdirect', 'winston-noop'),
  ...THREAD_COUNTS.flatMap((n) => [
    ...['core-logBytes', 'pino-asyncdirect'].map((kind) => ({
      subject: `${kind}/threads-${n}`,
      peer: `pino-destination/threads-${n}`,
    })),
    ...(n === 1
      ? []
      : Object.keys(THREAD_KINDS).map((kind) => ({
          subject: `${kind}/threads-${n}`,
          peer: `${kind}/threads-1`,
        }))),
  ]),
]

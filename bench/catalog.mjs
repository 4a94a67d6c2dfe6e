// What `pnpm bench` runs and compares: every scenario (a sink and a load shape, a thread count,
// or the creation of a logger), the peer each asyncdirect scenario is measured against, and the
// disk's own ceiling, measured in the same run, that every asyncdirect scenario is a share of.
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

/** Creating a logger with the defaults (creation-scenario.mjs): one sink per API, one shape per format. */
export const CREATION_APIS = {
  createLogger: 'createLogger() resolves',
  openLogger: 'openLogger() returns (event loop blocked)',
}
export const FORMATS = ['framed', 'lines']

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
  const creation = Object.keys(CREATION_APIS).flatMap((api) =>
    FORMATS.map((format) => ({
      key: `${api}/${format}`,
      script: 'creation-scenario.mjs',
      sink: api,
      shape: format,
    })),
  )
  return [...single, ...rate, ...threads, raw, ...creation]
}

export function familyOf(sink) {
  if (sink === RAW_DIRECT) return 'ceiling'
  if (CREATION_APIS[sink]) return 'creation'
  return (SINKS[sink] ?? THREAD_KINDS[sink]).family
}

export function labelOf(sink) {
  if (sink === RAW_DIRECT) return 'disk ceiling: native loop of 8 MiB O_DIRECT+O_DSYNC writes'
  if (CREATION_APIS[sink]) return CREATION_APIS[sink]
  return (SINKS[sink] ?? THREAD_KINDS[sink]).label
}

const each = (shapes, subject, peer) =>
  shapes.map((shape) => ({ subject: `${subject}/${shape}`, peer: `${peer}/${shape}` }))
const BOTH = ['burst', 'paced']

/** Subject/peer pairs whose throughput ratio the report gives, round by round. */
const CEILING = `${RAW_DIRECT}/burst`

/**
 * Every asyncdirect scenario that runs as fast as it can, as a share of the disk's ceiling
 * (the rate shape is held to a fixed rate, so its share says nothing).
 */
export const CEILING_SHARES = [
  ...Object.entries(SINKS)
    .filter(([, s]) => s.family === 'asyncdirect')
    .flatMap(([sink]) => BOTH.map((shape) => ({ subject: `${sink}/${shape}`, peer: CEILING }))),
  ...Object.entries(THREAD_KINDS)
    .filter(([, k]) => k.family === 'asyncdirect')
    .flatMap(([kind]) => THREAD_COUNTS.map((n) => ({ subject: `${kind}/threads-${n}`, peer: CEILING }))),
]

export const COMPARISONS = [
  ...CEILING_SHARES,
  ...['core-logBytes-framed', 'core-logBytes-lines', 'core-log-framed', 'core-log-lines'].flatMap((core) => [
    ...each(BOTH, core, 'sonic-boom'),
    ...each(BOTH, core, 'sonic-boom-sync'),
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

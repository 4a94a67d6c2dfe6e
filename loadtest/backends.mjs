// The logging backends the load test compares: each is a service (fastify logs through pino,
// express through winston) writing its log file one way. `family` colours the chart;
// `metrics` says whether the service's /metrics can show the logger's own statistics.
export const BACKENDS = {
  'pino-destination': {
    framework: 'fastify',
    family: 'peer',
    label: 'fastify + pino.destination()',
  },
  'pino-file-transport': {
    framework: 'fastify',
    family: 'peer',
    label: "fastify + pino transport 'pino/file'",
  },
  'asyncdirect-destination': {
    framework: 'fastify',
    family: 'asyncdirect',
    label: 'fastify + asyncdirect destination()',
    metrics: true,
  },
  'asyncdirect-transport': {
    framework: 'fastify',
    family: 'asyncdirect',
    label: 'fastify + asyncdirect transport',
  },
  'winston-file': {
    framework: 'express',
    family: 'peer',
    label: 'express + winston File',
  },
  'winston-asyncdirect': {
    framework: 'express',
    family: 'asyncdirect',
    label: 'express + AsyncDirectTransport',
    metrics: true,
  },
}

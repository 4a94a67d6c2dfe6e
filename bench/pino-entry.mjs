// The pino benchmark entry: what every pino scenario logs, so every sink gets the same bytes: a
// 171-byte line, the size of the core benchmark's. Constant base and time keep the lines identical
// from run to run (a real timestamp would change their length and cost a clock read per line).
export const PINO_OPTIONS = {
  base: { pid: 4242, hostname: 'bench' },
  timestamp: () => ',"time":1764053000000',
}
export const PINO_FIELDS = { reqId: '0f8e2a1b7c3d', method: 'GET', url: '/api/items', status: 200, ms: 12 }
export const PINO_MESSAGE = 'request completed ok'

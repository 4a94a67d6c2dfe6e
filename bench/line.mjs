// The benchmark line: 171 bytes, a typical structured log entry (the seed's measurements use the same size).
export const LINE_BYTES = 171
const base =
  '{"level":30,"time":1764053000000,"pid":4242,"hostname":"bench","reqId":"0f8e2a","msg":"request completed","method":"GET","url":"/api/items","status":200,"ms":12}'

export function lineString() {
  return `${base}${'x'.repeat(LINE_BYTES - 1 - base.length)}\n`
}

export function line() {
  return Buffer.from(lineString())
}

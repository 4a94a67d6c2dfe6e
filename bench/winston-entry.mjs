// The benchmark entry: winston's json() output of one request log, 171 bytes with its newline
// on average (the size the core benchmark and the seed's measurements use).
export const MESSAGE_TEXT = 'request completed'
const PAD = 'x'.repeat(30)

/** Metadata of entry `i`: a sequence number and the usual request fields. */
export function entryMeta(i) {
  return { reqId: '0f8e2a', method: 'GET', url: '/api/items', status: 200, ms: 12, seq: i, pad: PAD }
}

import { readFileSync } from 'node:fs'

/**
 * The entries of a framed file the engine wrote, decoded from the format description alone
 * (not with the package's reader, which the tests check against it). Strict: blocks at 512-byte
 * multiples stepped by capacity, all-zero headers passed over, zero padding, nothing after the
 * last block; anything else throws with its offset.
 */
export function decodeFramedBuffers(path: string): Buffer[] {
  const buf = readFileSync(path)
  const out: Buffer[] = []
  let off = 0
  while (off + 8 <= buf.length) {
    const capacity = buf.readUInt32LE(off)
    const valid = buf.readUInt32LE(off + 4)
    if (capacity === 0 && valid === 0) {
      off += 512
      continue
    }
    if (capacity % 512 !== 0 || 8 + valid > capacity || off + capacity > buf.length) {
      throw new Error(`bad block header at ${off}: capacity ${capacity}, validBytes ${valid}`)
    }
    let p = off + 8
    const end = p + valid
    while (p < end) {
      const len = buf.readUInt32LE(p)
      if (p + 4 + len > end) throw new Error(`entry at ${p} overruns its block`)
      out.push(Buffer.from(buf.subarray(p + 4, p + 4 + len)))
      p += 4 + len
    }
    for (let z = end; z < off + capacity; z++) {
      if (buf[z] !== 0) throw new Error(`non-zero padding at ${z}`)
    }
    off += capacity
  }
  if (off < buf.length && buf.subarray(off).some((b) => b !== 0)) throw new Error(`trailing bytes at ${off}`)
  return out
}

/** {@link decodeFramedBuffers}, each entry as text. */
export function decodeFramed(path: string, encoding: BufferEncoding = 'utf8'): string[] {
  return decodeFramedBuffers(path).map((e) => e.toString(encoding))
}

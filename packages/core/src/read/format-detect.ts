/**
 * Tells a framed file from a lines file by its bytes, never by its name.
 *
 * Why text can never look like a framed header: a framed file starts with a block header whose
 * `capacity` (u32 little-endian) is a non-zero multiple of 512, so its low 9 bits are zero and its
 * first byte, the lowest byte of the little-endian number, is 0x00. A text line never contains a NUL
 * byte (UTF-8 encodes only U+0000 as 0x00, which JSON escapes as \u0000), so the first 8 bytes of a
 * lines file can never pass for a plausible header. The one ambiguity is a file that starts with
 * zeros: a framed file may (a zero-filled hole where a crash lost a block), so a framed header is
 * also looked for at the 512-byte boundaries after the zeros, as the framed reader would step.
 */

import { BLOCK_HEADER_SIZE, MIN_BLOCK_ALIGNMENT } from '../format/framed.js'
import { type ChunkedFile, openChunked } from './chunked-file.js'
import { isPlausibleHeader } from './framed-reader.js'

/** What {@link detectFormat} found: a framed file, a lines (NDJSON) file, or an empty file. */
export type LogFileFormat = 'framed' | 'lines' | 'empty'

/**
 * How far a leading run of all-zero headers is followed before giving up on finding a framed
 * header after it: one read window. A zero-filled hole longer than this at the very start of a
 * framed file is not expected from any writer.
 */
export const DETECT_PROBE_BYTES = 1024 * 1024

/**
 * Detects the format of the first bytes of a file (pass at least the first 8 bytes; pass more, up to
 * {@link DETECT_PROBE_BYTES}, to see past a leading zero-filled hole).
 *
 * @returns `'empty'` for no bytes; `'framed'` when the first non-zero 8-byte header at a 512-byte
 *   boundary is a plausible block header (capacity a non-zero multiple of 512, 8 + validBytes <=
 *   capacity); otherwise `'lines'`, including for bytes that are all zero (NULs are then reported
 *   by the lines reader, which is what a zero-filled file deserves).
 */
export function detectFormatFromBytes(bytes: Uint8Array): LogFileFormat {
  if (bytes.length === 0) return 'empty'
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  for (let offset = 0; offset + BLOCK_HEADER_SIZE <= bytes.length; offset += MIN_BLOCK_ALIGNMENT) {
    const capacity = view.getUint32(offset, true)
    const validBytes = view.getUint32(offset + 4, true)
    if (capacity === 0 && validBytes === 0) continue
    return isPlausibleHeader(capacity, validBytes) ? 'framed' : 'lines'
  }
  return 'lines'
}

/** Detects the format of an opened file from its first bytes (at most {@link DETECT_PROBE_BYTES}). */
export async function detectFileFormat(file: ChunkedFile): Promise<LogFileFormat> {
  if (file.size === 0) return 'empty'
  return detectFormatFromBytes(await file.view(0, Math.min(file.size, DETECT_PROBE_BYTES)))
}

/**
 * Detects the format of a log file from its content: give it the file's path, or its first bytes
 * (then the answer is {@link detectFormatFromBytes}'s).
 *
 * @throws An error naming the path (with the errno `code`, e.g. `ENOENT`) if it cannot be read.
 */
export async function detectFormat(source: string | Uint8Array): Promise<LogFileFormat> {
  if (typeof source !== 'string') return detectFormatFromBytes(source)
  const file = await openChunked(source)
  try {
    return await detectFileFormat(file)
  } finally {
    await file.close()
  }
}

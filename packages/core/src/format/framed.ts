/**
 * The framed file format: length-prefixed entries in aligned blocks, for entries of any bytes
 * (newlines included).
 *
 * ```
 * block  := header entry* zero-padding-to-alignment
 * header := capacity:u32le validBytes:u32le
 * entry  := length:u32le bytes[length]
 * ```
 *
 * Every block starts at an offset that is a multiple of the writer's alignment: at least 4096
 * (log-file.ts), though files written by earlier versions have blocks at any 512 multiple, so
 * readers step by 512. `capacity` is the block's whole size on disk, header and padding included, so a reader
 * may step from block to block by `capacity`; `validBytes` counts the entry bytes after the
 * header. Padding is always zero, so a reader that instead skips to the next 512-byte boundary
 * after the valid bytes, passing over all-zero headers (a reader that ignores `capacity`), reads
 * the same entries.
 */

/** Bytes of a block header: capacity and validBytes, both u32 little-endian. */
export const BLOCK_HEADER_SIZE = 8

/** Bytes of an entry's length prefix (u32 little-endian). */
export const ENTRY_PREFIX_SIZE = 4

/**
 * A record in shard memory is a framed entry, and the top byte of its length word tells how far
 * its writer got (writer/entry-writer.ts): LENGTH_PENDING while the length itself is being
 * stored, then the length's top byte with IN_PROGRESS set while the bytes are copied, then the
 * plain top byte once finished. A record is shorter than a shard (at most 512 MiB), so its top byte
 * is below 0x20 and neither mark can be taken for it. Never in a file: a flush writes finished
 * records only (flusher/late-records.ts).
 */
export const LENGTH_PENDING = 0xff
export const IN_PROGRESS = 0x80

/** The smallest alignment any framed file uses; every block offset is a multiple of it. */
export const MIN_BLOCK_ALIGNMENT = 512

/** Rounds `n` up to a multiple of `alignment` (a power of two). */
export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment
}

/** Writes a block header at `offset` of `target`. */
export function writeBlockHeader(
  target: Uint8Array,
  offset: number,
  capacity: number,
  validBytes: number,
): void {
  const view = new DataView(target.buffer, target.byteOffset + offset, BLOCK_HEADER_SIZE)
  view.setUint32(0, capacity, true)
  view.setUint32(4, validBytes, true)
}

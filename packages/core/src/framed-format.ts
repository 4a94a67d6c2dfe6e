/**
 * The framed file format (the seed's format).
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
 * after the valid bytes, passing over all-zero headers (the seed's way), reads the same entries.
 */

/** Bytes of a block header: capacity and validBytes, both u32 little-endian. */
export const BLOCK_HEADER_SIZE = 8

/** Bytes of an entry's length prefix (u32 little-endian). */
export const ENTRY_PREFIX_SIZE = 4

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

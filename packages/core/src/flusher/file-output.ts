/**
 * What a flush hands to the file format: runs of finished records, and how the format writes
 * them. The records in shard memory are `length:u32le bytes[length]`, the framed format's
 * entries; a format turns them into what its files hold.
 */

/** Records of one shard to write, in order. */
export interface Piece {
  readonly set: number
  readonly shard: number
  /**
   * Every record of the shard, [8, end): the framed format writes the shard in place (its first
   * 8 bytes are kept free for the block header).
   */
  readonly whole: boolean
  /** [start, end) offset pairs of finished records in the shard. */
  readonly runs: readonly number[]
  /** Bytes of records in the runs. */
  readonly bytes: number
}

/** A file format's writer. Used only by the holder of the I/O lock. */
export interface FileOutput {
  /**
   * Writes the pieces after what is already in the file. All or nothing as far as the logger's
   * state goes: on failure (already reported) nothing is recorded, and writing the same pieces
   * again writes the same bytes at the same offset.
   */
  write(pieces: readonly Piece[]): boolean
  /** Writes one entry too large for any shard. */
  writeEntry(bytes: Uint8Array): boolean
  /**
   * Makes what was written durable where the writes themselves were not (with `dsync`): called
   * where a flush promises durability (flush(), the interval, close, exit). False on failure.
   */
  sync(): boolean
}

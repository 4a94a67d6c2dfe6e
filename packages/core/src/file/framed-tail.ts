import { closeSync, fdatasyncSync, openSync, readSync, writeSync } from 'node:fs'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, MIN_BLOCK_ALIGNMENT } from '../format/framed.js'

const WINDOW = 64 * 1024

/** What reopening an existing framed file found at its end. */
export interface FramedTail {
  /** Where the first new block goes. */
  appendOffset: number
  /** Set when the last block was torn (a crash mid-write) and has been repaired. */
  repaired: { offset: number; keptEntries: number; droppedBytes: number } | null
}

/**
 * Prepares an existing framed file for appending.
 *
 * Normally the first new block goes at the end of the file rounded up to the alignment. A crash
 * can leave the last block torn: its header claims a capacity that runs past the end of the file.
 * Readers step from a header by its capacity, so new blocks must start after the claimed end; and
 * the hole between the end of the file and there reads as zeros, which inside the torn block's
 * `validBytes` would decode as empty entries. So the torn block is repaired first: `validBytes`
 * cut back to its last complete entry, and the bytes of the partial entry after it zeroed, which
 * makes it an ordinary block whose padding happens to be longer.
 *
 * An implausible header stops the walk: readers resynchronise at the next plausible header after
 * damage, and the blocks we append are plausible.
 */
export function prepareFramedTail(path: string, fileSize: number, alignment: number): FramedTail {
  let size = fileSize
  let fd: number
  try {
    fd = openSync(path, 'r+')
  } catch {
    // Not readable (a write-only file): the file's end is the best we know.
    return { appendOffset: alignUp(size, alignment), repaired: null }
  }
  try {
    const { last, partialHeaderAt } = walkBlocks(fd, size)
    if (partialHeaderAt >= 0) {
      // A crash cut the file inside a block header: a reader would take the stray bytes for a
      // header. Zero them; they held no entry.
      zeroRange(fd, partialHeaderAt, size)
      size = partialHeaderAt
    }
    if (!last || last.offset + last.capacity <= size) {
      return {
        appendOffset: alignUp(Math.max(size, last ? last.offset + last.capacity : 0), alignment),
        repaired: null,
      }
    }
    const repaired = repairTornBlock(fd, last.offset, last.valid, size)
    return { appendOffset: alignUp(last.offset + last.capacity, alignment), repaired }
  } finally {
    closeSync(fd)
  }
}

/**
 * The last plausible block of the header chain (null if none), and where a header cut short by
 * the end of the file begins (-1 if none).
 */
function walkBlocks(
  fd: number,
  size: number,
): { last: { offset: number; capacity: number; valid: number } | null; partialHeaderAt: number } {
  const window = Buffer.allocUnsafe(WINDOW)
  let windowStart = 0
  let windowLength = 0
  let last: { offset: number; capacity: number; valid: number } | null = null
  let pos = 0
  let partialHeaderAt = -1
  while (pos < size) {
    if (pos + BLOCK_HEADER_SIZE > size) {
      partialHeaderAt = pos
      break
    }
    if (pos < windowStart || pos + BLOCK_HEADER_SIZE > windowStart + windowLength) {
      windowLength = readSync(fd, window, 0, Math.min(WINDOW, size - pos), pos)
      windowStart = pos
      if (windowLength < BLOCK_HEADER_SIZE) break
    }
    const capacity = window.readUInt32LE(pos - windowStart)
    const valid = window.readUInt32LE(pos - windowStart + 4)
    if (capacity === 0 && valid === 0) {
      pos += MIN_BLOCK_ALIGNMENT
      continue
    }
    if (capacity % MIN_BLOCK_ALIGNMENT !== 0 || BLOCK_HEADER_SIZE + valid > capacity) break
    last = { offset: pos, capacity, valid }
    pos += capacity
  }
  return { last, partialHeaderAt }
}

function zeroRange(fd: number, from: number, to: number): void {
  if (to <= from) return
  const zeros = Buffer.alloc(Math.min(to - from, WINDOW))
  for (let at = from; at < to; at += zeros.length)
    writeSync(fd, zeros, 0, Math.min(zeros.length, to - at), at)
  fdatasyncSync(fd)
}

function repairTornBlock(
  fd: number,
  offset: number,
  valid: number,
  size: number,
): { offset: number; keptEntries: number; droppedBytes: number } {
  const body = offset + BLOCK_HEADER_SIZE
  const limit = Math.min(body + valid, size)
  const prefix = Buffer.alloc(ENTRY_PREFIX_SIZE)
  let pos = body
  let kept = 0
  while (pos + ENTRY_PREFIX_SIZE <= limit) {
    readSync(fd, prefix, 0, ENTRY_PREFIX_SIZE, pos)
    const end = pos + ENTRY_PREFIX_SIZE + prefix.readUInt32LE(0)
    if (end > limit) break
    pos = end
    kept++
  }
  const header = Buffer.alloc(BLOCK_HEADER_SIZE)
  const capacityBytes = Buffer.alloc(4)
  readSync(fd, capacityBytes, 0, 4, offset)
  header.set(capacityBytes, 0)
  header.writeUInt32LE(pos - body, 4)
  writeSync(fd, header, 0, BLOCK_HEADER_SIZE, offset)
  // Durable (zeroRange syncs) before any new block lands after the claimed end, or a second
  // crash could undo the repair.
  zeroRange(fd, pos, size)
  const dropped = size - pos
  return { offset, keptEntries: kept, droppedBytes: dropped }
}

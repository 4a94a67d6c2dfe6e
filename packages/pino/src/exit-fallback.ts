import { closeSync, constants, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs'
import { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, type LoggerConfig } from '@asyncdirect/core'

const NEWLINE = 0x0a
/** Framed blocks written here start and end on this boundary: a multiple of every direct-I/O
 * alignment a file can ask for (512 or 4096), so the core's next blocks stay aligned. */
const BLOCK_ALIGNMENT = 4096

/**
 * Writes the lines that were waiting for a reopened logger when the process exits before it
 * opened. The new logger can only open once the old one has closed (the path stays locked until
 * then), and nothing of it exists yet to write them; the old one's exit hook has written its own
 * entries by the time this runs (see AsyncDirectDestination.reopen). So they are appended here,
 * synchronously, in the file's format, as the core would have written them: for `'lines'`, each
 * line with its newline; for `'framed'`, one block at the next aligned offset.
 */
export function writeAtExit(config: LoggerConfig, entries: readonly string[]): void {
  // After a rotation the path is free: the new logger would have created the file.
  const fd = openSync(config.path, constants.O_RDWR | constants.O_CREAT, config.mode ?? 0o640)
  try {
    const size = fstatSync(fd).size
    if (config.format === 'framed') {
      const block = framedBlock(entries)
      writeSync(fd, block, 0, block.length, alignUp(size, BLOCK_ALIGNMENT))
    } else {
      const text = linesText(entries, size > 0 && lastByte(fd, size) !== NEWLINE)
      writeSync(fd, text, size, 'utf8')
    }
    if (config.dsync !== false) fdatasyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/** The entries as the lines format stores them: each with a newline unless it ends with one. */
function linesText(entries: readonly string[], terminatePrevious: boolean): string {
  let text = terminatePrevious ? '\n' : ''
  for (const e of entries) text += e.endsWith('\n') ? e : `${e}\n`
  return text
}

/** One framed block: `capacity:u32le validBytes:u32le (length:u32le bytes)*`, zero padded. */
function framedBlock(entries: readonly string[]): Buffer {
  let valid = 0
  for (const e of entries) valid += ENTRY_PREFIX_SIZE + Buffer.byteLength(e)
  const capacity = alignUp(BLOCK_HEADER_SIZE + valid, BLOCK_ALIGNMENT)
  const block = Buffer.alloc(capacity)
  block.writeUInt32LE(capacity, 0)
  block.writeUInt32LE(valid, 4)
  let at = BLOCK_HEADER_SIZE
  for (const e of entries) {
    const length = block.write(e, at + ENTRY_PREFIX_SIZE)
    block.writeUInt32LE(length, at)
    at += ENTRY_PREFIX_SIZE + length
  }
  return block
}

function lastByte(fd: number, size: number): number {
  const one = Buffer.alloc(1)
  readSync(fd, one, 0, 1, size - 1)
  return one[0]!
}

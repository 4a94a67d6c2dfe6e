import { closeSync, openSync, readSync } from 'node:fs'

/** Where a logger reopening a lines file goes on, and the bytes of its partial last block. */
export interface LinesTail {
  /** The start of the file's last partial block (a multiple of the alignment). */
  blockOffset: number
  /** The file's bytes from `blockOffset` to its end, plus a newline if the file lacked one. */
  tail: Buffer
  /** True when the file did not end with a newline (a line cut short, or not ours). */
  terminated: boolean
}

/**
 * Reads the partial last block of an existing lines file: the next flush rewrites that block
 * with O_DIRECT (the same bytes plus new ones), so it must start from exactly what is there.
 * A file that does not end with a newline (a crash during the buffered tail write, or a file
 * another program wrote) gets one first, so the next entry starts on a line of its own and no
 * byte already in the file is lost.
 */
export function prepareLinesTail(path: string, size: number, alignment: number): LinesTail {
  const blockOffset = size - (size % alignment)
  const length = size - blockOffset
  const fd = openSync(path, 'r')
  try {
    const tail = Buffer.alloc(length + 1)
    let got = 0
    while (got < length) {
      const n = readSync(fd, tail, got, length - got, blockOffset + got)
      if (n === 0) break
      got += n
    }
    let last = got > 0 ? tail[got - 1] : undefined
    if (got === 0 && size > 0) {
      const one = Buffer.alloc(1)
      readSync(fd, one, 0, 1, size - 1)
      last = one[0]
    }
    const terminated = size > 0 && last !== 0x0a
    if (terminated) tail[got++] = 0x0a
    return { blockOffset, tail: tail.subarray(0, got), terminated }
  } finally {
    closeSync(fd)
  }
}

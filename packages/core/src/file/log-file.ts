import { randomBytes } from 'node:crypto'
import { closeSync, constants, fstatSync, ftruncateSync, openSync, realpathSync, unlinkSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import type { ResolvedConfig } from '../config.js'
import { Errno, FileLockedError, IoError } from '../errors.js'
import { MIN_BLOCK_ALIGNMENT } from '../format/framed.js'
import type { NextFileOptions } from '../shared/flush-context.js'
import { type NativeLibrary, OPEN_CREATE, OPEN_DIRECT, OPEN_DSYNC } from '../shared/native-library.js'
import { type FramedTail, prepareFramedTail } from './framed-tail.js'
import { prepareLinesTail } from './lines-tail.js'
import { flockHolder, holder } from './lock-holder.js'
import { createParentDirectories, explainCreateFailure } from './parent-directories.js'
import { refuseNonRegularFd, refuseNonRegularPath } from './regular-file.js'

/** An open, locked log file and how it will be written. */
export interface OpenLogFile {
  /** Absolute path (symlinks in the directory part resolved). */
  readonly path: string
  /** Descriptor blocks are written to. */
  readonly fd: number
  /** Descriptors to close at the end (the locked one included). */
  readonly fds: number[]
  readonly direct: boolean
  /** Every block offset and length is a multiple of this. */
  readonly alignment: number
  /** Memory alignment O_DIRECT needs for buffers. */
  readonly memAlignment: number
  /**
   * Framed: where the next block goes (the end of the file, or of a torn last block, aligned).
   * Lines: the start of the partial last block, which the next flush rewrites.
   */
  readonly appendOffset: number
  /** Lines: the bytes of the partial last block (a newline added if the file lacked one). */
  readonly linesTail: Buffer | null
  /** Framed: set when the previous writer crashed mid-block and that block was repaired. */
  readonly repairedTail: FramedTail['repaired']
  /** Lines: the file did not end with a newline; one was added. */
  readonly terminatedTail: boolean
  /** A descriptor without O_DIRECT (lines format's partial block), -1 when none was needed. */
  readonly bufferedFd: number
  /** Why O_DIRECT is not used, when it was asked for and is not. */
  readonly fallbackReason: string | null
}

/** Files this process has open, so a second open fails clearly even without flock. */
const openInProcess = new Set<string>()

/**
 * Opens (creating if needed, never truncating) and locks the log file, and decides between
 * O_DIRECT and buffered I/O. An open that takes O_DIRECT is not proof the file system honours it,
 * so a probe file in the same directory gets one aligned direct write first.
 */
export function openLogFile(
  config: ResolvedConfig,
  lib: NativeLibrary | null,
  choose: (base: string) => string = (base) => base,
): OpenLogFile {
  const requested = resolve(config.path)
  if (config.mkdir) createParentDirectories(dirname(requested))
  const base = canonical(requested)
  // Keyed by the configured path: a rotated series is one logger's, whichever file it is on.
  if (openInProcess.has(base)) throw new FileLockedError(base, holder(process.pid))
  const path = choose(base)
  const opened = lib ? openNative(config, lib, path, true) : openBuffered(config, path)
  openInProcess.add(base)
  return opened
}

/** The configured path, absolute, with symlinks in its directory resolved (as the registry keys it). */
export function basePathOf(config: ResolvedConfig): string {
  return canonical(resolve(config.path))
}

/**
 * Opens and locks another file for a running logger (the next of a rotated series, or the same
 * path again after an external rotation), from whichever thread holds the I/O lock. The directory
 * and its file system are the ones already probed, so there is no probe: `directIO` is whether
 * writes go direct now (false after a fallback).
 */
export function openNextLogFile(
  options: NextFileOptions,
  lib: NativeLibrary | null,
  path: string,
  heldLockFd: number,
): OpenLogFile {
  const config = { ...options, mkdir: false } as ResolvedConfig
  return lib ? openNative(config, lib, path, false, heldLockFd) : openBuffered(config, path)
}

/**
 * Closes a log file's descriptors (a descriptor may be listed twice, under two roles). With the
 * native library every one was opened by it, and is closed by it: Node tracks the descriptors
 * node:fs opens per thread (in a worker, to close them when it exits), and a descriptor opened
 * in one thread is often closed in another here (rotation happens in the flusher thread).
 */
export function closeDescriptors(fds: readonly number[], lib: NativeLibrary | null): void {
  for (const fd of new Set(fds)) {
    if (fd < 0) continue
    try {
      if (lib) lib.close(fd)
      else closeSync(fd)
    } catch {
      // Closed already.
    }
  }
}

/** Another descriptor of the file, without O_DIRECT, through the native library. */
export function nativeOpen(lib: NativeLibrary, path: string, flags: number): number {
  const fd = lib.open(path, flags, 0)
  if (fd < 0) throw IoError.fromErrno(fd, 'open', path)
  return fd
}

/** Closes a file that was opened but will not be used. */
export function releaseLogFile(file: OpenLogFile, lib: NativeLibrary | null, base: string): void {
  closeDescriptors(file.fds, lib)
  openInProcess.delete(base)
}

/** Forgets the in-process lock of the logger whose configured path is `base`. */
export function forgetLogFile(base: string): void {
  openInProcess.delete(base)
}

function canonical(path: string): string {
  try {
    return join(realpathSync(dirname(path)), basename(path))
  } catch (err) {
    throw missingDirectory(err, path)
  }
}

function missingDirectory(err: unknown, path: string): Error {
  const e = IoError.fromNode(err, 'open', path)
  e.message += explainCreateFailure(e.code, path)
  return e
}

/**
 * `heldLockFd`: a descriptor this logger already holds the lock through (-1 at start). When `path`
 * is still the file it locks (a reopen() with nothing renamed, or of a rotated series' current
 * file), that lock is kept rather than taken again: flock locks belong to an open file
 * description, so a second open of the same file could never take it, and letting it go first
 * would let another process take the file between the two.
 */
function openNative(
  config: ResolvedConfig,
  lib: NativeLibrary,
  path: string,
  probe: boolean,
  heldLockFd = -1,
): OpenLogFile {
  const base = OPEN_CREATE | (config.dsync ? OPEN_DSYNC : 0)
  refuseNonRegularPath(path)
  let fallbackReason: string | null = null
  let fd = -1
  if (config.directIO) {
    fd = lib.open(path, base | OPEN_DIRECT, config.mode)
    if (fd === -Errno.EINVAL) fallbackReason = 'the file system refused O_DIRECT at open (EINVAL)'
    else if (fd < 0) throw openError(fd, path)
  } else {
    fallbackReason = null
  }
  if (fd < 0) {
    fd = lib.open(path, base, config.mode)
    if (fd < 0) throw openError(fd, path)
  }
  try {
    refuseNonRegularFd(fd, path)
  } catch (err) {
    lib.close(fd)
    throw err
  }
  const keepsLock = heldLockFd >= 0 && sameFile(fd, heldLockFd)
  const locked = keepsLock ? 0 : lib.flockExclusive(fd)
  if (locked < 0) {
    // EAGAIN (EWOULDBLOCK): the lock is held; flock is asked not to wait.
    const lockedBy = locked === -Errno.EAGAIN ? flockHolder(fd) : null
    lib.close(fd)
    if (locked === -Errno.EAGAIN) throw new FileLockedError(path, lockedBy)
    throw IoError.fromErrno(locked, 'flock', path)
  }
  // Whatever fails from here (a reopen() or a rotation meets it in a running logger) must not
  // leave a descriptor open, least of all the locked one: it would lock the path until exit.
  // The held lock's descriptor is not this open's to close.
  const fds = [fd]
  try {
    // Locked above: only now is the file this logger's to empty.
    if (config.truncate && !keepsLock) ftruncateSync(fd, 0)
    const align = new Uint32Array(3)
    const r = lib.dioAlign(fd, align)
    const alignment = blockAlignment(r === 0 ? align[1]! : 4096, fstatSync(fd).blksize)
    const memAlignment = r === 0 ? Math.max(align[0]!, MIN_BLOCK_ALIGNMENT) : 4096
    let direct = config.directIO && fallbackReason === null && lib.isDirect(fd) === 1
    if (direct && probe) {
      const failed = probeDirectWrite(lib, path, alignment, memAlignment)
      if (failed) {
        direct = false
        fallbackReason = failed
      }
    }
    let writeFd = fd
    if (config.directIO && !direct) {
      // Buffered writes go through node:fs on a descriptor of their own, without O_DIRECT;
      // the locked descriptor stays open to hold the lock.
      writeFd = nativeOpen(lib, path, config.dsync ? OPEN_DSYNC : 0)
      fds.push(writeFd)
    }
    let bufferedFd = direct ? -1 : writeFd
    if (direct && config.format === 'lines') {
      // Without O_DSYNC: the partial block is rewritten by the next flush anyway, so it is made
      // durable with one fdatasync where a flush must be durable (lines-output.ts), not per write.
      bufferedFd = nativeOpen(lib, path, 0)
      fds.push(bufferedFd)
    }
    const size = lib.fileSize(fd)
    if (size < 0) throw IoError.fromErrno(size, 'statx', path)
    return {
      path,
      fd: writeFd,
      // The locked descriptor first: it is the one the control block keeps as LOCK_FD.
      fds: keepsLock ? [heldLockFd, ...fds] : fds,
      direct,
      alignment,
      memAlignment,
      bufferedFd,
      ...prepareTail(config, path, size, alignment),
      fallbackReason: config.directIO ? fallbackReason : null,
    }
  } catch (err) {
    closeDescriptors(fds, lib)
    throw err
  }
}

/**
 * File system block sizes above this are preferred I/O sizes (network and cluster file systems),
 * not a unit a write must start on: they would pad every framed block to megabytes.
 */
const MAX_FS_BLOCK_ALIGNMENT = 64 * 1024

/**
 * The alignment blocks are cut and written at: the largest of the direct-I/O offset alignment,
 * the file system block size and 4096. ext4 reports 512 for direct I/O but takes a direct write
 * that starts inside one of its 4096-byte blocks on a sub-block path about 10× slower.
 */
export function blockAlignment(dioOffsetAlign: number, fsBlockSize: number): number {
  const fsBlock =
    fsBlockSize > 0 && fsBlockSize <= MAX_FS_BLOCK_ALIGNMENT && (fsBlockSize & (fsBlockSize - 1)) === 0
      ? fsBlockSize
      : 0
  return Math.max(dioOffsetAlign, fsBlock, 4096)
}

/** Where the file ends, per format (framed-tail.ts, lines-tail.ts). */
function prepareTail(
  config: ResolvedConfig,
  path: string,
  size: number,
  alignment: number,
): Pick<OpenLogFile, 'appendOffset' | 'linesTail' | 'repairedTail' | 'terminatedTail'> {
  if (config.format === 'lines') {
    const t = prepareLinesTail(path, size, alignment)
    return {
      appendOffset: t.blockOffset,
      linesTail: t.tail,
      repairedTail: null,
      terminatedTail: t.terminated,
    }
  }
  const t = prepareFramedTail(path, size, alignment)
  return { appendOffset: t.appendOffset, linesTail: null, repairedTail: t.repaired, terminatedTail: false }
}

function openError(result: number, path: string): IoError {
  const e = IoError.fromErrno(result, 'open', path)
  e.message += explainCreateFailure(e.code, path)
  return e
}

/** One aligned O_DIRECT write to a scratch file next to the log; the reason it failed, or null. */
function probeDirectWrite(
  lib: NativeLibrary,
  path: string,
  alignment: number,
  memAlignment: number,
): string | null {
  const probePath = join(dirname(path), `.asyncdirect-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  const fd = lib.open(probePath, OPEN_CREATE | OPEN_DIRECT, 0o600)
  if (fd < 0) return null // Cannot create files here (read-only dir?): let the real writes tell.
  const size = Math.max(alignment, 4096)
  const addr = lib.allocAligned(Math.max(memAlignment, 4096), size)
  try {
    const r = lib.writeBlocks(fd, new BigUint64Array([BigInt(addr), BigInt(size)]), 1, 0)
    // Only EINVAL says O_DIRECT is refused (as at write time, output-io.ts). A full disk, a quota
    // or an I/O error fails buffered writes too, and is reported when the real writes meet it:
    // falling back for good on a disk that is merely full for now would give up O_DIRECT forever.
    return r === -Errno.EINVAL
      ? `the file system refused an O_DIRECT write (${IoError.fromErrno(r, 'pwritev', probePath).code})`
      : null
  } finally {
    lib.free(addr)
    lib.close(fd)
    try {
      unlinkSync(probePath)
    } catch {
      // Already gone: nothing to clean.
    }
  }
}

/** True when two descriptors are open on the same file. */
function sameFile(a: number, b: number): boolean {
  try {
    const x = fstatSync(a)
    const y = fstatSync(b)
    return x.ino === y.ino && x.dev === y.dev
  } catch {
    return false
  }
}

function openBuffered(config: ResolvedConfig, path: string): OpenLogFile {
  refuseNonRegularPath(path)
  let fd: number
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_CREAT | (config.dsync ? constants.O_DSYNC : 0),
      config.mode,
    )
  } catch (err) {
    throw missingDirectory(err, path)
  }
  const alignment = 4096
  try {
    refuseNonRegularFd(fd, path)
    // Without the native library there is no lock; the in-process registry was checked.
    if (config.truncate) ftruncateSync(fd, 0)
    return {
      path,
      fd,
      fds: [fd],
      direct: false,
      alignment,
      memAlignment: alignment,
      bufferedFd: fd,
      ...prepareTail(config, path, fstatSync(fd).size, alignment),
      fallbackReason: null,
    }
  } catch (err) {
    closeSync(fd)
    throw err
  }
}

import { existsSync, lstatSync, renameSync, statSync, symlinkSync, unlinkSync } from 'node:fs'
import { basename } from 'node:path'
import { type ResolvedRotation, rotates } from '../config.js'
import { IoError } from '../errors.js'
import {
  formatStamp,
  listSeries,
  periodStart,
  type StampUnit,
  seriesPath,
  stampUnit,
} from '../format/series.js'
import {
  BUFFERED_FD,
  type ControlBlock,
  DIRECT_IO,
  F_FILE_OFFSET,
  F_FILE_STAMP,
  F_NEXT_ROTATE_AT,
  F_ROTATE_RETRY_AT,
  F_ROTATION_ERRORS,
  F_ROTATIONS,
  FILE_FD,
  FILE_SEQ,
  LOCK_FD,
  TAIL_LEN,
  wallClock,
} from '../shared/control-block.js'
import { type FlushContext, type RotateReason, recordFailure } from '../shared/flush-context.js'
import { closeDescriptors, type OpenLogFile, openNextLogFile } from './log-file.js'

/** After a failed rotation, the next attempt waits this long (ms): the disk may need a moment. */
const RETRY_AFTER_MS = 10_000

/** The file a logger with rotation opens first: the newest of its series, or a new one. */
export interface SeriesChoice {
  path: string
  stampMs: number
  seq: number
}

/**
 * Picks the file to open at start: the newest file of the series when it belongs to the current
 * period and has room left, else the next one. `now` is the wall clock.
 */
export function chooseSeriesFile(base: string, rotation: ResolvedRotation, now: number): SeriesChoice {
  const unit = stampUnit(rotation.interval)
  const stampMs = periodStart(now, rotation.interval)
  const stamp = formatStamp(stampMs, unit)
  const newest = listSeries(base).at(-1)
  if (newest && newest.stamp === stamp) {
    if (rotation.size === 0 || sizeOf(newest.path) < rotation.size)
      return { path: newest.path, stampMs, seq: newest.seq }
    return freshSeriesFile(base, stamp, stampMs, newest.seq + 1)
  }
  return freshSeriesFile(base, stamp, stampMs, 1)
}

function freshSeriesFile(base: string, stamp: string, stampMs: number, from: number): SeriesChoice {
  let seq = from
  while (existsSync(seriesPath(base, stamp, seq))) seq++
  return { path: seriesPath(base, stamp, seq), stampMs, seq }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

/** The path of the file a logger writes now, from its control block. */
export function currentFilePath(ctl: ControlBlock, base: string, rotation: ResolvedRotation): string {
  const seq = Atomics.load(ctl.i32, FILE_SEQ)
  if (seq === 0) return base
  return seriesPath(base, formatStamp(ctl.f64[F_FILE_STAMP]!, stampUnit(rotation.interval)), seq)
}

/**
 * Moves a logger from one file to the next: the next file of a rotated series, or the same path
 * opened again (`reopen()`, after an external rotation renamed the file away). Used only by the
 * holder of the I/O lock, between writes, once what the current file must hold is in it: so no
 * entry is split, duplicated or lost across the move, whichever thread logged it.
 *
 * The move itself is: open and lock the new file, publish its descriptors, offset and name in the
 * control block (every thread's next write goes there), close the old descriptors. A failure
 * before the publication changes nothing: the current file stays, the error is reported, and no
 * rotation is tried again for a while. Symlink and retention come after, and their failures are
 * reported without undoing the move.
 */
export class FileRotation {
  private readonly unit: StampUnit
  private readonly rotation: ResolvedRotation
  /** True when the configured path is a series (size or interval set). */
  readonly enabled: boolean

  constructor(private readonly cx: FlushContext) {
    this.rotation = cx.rotate
    this.unit = stampUnit(this.rotation.interval)
    this.enabled = rotates(this.rotation)
  }

  /** Largest size the current file may reach: `rotate.size`, or Infinity (none, or backing off). */
  sizeLimit(): number {
    if (this.rotation.size === 0 || this.backingOff()) return Number.POSITIVE_INFINITY
    return this.rotation.size
  }

  /** True when an interval boundary has passed since the current file was opened. */
  intervalDue(): boolean {
    const next = this.cx.ctl.f64[F_NEXT_ROTATE_AT]!
    return next > 0 && wallClock(this.cx.ctl) >= next && !this.backingOff()
  }

  /** Moves to the next file of the series. False (reported) if it could not: the current file stays. */
  next(reason: RotateReason): boolean {
    const { ctl } = this.cx
    const now = wallClock(ctl)
    const stampMs = periodStart(now, this.rotation.interval)
    const stamp = formatStamp(stampMs, this.unit)
    const sameStamp = ctl.f64[F_FILE_STAMP] === stampMs && Atomics.load(ctl.i32, FILE_SEQ) > 0
    const choice = freshSeriesFile(
      this.cx.basePath,
      stamp,
      stampMs,
      sameStamp ? Atomics.load(ctl.i32, FILE_SEQ) + 1 : 1,
    )
    if (!this.moveTo(choice.path, choice.stampMs, choice.seq, reason)) return false
    ctl.f64[F_NEXT_ROTATE_AT] = this.rotation.interval > 0 ? stampMs + this.rotation.interval : 0
    this.tidy(now)
    return true
  }

  /** Opens the current path again (it may be a new, empty file, or the same one). */
  reopen(): boolean {
    const { ctl } = this.cx
    return this.moveTo(this.cx.path, ctl.f64[F_FILE_STAMP]!, Atomics.load(ctl.i32, FILE_SEQ), 'reopen')
  }

  /** Symlink and retention, as after a rotation: for the file opened at start. */
  tidy(now = wallClock(this.cx.ctl)): void {
    if (!this.enabled) return
    if (this.rotation.symlink) this.link()
    if (this.rotation.maxFiles > 0 || this.rotation.maxAge > 0) this.prune(now)
  }

  private moveTo(path: string, stampMs: number, seq: number, reason: RotateReason): boolean {
    const { ctl, lib } = this.cx
    const { i32, f64 } = ctl
    const from = this.cx.path
    let file: OpenLogFile
    try {
      file = openNextLogFile(
        { ...this.cx.fileOptions, directIO: Atomics.load(i32, DIRECT_IO) === 1 },
        lib,
        path,
        Atomics.load(i32, LOCK_FD),
      )
    } catch (err) {
      this.failed(err, 'open', path)
      return false
    }
    const old = [Atomics.load(i32, LOCK_FD), Atomics.load(i32, FILE_FD), Atomics.load(i32, BUFFERED_FD)]
    Atomics.store(i32, LOCK_FD, file.fds[0]!)
    Atomics.store(i32, FILE_FD, file.fd)
    Atomics.store(i32, BUFFERED_FD, file.bufferedFd)
    Atomics.store(i32, DIRECT_IO, file.direct ? 1 : 0)
    f64[F_FILE_STAMP] = stampMs
    Atomics.store(i32, FILE_SEQ, seq)
    f64[F_FILE_OFFSET] = file.appendOffset
    const tail = file.linesTail
    if (tail && this.cx.staging) this.cx.staging.view.set(tail, 0)
    Atomics.store(i32, TAIL_LEN, tail ? tail.length : 0)
    // A reopen of the same file keeps its locked descriptor (log-file.ts): that one stays open.
    closeDescriptors(
      old.filter((fd) => !file.fds.includes(fd)),
      lib,
    )
    f64[F_ROTATIONS]! += 1
    f64[F_ROTATE_RETRY_AT] = 0
    this.cx.report({ type: 'rotate', from, to: this.cx.path, reason })
    return true
  }

  /** Points the configured path at the current file, atomically (a new link renamed over it). */
  private link(): void {
    const base = this.cx.basePath
    try {
      const existing = lstatSync(base, { throwIfNoEntry: false })
      if (existing && !existing.isSymbolicLink()) {
        throw new IoError('EEXIST', 'symlink', base, 'a regular file, not replaced by a symlink')
      }
      const temp = `${base}.${process.pid}.link`
      try {
        unlinkSync(temp)
      } catch {
        // Not left over from an earlier attempt.
      }
      symlinkSync(basename(this.cx.path), temp)
      renameSync(temp, base)
    } catch (err) {
      this.reportOnly(err, 'symlink', base)
    }
  }

  /** Deletes the oldest files beyond maxFiles and those last written before maxAge. */
  private prune(now: number): void {
    const current = this.cx.path
    const files = listSeries(this.cx.basePath).filter((f) => f.path !== current)
    const { maxFiles, maxAge } = this.rotation
    const excess = maxFiles > 0 ? files.length + 1 - maxFiles : 0
    files.forEach((f, i) => {
      try {
        if (i < excess || (maxAge > 0 && statSync(f.path).mtimeMs < now - maxAge)) unlinkSync(f.path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.reportOnly(err, 'unlink', f.path)
      }
    })
  }

  private backingOff(): boolean {
    return wallClock(this.cx.ctl) < this.cx.ctl.f64[F_ROTATE_RETRY_AT]!
  }

  private failed(err: unknown, syscall: string, path: string): void {
    this.cx.ctl.f64[F_ROTATE_RETRY_AT] = wallClock(this.cx.ctl) + RETRY_AFTER_MS
    this.reportOnly(err, syscall, path)
  }

  private reportOnly(err: unknown, syscall: string, path: string): void {
    recordFailure(
      this.cx,
      F_ROTATION_ERRORS,
      err instanceof IoError ? err : IoError.fromNode(err, syscall, path),
    )
  }
}

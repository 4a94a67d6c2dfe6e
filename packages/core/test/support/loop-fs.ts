import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll } from 'vitest'

// Real, small ext4 file systems on loop devices, for the tests of what a logger does when the
// disk fills up or fails. Creating them needs root and loop devices: tests that use them skip,
// saying why, where those are not available (containers without /dev/loop*, non-root users).

/** A mounted ext4 image. */
export interface LoopFs {
  /** The mount point: create log files here. */
  readonly dir: string
  /** The backing image file. */
  readonly image: string
  /** The loop device, e.g. /dev/loop3. */
  readonly device: string
  /** The file system's ext4 sysfs directory (trigger_fs_error lives there). */
  readonly sysfs: string
}

const mounted: LoopFs[] = []

// Whatever a test did or failed to do, nothing stays mounted or attached after its file.
afterAll(() => {
  for (const fs of mounted.splice(0).reverse()) destroyLoopFs(fs)
})

function run(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 })
}

/**
 * Formats a `sizeMiB` image (no reserved blocks, so that root fills it like anyone) and mounts it
 * through a loop device with `options` (e.g. `errors=remount-ro`). Unmounted after the test file.
 */
export function mountLoopFs(sizeMiB: number, options: string[] = []): LoopFs {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'asyncdirect-loopfs-')))
  const image = join(base, 'fs.img')
  const dir = join(base, 'mnt')
  mkdirSync(dir)
  // Sparse: costs the host disk only what the test writes.
  writeFileSync(image, '')
  run('truncate', ['-s', `${sizeMiB}M`, image])
  run('mkfs.ext4', ['-F', '-q', '-m', '0', '-E', 'nodiscard', image])
  const device = run('losetup', ['--find', '--show', image]).trim()
  const fs: LoopFs = { dir, image, device, sysfs: `/sys/fs/ext4/${basename(device)}` }
  mounted.push(fs)
  try {
    run('mount', ['-t', 'ext4', ...(options.length > 0 ? ['-o', options.join(',')] : []), device, dir])
  } catch (err) {
    destroyLoopFs(fs)
    mounted.splice(mounted.indexOf(fs), 1)
    throw err
  }
  return fs
}

/** Unmounts (lazily if a file is still open), detaches the device and removes the image. */
export function destroyLoopFs(fs: LoopFs): void {
  const attempts: Array<[string, string[]]> = [
    ['umount', [fs.dir]],
    ['umount', ['-l', fs.dir]],
  ]
  for (const [command, args] of attempts) {
    try {
      run(command, args)
      break
    } catch {
      // Busy (a test failed with a logger open) or not mounted: the lazy unmount is next.
    }
  }
  try {
    run('losetup', ['-d', fs.device])
  } catch {
    // Already detached (autoclear after the unmount).
  }
  rmSync(join(fs.dir, '..'), { recursive: true, force: true })
  const i = mounted.indexOf(fs)
  if (i >= 0) mounted.splice(i, 1)
}

/** Bytes an unprivileged writer could still allocate on the file system holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir)
  return s.bavail * s.bsize
}

/**
 * Fills the file system of `fs` with a ballast file until `leave` bytes are free (rounded down to
 * the file system's block size); returns the ballast's path. Deleting it frees the space.
 */
export function fillUp(fs: LoopFs, leave: number, name = 'ballast'): string {
  const path = join(fs.dir, name)
  const take = freeBytes(fs.dir) - leave
  if (take > 0) run('fallocate', ['-l', String(take), path])
  else writeFileSync(path, '')
  return path
}

let probed: string | null | undefined

/**
 * Why loop-mounted file systems cannot be used here, or null when they can: root, the tools, and
 * one real mount of a tiny image (a container may have the tools and still refuse the mount).
 */
export function loopFsUnavailable(): string | null {
  if (probed !== undefined) return probed
  probed = probe()
  return probed
}

function probe(): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'needs root to attach loop devices and mount file systems'
  for (const tool of ['truncate', 'mkfs.ext4', 'losetup', 'mount', 'umount', 'fallocate']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return `needs ${tool}, which is not installed`
    }
  }
  try {
    destroyLoopFs(mountLoopFs(8))
    return null
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    return `cannot loop-mount an ext4 image here (${(e.stderr || e.message).trim().split('\n')[0]})`
  }
}

/**
 * Says loudly, once per test file, that privileged cases are skipped and why: a skipped test must
 * not pass for a tested guarantee unnoticed.
 */
export function announceSkip(file: string, reason: string): void {
  console.warn(`\n[${file}] SKIPPING the loop-device cases: ${reason}.\n`)
}

import { readFileSync, realpathSync, statfsSync } from 'node:fs'

/** What `asyncdirect doctor` says of the file system holding a directory. */
export interface FileSystemInfo {
  /** The name from /proc/mounts (ext4, xfs, tmpfs, ...), else the statfs magic's, else 'unknown'. */
  type: string
  /** statfs f_type, e.g. 0xef53 for ext2/3/4. */
  magic: number
  /** statfs f_bsize: the file system's block size. */
  blockSize: number
  /** The mount point and device from /proc/mounts; null where it cannot be read. */
  mountPoint: string | null
  device: string | null
}

/** statfs magic numbers (linux/magic.h) of the file systems a log is likely to live on. */
const MAGIC_NAMES: ReadonlyMap<number, string> = new Map([
  [0xef53, 'ext2/ext3/ext4'],
  [0x58465342, 'xfs'],
  [0x9123683e, 'btrfs'],
  [0x01021994, 'tmpfs'],
  [0x858458f6, 'ramfs'],
  [0x794c7630, 'overlayfs'],
  [0x6969, 'nfs'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x2fc12fc1, 'zfs'],
  [0xf2f52010, 'f2fs'],
  [0x65735546, 'fuse'],
  [0x01021997, '9p'],
  [0x4d44, 'vfat'],
  [0x5346544e, 'ntfs'],
  [0xca451a4e, 'bcachefs'],
])

/** The file system holding `dir`: statfs for the magic and block size, /proc/mounts for the name. */
export function fileSystemOf(dir: string): FileSystemInfo {
  const st = statfsSync(dir)
  const mount = mountOf(realpathSync(dir))
  return {
    type: mount?.type ?? MAGIC_NAMES.get(st.type) ?? 'unknown',
    magic: st.type,
    blockSize: st.bsize,
    mountPoint: mount?.mountPoint ?? null,
    device: mount?.device ?? null,
  }
}

/** The /proc/mounts entry with the longest mount point that contains `path`. */
function mountOf(path: string): { device: string; mountPoint: string; type: string } | null {
  let text: string
  try {
    text = readFileSync('/proc/mounts', 'utf8')
  } catch {
    return null
  }
  let best: { device: string; mountPoint: string; type: string } | null = null
  for (const line of text.split('\n')) {
    const [device, rawMount, type] = line.split(' ')
    if (!device || !rawMount || !type) continue
    // /proc/mounts escapes spaces, tabs, newlines and backslashes as octal.
    const mountPoint = rawMount.replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(Number.parseInt(o, 8)),
    )
    const inside = mountPoint === '/' || path === mountPoint || path.startsWith(`${mountPoint}/`)
    // A later entry for the same mount point is mounted over the earlier one.
    if (inside && (!best || mountPoint.length >= best.mountPoint.length)) best = { device, mountPoint, type }
  }
  return best
}

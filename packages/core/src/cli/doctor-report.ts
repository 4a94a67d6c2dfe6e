import { randomBytes } from 'node:crypto'
import { rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { IoError } from '../errors.js'
import { type FileSystemInfo, fileSystemOf } from '../file/file-system-type.js'
import { refuseUnsafeLibrary } from '../shared/library-safety.js'
import {
  type LibraryOrigin,
  libraryCandidates,
  loadNative,
  type NativeFailureCode,
  type NativeLibrary,
  OPEN_CREATE,
  OPEN_DIRECT,
  prebuiltTargets,
  present,
} from '../shared/native-library.js'
import { type LibC, runningLibC } from '../shared/native-target.js'

/** The oldest Node.js the package supports (package.json `engines`). */
const MIN_NODE: readonly [number, number] = [20, 10]

/** What `asyncdirect doctor` found (the shape of its `--json` output). */
export interface DoctorReport {
  node: { version: string; supported: boolean; platform: string; arch: string; libc: LibC | null }
  library: {
    /** linux-<arch>-<libc>: the prebuilds/ folder that would match this process. */
    target: string | null
    loaded: boolean
    path: string | null
    origin: LibraryOrigin | null
    abiVersion: number | null
    /** Why none was loaded. */
    code: NativeFailureCode | null
    reason: string | null
    /** The places a library is looked for, in order, and what was found there. */
    candidates: { path: string; origin: LibraryOrigin; present: boolean; refused: string | null }[]
    prebuiltTargets: string[]
  }
  directory: {
    path: string
    fileSystem: FileSystemInfo | null
    /** true: an O_DIRECT write worked; false: refused; null: not tried (see `reason`). */
    directIO: boolean | null
    memoryAlignment: number | null
    offsetAlignment: number | null
    /** Where the alignment came from: the kernel (statx STATX_DIOALIGN) or the device's block size. */
    alignmentSource: 'statx' | 'block device' | null
    reason: string | null
  }
  /** Whether a logger writing in the directory would use O_DIRECT. */
  directIO: boolean
  /** What to do about each thing that is not right; empty when all is. */
  advice: string[]
}

/** Examines the runtime, the native library and `dir` (which must exist) as a logger would. */
export function diagnose(dir: string): DoctorReport {
  const path = resolve(dir)
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  const supported = major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])
  const linux = process.platform === 'linux'
  const libc = linux ? runningLibC() : null
  const target = linux ? `linux-${process.arch}-${libc}` : null
  const native = loadNative()
  const lib = native.ok ? native.lib : null
  const candidates = (target ? libraryCandidates(target) : []).map((c) => {
    const here = present(c.path)
    return { ...c, present: here, refused: here ? (refuseUnsafeLibrary(c.path)?.message ?? null) : null }
  })
  const directory = probeDirectory(path, lib)
  const report: DoctorReport = {
    node: { version: process.version, supported, platform: process.platform, arch: process.arch, libc },
    library: {
      target,
      loaded: native.ok,
      path: lib?.path ?? (native.ok ? null : native.path),
      origin: lib?.origin ?? null,
      abiVersion: lib?.abiVersion ?? null,
      code: native.ok ? null : native.code,
      reason: native.ok ? null : native.reason,
      candidates,
      prebuiltTargets: prebuiltTargets(),
    },
    directory,
    directIO: lib !== null && directory.directIO === true,
    advice: [],
  }
  report.advice = adviceFor(report)
  return report
}

function probeDirectory(path: string, lib: NativeLibrary | null): DoctorReport['directory'] {
  const result: DoctorReport['directory'] = {
    path,
    fileSystem: fileSystemOf(path),
    directIO: null,
    memoryAlignment: null,
    offsetAlignment: null,
    alignmentSource: null,
    reason: null,
  }
  if (!lib) {
    result.reason = 'not tried: no native library (O_DIRECT needs it)'
    return result
  }
  // The same test the logger makes when it opens a file: open with O_DIRECT, write one block.
  const probe = join(path, `.asyncdirect-doctor-${process.pid}-${randomBytes(4).toString('hex')}`)
  const fd = lib.open(probe, OPEN_CREATE | OPEN_DIRECT, 0o600)
  if (fd === -22) {
    result.directIO = false
    result.reason = 'the file system refused O_DIRECT at open (EINVAL)'
    return result
  }
  if (fd < 0) {
    result.reason = `not tried: cannot create a file in ${path} (${IoError.fromErrno(fd, 'open', probe).code})`
    return result
  }
  let addr = 0
  try {
    const align = new Uint32Array(3)
    if (lib.dioAlign(fd, align) === 0) {
      result.memoryAlignment = align[0]!
      result.offsetAlignment = align[1]!
      result.alignmentSource = align[2] === 1 ? 'statx' : 'block device'
    }
    const size = Math.max(result.offsetAlignment ?? 0, 4096)
    addr = lib.allocAligned(Math.max(result.memoryAlignment ?? 0, 4096), size)
    const written = lib.writeBlocks(fd, new BigUint64Array([BigInt(addr), BigInt(size)]), 1, 0)
    if (written === size) {
      result.directIO = lib.isDirect(fd) === 1
      if (!result.directIO) result.reason = 'the file system dropped O_DIRECT from the descriptor'
    } else if (written === -22) {
      result.directIO = false
      result.reason = 'the file system refused an O_DIRECT write (EINVAL)'
    } else
      result.reason = `not decided: the test write failed (${IoError.fromErrno(written, 'pwritev', probe).code})`
  } finally {
    if (addr) lib.free(addr)
    lib.close(fd)
    rmSync(probe, { force: true })
  }
  return result
}

function adviceFor(r: DoctorReport): string[] {
  const advice: string[] = []
  if (!r.node.supported)
    advice.push(
      `Node.js ${r.node.version} is older than ${MIN_NODE.join('.')}, the oldest supported: upgrade Node.js.`,
    )
  const { library: lib, directory: dir } = r
  switch (lib.code) {
    case 'ASYNCDIRECT_NATIVE_DISABLED':
      advice.push('ASYNCDIRECT_NATIVE=0 is set in the environment: unset it to write with O_DIRECT.')
      break
    case 'ASYNCDIRECT_NATIVE_UNSUPPORTED':
      advice.push('O_DIRECT writing needs Linux; on this platform the logger writes with buffered I/O.')
      break
    case 'ASYNCDIRECT_NATIVE_MISSING':
      advice.push(
        `No prebuilt library ships for ${lib.target} (prebuilt: ${lib.prebuiltTargets.join(', ') || 'none'}). ` +
          'Install a C compiler (cc) and run `npm rebuild @asyncdirect/core`: its install step compiles ' +
          'native/build/libasyncdirect.so inside the package.',
      )
      break
    case 'ASYNCDIRECT_NATIVE_UNSAFE':
      advice.push(
        `${lib.reason}. A library is loaded only when it and its directory are owned by root or by the ` +
          'user running Node.js and writable by no one else: `chown root` and `chmod go-w` both, or reinstall the package.',
      )
      break
    case 'ASYNCDIRECT_NATIVE_LOAD_FAILED':
      advice.push(
        `${lib.reason}. Reinstall @asyncdirect/core; with a C compiler on PATH, \`npm rebuild @asyncdirect/core\` ` +
          'compiles a library for this machine.',
      )
      break
    case null:
      break
  }
  if (dir.directIO === false) {
    const fs = dir.fileSystem
    advice.push(
      `${fs ? `${fs.type}${fs.mountPoint ? ` (mounted on ${fs.mountPoint})` : ''}` : 'This file system'} does not ` +
        'take O_DIRECT writes, so a logger here writes with buffered I/O: put the log on ext4, xfs or btrfs ' +
        '(tmpfs takes O_DIRECT from Linux 6.6; overlay, network and FUSE file systems often do not).',
    )
  } else if (dir.directIO === null && lib.loaded) {
    advice.push(`O_DIRECT could not be tested in ${dir.path}: ${dir.reason}.`)
  }
  return advice
}

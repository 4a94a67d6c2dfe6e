import { lstatSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { NativeError } from '../errors.js'
import { refuseUnsafeLibrary, type UnsafeCheck } from './library-safety.js'
import { nativeTarget } from './native-target.js'

/** Flags for {@link NativeLibrary.open}; mirror AD_OPEN_* in native/asyncdirect.h. */
export const OPEN_DIRECT = 1
export const OPEN_DSYNC = 2
export const OPEN_CREATE = 4

/** The ABI this code binds to: ABI_VERSION in native/asyncdirect.c. */
export const ABI_VERSION = 3

/**
 * The C library's functions this package calls, bound with koffi (the library exports a few more,
 * part of its ABI, that nothing here needs). Addresses are plain numbers (user-space addresses
 * fit in 53 bits), so they pass between threads as they are. Every call returns a value >= 0 or
 * -errno.
 */
export interface NativeLibrary extends LibraryInfo {
  allocAligned(align: number, size: number): number
  free(addr: number): void
  mmap(size: number): number
  munmap(addr: number, size: number): number
  open(path: string, flags: number, mode: number): number
  close(fd: number): number
  isDirect(fd: number): number
  /** out = [memory alignment, offset alignment, 1 if reported by statx] */
  dioAlign(fd: number, out: Uint32Array): number
  fileSize(fd: number): number
  /** iov holds (address, length) pairs. */
  writeBlocks(fd: number, iov: BigUint64Array, count: number, offset: number): number
  flockExclusive(fd: number): number
  /** out = [resident pages, total pages]; for tests and benchmarks (is a file in the page cache?). */
  cachedPages(path: string, out: BigUint64Array): number
  /** A JS view of C memory. The memory must outlive the view: koffi attaches no finalizer. */
  view(addr: number, len: number): ArrayBuffer
}

/** Where a loaded library came from: shipped in the package, or compiled by its install step. */
export type LibraryOrigin = 'prebuilt' | 'compiled'

/** The library a logger writes with. */
export interface LibraryInfo {
  /** Absolute path of the file loaded, inside the installed package. */
  readonly path: string
  readonly origin: LibraryOrigin
  /** The ABI version the library reports (ad_abi_version). */
  readonly abiVersion: number
}

/** Why no library was loaded; stable codes, also the `code` of a `'fallback'` event. */
export type NativeFailureCode =
  | 'ASYNCDIRECT_NATIVE_DISABLED'
  | 'ASYNCDIRECT_NATIVE_UNSUPPORTED'
  | 'ASYNCDIRECT_NATIVE_MISSING'
  | 'ASYNCDIRECT_NATIVE_UNSAFE'
  | 'ASYNCDIRECT_NATIVE_LOAD_FAILED'

/** Outcome of loading the library: the bindings, or the reason there are none. */
export type NativeLoad =
  | { ok: true; lib: NativeLibrary }
  | {
      ok: false
      code: NativeFailureCode
      reason: string
      /** The library file that was refused or failed to load, null when there was none. */
      path: string | null
      /** For ASYNCDIRECT_NATIVE_UNSAFE: the check that failed. */
      check?: UnsafeCheck
    }

/** The library's description without its functions (plain data: statistics, handles). */
export function libraryInfo(lib: NativeLibrary): LibraryInfo {
  return { path: lib.path, origin: lib.origin, abiVersion: lib.abiVersion }
}

// dist/shared/ (or src/shared/) is two levels below the package root.
const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const LIB_NAME = 'libasyncdirect.so'
/** Where the package's install step (or the workspace build) compiles the library. */
const compiledDir = join(packageRoot, 'native', 'build')
/** One folder per target (linux-x64-glibc, ...), shipped in the package. */
const prebuildsDir = join(packageRoot, 'prebuilds')

/** The two places a library may be loaded from, in the order they are tried. */
export function libraryCandidates(target: string): { path: string; origin: LibraryOrigin }[] {
  return [
    // Present only when no prebuilt matched at install, or in the workspace, built from the
    // source in the tree: either way newer than or in place of the prebuilt.
    { path: join(compiledDir, LIB_NAME), origin: 'compiled' },
    { path: join(prebuildsDir, target, LIB_NAME), origin: 'prebuilt' },
  ]
}

/** The targets this package ships a prebuilt library for (the folders of prebuilds/). */
export function prebuiltTargets(): string[] {
  try {
    return readdirSync(prebuildsDir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort()
  } catch {
    return []
  }
}

let cached: NativeLoad | undefined

/**
 * Loads the native library once per thread, from inside this package only: the library compiled
 * by the install step if there is one, else the prebuilt one for this platform, architecture and
 * C library. The file and its directory are checked first ({@link refuseUnsafeLibrary}). Nothing
 * is compiled here. Never throws: a failure is a reason for the buffered fallback.
 */
export function loadNative(): NativeLoad {
  if (cached) return cached
  cached = tryLoad()
  return cached
}

/**
 * The library at a path {@link loadNative} chose (worker threads map the same file), with the
 * same checks: it must be one of the package's own library paths and pass the safety checks.
 */
export function loadNativeFrom(path: string): NativeLoad {
  if (cached?.ok && cached.lib.path === path) return cached
  const origin = originOf(path)
  const loaded: NativeLoad = origin
    ? loadChecked(path, origin)
    : {
        ok: false,
        code: 'ASYNCDIRECT_NATIVE_UNSAFE',
        reason: `refusing to load ${path}: not one of this package's library paths (${prebuildsDir}, ${compiledDir})`,
        path,
      }
  // A worker thread's loadNative() then returns the same library; a failure is not kept, so it
  // cannot stand in for loadNative()'s own choice.
  if (loaded.ok && !cached) cached = loaded
  return loaded
}

function originOf(path: string): LibraryOrigin | null {
  if (basename(path) !== LIB_NAME) return null
  if (dirname(path) === compiledDir) return 'compiled'
  if (dirname(dirname(path)) === prebuildsDir) return 'prebuilt'
  return null
}

function tryLoad(): NativeLoad {
  if (process.env.ASYNCDIRECT_NATIVE === '0')
    return {
      ok: false,
      code: 'ASYNCDIRECT_NATIVE_DISABLED',
      reason: 'disabled by ASYNCDIRECT_NATIVE=0',
      path: null,
    }
  if (process.platform !== 'linux')
    return {
      ok: false,
      code: 'ASYNCDIRECT_NATIVE_UNSUPPORTED',
      reason: `platform ${process.platform} is not Linux`,
      path: null,
    }
  const target = nativeTarget()
  const candidates = libraryCandidates(target)
  const found = candidates.find((c) => present(c.path))
  if (!found) {
    return {
      ok: false,
      code: 'ASYNCDIRECT_NATIVE_MISSING',
      reason:
        `no native library for ${target}: no prebuilt ${candidates[1]!.path} and none compiled at install ` +
        `(${candidates[0]!.path}); reinstall @asyncdirect/core with a C compiler on PATH (see asyncdirect doctor)`,
      path: null,
    }
  }
  return loadChecked(found.path, found.origin)
}

/** lstat, not exists: a dangling symlink is there to be refused, not skipped. */
export function present(path: string): boolean {
  try {
    lstatSync(path)
    return true
  } catch {
    return false
  }
}

function loadChecked(path: string, origin: LibraryOrigin): NativeLoad {
  const refusal = refuseUnsafeLibrary(path)
  if (refusal)
    return {
      ok: false,
      code: 'ASYNCDIRECT_NATIVE_UNSAFE',
      reason: refusal.message,
      path,
      check: refusal.check,
    }
  try {
    return { ok: true, lib: bind(path, origin) }
  } catch (err) {
    return {
      ok: false,
      code: 'ASYNCDIRECT_NATIVE_LOAD_FAILED',
      reason: `cannot load ${path}: ${(err as Error).message}`,
      path,
    }
  }
}

type Koffi = typeof import('koffi')

function bind(path: string, origin: LibraryOrigin): NativeLibrary {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi
  const lib = koffi.load(path)
  const f = (decl: string) => lib.func(decl)
  const abi = f('int ad_abi_version(void)')() as number
  if (abi !== ABI_VERSION)
    throw new NativeError(
      'ASYNCDIRECT_NATIVE_ABI',
      `ABI version ${abi}, expected ${ABI_VERSION}; rebuild the library`,
    )
  const allocAligned = f('uint64_t ad_alloc_aligned(uint64_t align, uint64_t size)')
  const free = f('void ad_free(uint64_t addr)')
  const mmap = f('uint64_t ad_mmap(uint64_t size)')
  const munmap = f('int ad_munmap(uint64_t addr, uint64_t size)')
  const open = f('int ad_open(const char *path, int flags, int mode)')
  const close = f('int ad_close(int fd)')
  const isDirect = f('int ad_is_direct(int fd)')
  const dioAlign = f('int ad_dio_align(int fd, _Out_ uint32_t *out)')
  const fileSize = f('int64_t ad_file_size(int fd)')
  const writeBlocks = f('int64_t ad_write_blocks(int fd, const uint64_t *iov, int count, int64_t offset)')
  const flockExclusive = f('int ad_flock_exclusive(int fd)')
  const cachedPages = f('int ad_cached_pages(const char *path, _Out_ uint64_t *out)')
  const num = (v: unknown) => Number(v)
  return {
    path,
    origin,
    abiVersion: abi,
    allocAligned: (a, s) => num(allocAligned(a, s)),
    free: (a) => free(a),
    mmap: (s) => num(mmap(s)),
    munmap: (a, s) => munmap(a, s) as number,
    open: (p, fl, m) => open(p, fl, m) as number,
    close: (fd) => close(fd) as number,
    isDirect: (fd) => isDirect(fd) as number,
    dioAlign: (fd, out) => dioAlign(fd, out) as number,
    fileSize: (fd) => num(fileSize(fd)),
    writeBlocks: (fd, iov, count, offset) => num(writeBlocks(fd, iov, count, offset)),
    flockExclusive: (fd) => flockExclusive(fd) as number,
    cachedPages: (p, out) => cachedPages(p, out) as number,
    view: (a, l) => koffi.view(a, l),
  }
}

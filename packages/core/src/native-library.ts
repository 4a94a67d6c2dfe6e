import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Flags for {@link NativeLibrary.open}; mirror AD_OPEN_* in native/asyncdirect.h. */
export const OPEN_DIRECT = 1
export const OPEN_DSYNC = 2
export const OPEN_CREATE = 4

const ABI_VERSION = 3

/**
 * The C library's functions, bound with koffi. Addresses are plain numbers (user-space addresses
 * fit in 53 bits), so they pass between threads as they are. Every call returns a value >= 0 or
 * -errno.
 */
export interface NativeLibrary {
  readonly path: string
  allocAligned(align: number, size: number): number
  free(addr: number): void
  mmap(size: number): number
  munmap(addr: number, size: number): number
  zero(addr: number, len: number): void
  open(path: string, flags: number, mode: number): number
  close(fd: number): number
  isDirect(fd: number): number
  /** out = [memory alignment, offset alignment, 1 if reported by statx] */
  dioAlign(fd: number, out: Uint32Array): number
  fileSize(fd: number): number
  /** iov holds (address, length) pairs. */
  writeBlocks(fd: number, iov: BigUint64Array, count: number, offset: number): number
  fdatasync(fd: number): number
  ftruncate(fd: number, length: number): number
  fallocate(fd: number, mode: number, offset: number, length: number): number
  flockExclusive(fd: number): number
  /** out = [resident pages, total pages] */
  cachedPages(path: string, out: BigUint64Array): number
  /** A JS view of C memory. The memory must outlive the view: koffi attaches no finalizer. */
  view(addr: number, len: number): ArrayBuffer
}

/** Outcome of loading the library: the bindings, or the reason there are none. */
export type NativeLoad = { ok: true; lib: NativeLibrary } | { ok: false; reason: string }

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const buildScript = join(packageRoot, 'native', 'build.mjs')
const LIB_NAME = 'libasyncdirect.so'

let cached: NativeLoad | undefined

/**
 * Loads the native library once per thread. Looks for the library built with the workspace
 * (native/build), else compiles it into a per-user cache directory, the way an installed copy of
 * the package gets its library on first use. Never throws: a failure is a reason for the buffered
 * fallback.
 */
export function loadNative(): NativeLoad {
  if (cached) return cached
  cached = tryLoad()
  return cached
}

/** The library at a known path (used by worker threads, which must map the same file). */
export function loadNativeFrom(path: string): NativeLoad {
  if (cached?.ok && cached.lib.path === path) return cached
  try {
    cached = { ok: true, lib: bind(path) }
  } catch (err) {
    cached = { ok: false, reason: `cannot load ${path}: ${(err as Error).message}` }
  }
  return cached
}

function tryLoad(): NativeLoad {
  if (process.env.ASYNCDIRECT_NATIVE === '0') return { ok: false, reason: 'disabled by ASYNCDIRECT_NATIVE=0' }
  if (process.platform !== 'linux') return { ok: false, reason: `platform ${process.platform} is not Linux` }
  const candidates = [
    join(packageRoot, 'native', 'build', LIB_NAME),
    join(tmpdir(), `asyncdirect-native-${process.getuid?.() ?? 'user'}-${ABI_VERSION}`, LIB_NAME),
  ]
  let path = candidates.find((p) => existsSync(p))
  if (!path) {
    const out = dirname(candidates[1]!)
    try {
      execFileSync(process.execPath, [buildScript, out], { stdio: 'ignore', timeout: 60_000 })
    } catch {
      // Reported below as "not built".
    }
    if (existsSync(candidates[1]!)) path = candidates[1]
  }
  if (!path) return { ok: false, reason: 'the native library could not be built (no C compiler?)' }
  try {
    return { ok: true, lib: bind(path) }
  } catch (err) {
    return { ok: false, reason: `cannot load ${path}: ${(err as Error).message}` }
  }
}

type Koffi = typeof import('koffi')

function bind(path: string): NativeLibrary {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi
  const lib = koffi.load(path)
  const f = (decl: string) => lib.func(decl)
  const abi = f('int ad_abi_version(void)')() as number
  if (abi !== ABI_VERSION) throw new Error(`ABI version ${abi}, expected ${ABI_VERSION}; rebuild the library`)
  const allocAligned = f('uint64_t ad_alloc_aligned(uint64_t align, uint64_t size)')
  const free = f('void ad_free(uint64_t addr)')
  const mmap = f('uint64_t ad_mmap(uint64_t size)')
  const munmap = f('int ad_munmap(uint64_t addr, uint64_t size)')
  const zero = f('void ad_zero(uint64_t addr, uint64_t len)')
  const open = f('int ad_open(const char *path, int flags, int mode)')
  const close = f('int ad_close(int fd)')
  const isDirect = f('int ad_is_direct(int fd)')
  const dioAlign = f('int ad_dio_align(int fd, _Out_ uint32_t *out)')
  const fileSize = f('int64_t ad_file_size(int fd)')
  const writeBlocks = f('int64_t ad_write_blocks(int fd, const uint64_t *iov, int count, int64_t offset)')
  const fdatasync = f('int ad_fdatasync(int fd)')
  const ftruncate = f('int ad_ftruncate(int fd, int64_t length)')
  const fallocate = f('int ad_fallocate(int fd, int mode, int64_t offset, int64_t length)')
  const flockExclusive = f('int ad_flock_exclusive(int fd)')
  const cachedPages = f('int ad_cached_pages(const char *path, _Out_ uint64_t *out)')
  const num = (v: unknown) => Number(v)
  return {
    path,
    allocAligned: (a, s) => num(allocAligned(a, s)),
    free: (a) => free(a),
    mmap: (s) => num(mmap(s)),
    munmap: (a, s) => munmap(a, s) as number,
    zero: (a, l) => zero(a, l),
    open: (p, fl, m) => open(p, fl, m) as number,
    close: (fd) => close(fd) as number,
    isDirect: (fd) => isDirect(fd) as number,
    dioAlign: (fd, out) => dioAlign(fd, out) as number,
    fileSize: (fd) => num(fileSize(fd)),
    writeBlocks: (fd, iov, count, offset) => num(writeBlocks(fd, iov, count, offset)),
    fdatasync: (fd) => fdatasync(fd) as number,
    ftruncate: (fd, len) => ftruncate(fd, len) as number,
    fallocate: (fd, mode, off, len) => fallocate(fd, mode, off, len) as number,
    flockExclusive: (fd) => flockExclusive(fd) as number,
    cachedPages: (p, out) => cachedPages(p, out) as number,
    view: (a, l) => koffi.view(a, l),
  }
}

import { NativeError } from '../errors.js'
import type { Block } from './block-io.js'
import type { NativeLibrary } from './native-library.js'

/**
 * Where the shards of both buffer sets live, in a form any thread can map again:
 *  - `aligned`: one anonymous mapping per shard (the default);
 *  - `mmap`: one anonymous mapping cut into shards (`useMMap`);
 *  - `shared`: a SharedArrayBuffer, when the native library is unavailable (buffered fallback).
 *
 * Native memory is reserved, not touched: fresh anonymous mappings are the kernel's zero pages,
 * so creating a logger costs neither the time to zero-fill two sets nor their resident memory.
 * A page becomes resident when a writer first copies an entry into it (or a flush stages lines
 * into it), and stays so for the logger's life.
 */
export type ShardMemoryDescriptor =
  | {
      kind: 'aligned' | 'mmap'
      shardSize: number
      numShards: number
      addresses: number[]
      libPath: string
      /** The lines format's staging buffer (0 and 0 when there is none). */
      stagingAddress: number
      stagingSize: number
      /** Every mapping to unmap at the end: (address, length) pairs. */
      mappings: number[]
    }
  | {
      kind: 'shared'
      shardSize: number
      numShards: number
      sab: SharedArrayBuffer
      staging: SharedArrayBuffer | null
    }

/**
 * Index of shard `shard` of set `set` in the flat shard arrays (views, addresses): set 0's shards,
 * then set 1's.
 */
export function shardIndex(numShards: number, set: number, shard: number): number {
  return set * numShards + shard
}

/** Mappings are page aligned; no page is smaller than this. */
const MIN_PAGE_SIZE = 4096

/**
 * Maps `size` bytes of zero pages aligned to `align` (a power of two), recording the mapping in
 * `mappings`. 0 when the kernel refuses.
 */
function reserve(lib: NativeLibrary, align: number, size: number, mappings: number[]): number {
  // An alignment beyond any page size: map more and start at the first aligned address.
  const extra = align > MIN_PAGE_SIZE ? align : 0
  const base = lib.mmap(size + extra)
  if (base === 0) return 0
  mappings.push(base, size + extra)
  return extra > 0 ? Math.ceil(base / align) * align : base
}

function unmapAll(lib: NativeLibrary, mappings: readonly number[]): void {
  for (let i = 0; i < mappings.length; i += 2) lib.munmap(mappings[i]!, mappings[i + 1]!)
}

/**
 * Reserves both sets, and `stagingSize` bytes of staging buffer (0 for none: only the lines
 * format needs one). Throws if the kernel refuses the mappings.
 */
export function allocateShards(
  lib: NativeLibrary | null,
  shardSize: number,
  numShards: number,
  alignment: number,
  useMMap: boolean,
  stagingSize: number,
): ShardMemoryDescriptor {
  const count = 2 * numShards
  if (!lib) {
    const sab = new SharedArrayBuffer(shardSize * count)
    const staging = stagingSize > 0 ? new SharedArrayBuffer(stagingSize) : null
    return { kind: 'shared', shardSize, numShards, sab, staging }
  }
  const mappings: number[] = []
  const fail = (what: string): never => {
    unmapAll(lib, mappings)
    throw new NativeError('ASYNCDIRECT_NO_MEMORY', `asyncdirect: cannot map ${what}`)
  }
  const stagingAddress = stagingSize > 0 ? reserve(lib, alignment, stagingSize, mappings) : 0
  if (stagingSize > 0 && stagingAddress === 0) fail(`a ${stagingSize}-byte staging buffer`)
  const addresses: number[] = []
  if (useMMap) {
    const base = reserve(lib, alignment, shardSize * count, mappings)
    if (base === 0) fail(`${shardSize * count} bytes of shards`)
    for (let i = 0; i < count; i++) addresses.push(base + i * shardSize)
  } else {
    for (let i = 0; i < count; i++) {
      const addr = reserve(lib, alignment, shardSize, mappings)
      if (addr === 0) fail(`${count} shards of ${shardSize} bytes`)
      addresses.push(addr)
    }
  }
  const kind = useMMap ? 'mmap' : 'aligned'
  return { kind, shardSize, numShards, addresses, libPath: lib.path, stagingAddress, stagingSize, mappings }
}

/** The staging buffer in this thread, or null when there is none. */
export function viewStaging(lib: NativeLibrary | null, memory: ShardMemoryDescriptor): Block | null {
  if (memory.kind === 'shared') return memory.staging ? { addr: 0, view: Buffer.from(memory.staging) } : null
  if (memory.stagingSize === 0 || !lib) return null
  return {
    addr: memory.stagingAddress,
    view: Buffer.from(lib.view(memory.stagingAddress, memory.stagingSize)),
  }
}

/** Releases what {@link allocateShards} reserved. Only when no writer can touch it any more. */
export function releaseShards(lib: NativeLibrary | null, memory: ShardMemoryDescriptor): void {
  if (memory.kind === 'shared' || !lib) return
  unmapAll(lib, memory.mappings)
}

/** One Buffer per shard, in this thread, over the same memory as every other thread's views. */
export function viewShards(lib: NativeLibrary | null, memory: ShardMemoryDescriptor): Buffer[] {
  const count = 2 * memory.numShards
  const views: Buffer[] = []
  for (let i = 0; i < count; i++) {
    if (memory.kind === 'shared') {
      views.push(Buffer.from(memory.sab, i * memory.shardSize, memory.shardSize))
    } else {
      if (!lib)
        throw new NativeError(
          'ASYNCDIRECT_NATIVE_UNAVAILABLE',
          'asyncdirect: native shard memory needs the native library',
        )
      views.push(Buffer.from(lib.view(memory.addresses[i]!, memory.shardSize)))
    }
  }
  return views
}

import type { Block } from './block-io.js'
import type { NativeLibrary } from './native-library.js'

/**
 * Where the shards of both buffer sets live, in a form any thread can map again:
 *  - `aligned`: one posix_memalign allocation per shard (the default);
 *  - `mmap`: one anonymous mapping cut into shards (`useMMap`);
 *  - `shared`: a SharedArrayBuffer, when the native library is unavailable (buffered fallback).
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
    }
  | {
      kind: 'shared'
      shardSize: number
      numShards: number
      sab: SharedArrayBuffer
      staging: SharedArrayBuffer | null
    }

/** Index of shard `shard` of set `set` in the flat shard arrays. */
export function shardIndex(numShards: number, set: number, shard: number): number {
  return set * numShards + shard
}

/**
 * Allocates both sets, and `stagingSize` bytes of staging buffer (0 for none: only the lines
 * format needs one). Throws if the C allocator refuses.
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
  const memAlign = Math.max(alignment, 4096)
  const stagingAddress = stagingSize > 0 ? lib.allocAligned(memAlign, stagingSize) : 0
  if (stagingSize > 0 && stagingAddress === 0)
    throw new Error(`asyncdirect: cannot allocate ${stagingSize} bytes`)
  if (useMMap) {
    const base = lib.mmap(shardSize * count)
    if (base === 0) {
      if (stagingAddress) lib.free(stagingAddress)
      throw new Error(`asyncdirect: mmap of ${shardSize * count} bytes failed`)
    }
    const addresses = Array.from({ length: count }, (_, i) => base + i * shardSize)
    return { kind: 'mmap', shardSize, numShards, addresses, libPath: lib.path, stagingAddress, stagingSize }
  }
  const addresses: number[] = []
  for (let i = 0; i < count; i++) {
    const addr = lib.allocAligned(memAlign, shardSize)
    if (addr === 0) {
      for (const a of addresses) lib.free(a)
      if (stagingAddress) lib.free(stagingAddress)
      throw new Error(`asyncdirect: cannot allocate ${count} shards of ${shardSize} bytes`)
    }
    addresses.push(addr)
  }
  return { kind: 'aligned', shardSize, numShards, addresses, libPath: lib.path, stagingAddress, stagingSize }
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

/** Releases what {@link allocateShards} allocated. Only when no writer can touch it any more. */
export function releaseShards(lib: NativeLibrary | null, memory: ShardMemoryDescriptor): void {
  if (memory.kind === 'shared' || !lib) return
  if (memory.stagingAddress) lib.free(memory.stagingAddress)
  if (memory.kind === 'mmap') {
    lib.munmap(memory.addresses[0]!, memory.shardSize * memory.addresses.length)
    return
  }
  for (const a of memory.addresses) lib.free(a)
}

/** One Buffer per shard, in this thread, over the same memory as every other thread's views. */
export function viewShards(lib: NativeLibrary | null, memory: ShardMemoryDescriptor): Buffer[] {
  const count = 2 * memory.numShards
  const views: Buffer[] = []
  for (let i = 0; i < count; i++) {
    if (memory.kind === 'shared') {
      views.push(Buffer.from(memory.sab, i * memory.shardSize, memory.shardSize))
    } else {
      if (!lib) throw new Error('asyncdirect: native shard memory needs the native library')
      views.push(Buffer.from(lib.view(memory.addresses[i]!, memory.shardSize)))
    }
  }
  return views
}

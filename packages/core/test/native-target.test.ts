import { describe, expect, it } from 'vitest'
import { libcOfMappings, libcOfReport, runningLibC } from '../dist/shared/native-target.js'

// The prebuilt library is chosen by the C library Node runs on. It is read from the process's
// mappings (fast); Node's diagnostic report (slow) decides only when they name no C library.

const GLIBC_MAPS = [
  '55d0c0000000-55d0c2000000 r-xp 00000000 08:01 131 /usr/bin/node',
  '7f1c2a000000-7f1c2a028000 r--p 00000000 08:01 262 /usr/lib/x86_64-linux-gnu/libc.so.6',
  '7f1c2a300000-7f1c2a302000 r--p 00000000 08:01 259 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
  '7ffd5e000000-7ffd5e021000 rw-p 00000000 00:00 0 [stack]',
].join('\n')
const OLD_GLIBC_MAPS = '7f00-7f01 r-xp 00000000 08:01 12 /lib/x86_64-linux-gnu/libc-2.31.so\n'
const MUSL_MAPS = [
  '5581a0000000-5581a2000000 r-xp 00000000 00:2f 81 /usr/local/bin/node',
  '7f5f1d000000-7f5f1d014000 r--p 00000000 00:2f 40 /usr/lib/libstdc++.so.6.0.32',
  '7f5f1e000000-7f5f1e05d000 r-xp 00014000 00:2f 29 /lib/ld-musl-x86_64.so.1',
].join('\n')

describe('the C library this Node.js runs on', () => {
  it('is named by the mappings: libc.so.6 or libc-<version>.so for glibc, ld-musl-<arch> for musl', () => {
    expect(libcOfMappings(GLIBC_MAPS)).toBe('glibc')
    expect(libcOfMappings(OLD_GLIBC_MAPS)).toBe('glibc')
    expect(libcOfMappings(MUSL_MAPS)).toBe('musl')
  })

  it('is undecided by mappings that name no C library (a static build): the report decides', () => {
    expect(libcOfMappings('')).toBeUndefined()
    expect(libcOfMappings('7f00-7f01 r-xp 00000000 08:01 12 /opt/libcrypto.so.3\n')).toBeUndefined()
  })

  it('agrees with what the diagnostic report says of this process', () => {
    expect(runningLibC()).toBe(libcOfReport())
  })
})

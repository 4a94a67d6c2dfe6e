#!/usr/bin/env node
// Builds the prebuilt native libraries shipped in the package, from the committed C source:
//
//   pnpm --filter @asyncdirect/core build:prebuilds      (or: node scripts/build-prebuilds.mjs)
//
// Targets: linux-x64-glibc, linux-arm64-glibc, linux-x64-musl and linux-arm64-musl. Each library
// is checked with readelf (machine, every ad_*
// function of asyncdirect.h exported, no GLIBC_ symbol version newer than 2.28, Node 20's floor)
// and `file`, then loaded by a program of its target (under qemu-aarch64 for arm64) that opens a
// file with O_DIRECT; prebuilds/manifest.json records the sha256 of the source it came from,
// which a test compares with the source in the tree.
//
// Needs Debian's gcc, gcc-aarch64-linux-gnu, musl-tools, binutils and file; linux-arm64-musl also
// clang, lld and musl-dev:arm64 (after `dpkg --add-architecture arm64 && apt-get update`). It
// names what is missing.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..')
const sourceFiles = ['native/asyncdirect.c', 'native/asyncdirect.h']
const prebuildsDir = join(packageRoot, 'prebuilds')
const LIB_NAME = 'libasyncdirect.so'
const MAX_GLIBC = [2, 28]
const REBUILD_COMMAND = 'pnpm --filter @asyncdirect/core build:prebuilds'
const FLAGS = [
  '-std=c11',
  '-O2',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-fPIC',
  '-shared',
  '-s',
  '-Wl,-z,noexecstack',
]

// musl's headers carry no kernel headers; asyncdirect.c needs <linux/stat.h> (statx).
const kernelHeaders = {
  x64: {
    linux: '/usr/include/linux',
    asm: '/usr/include/x86_64-linux-gnu/asm',
    'asm-generic': '/usr/include/asm-generic',
  },
  arm64: {
    linux: '/usr/aarch64-linux-gnu/include/linux',
    asm: '/usr/aarch64-linux-gnu/include/asm',
    'asm-generic': '/usr/aarch64-linux-gnu/include/asm-generic',
  },
}

const hostIsX64 = process.arch === 'x64'
const targets = [
  {
    name: 'linux-x64-glibc',
    machine: 'Advanced Micro Devices X86-64',
    libc: 'glibc',
    cc: hostIsX64 ? 'gcc' : 'x86_64-linux-gnu-gcc',
    packages: [hostIsX64 ? 'gcc' : 'gcc-x86-64-linux-gnu'],
    args: [],
    required: true,
  },
  {
    name: 'linux-arm64-glibc',
    machine: 'AArch64',
    libc: 'glibc',
    cc: 'aarch64-linux-gnu-gcc',
    packages: ['gcc-aarch64-linux-gnu'],
    args: [],
    required: true,
  },
  {
    name: 'linux-x64-musl',
    machine: 'Advanced Micro Devices X86-64',
    libc: 'musl',
    cc: 'musl-gcc',
    packages: ['musl-tools'],
    kernel: 'x64',
    args: [],
    required: hostIsX64,
  },
  {
    name: 'linux-arm64-musl',
    machine: 'AArch64',
    libc: 'musl',
    cc: 'clang',
    packages: ['clang', 'lld', 'musl-dev:arm64', 'gcc-aarch64-linux-gnu'],
    kernel: 'arm64',
    needsPaths: ['/usr/include/aarch64-linux-musl', '/usr/lib/aarch64-linux-musl'],
    args: [
      '--target=aarch64-linux-musl',
      '-fuse-ld=lld',
      '-nostdinc',
      '-isystem',
      '/usr/include/aarch64-linux-musl',
      '-L/usr/lib/aarch64-linux-musl',
      '-nostdlib',
      '-lc',
    ],
    required: true,
  },
]

/** How to build and run a program that loads a target's library, on an x64 Debian host. */
const loaders = {
  'linux-x64-glibc': { cc: ['gcc'], run: [] },
  'linux-arm64-glibc': {
    cc: ['aarch64-linux-gnu-gcc'],
    run: ['qemu-aarch64', '-L', '/usr/aarch64-linux-gnu'],
  },
  'linux-x64-musl': { cc: ['musl-gcc'], run: [] },
  'linux-arm64-musl': {
    cc: [
      'clang',
      '--target=aarch64-linux-musl',
      '-fuse-ld=lld',
      '-nostdinc',
      '-isystem',
      '/usr/include/aarch64-linux-musl',
      '-nostdlib',
      '/usr/lib/aarch64-linux-musl/crt1.o',
      '/usr/lib/aarch64-linux-musl/crti.o',
      '-L/usr/lib/aarch64-linux-musl',
      '-Wl,-dynamic-linker,/lib/ld-musl-aarch64.so.1',
    ],
    after: ['-lc', '/usr/lib/aarch64-linux-musl/crtn.o'],
    run: ['qemu-aarch64'],
  },
}

function has(cmd) {
  return spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0
}

function sha256(buf) {
  return createHash('sha256').update(buf).digest('hex')
}

function fail(message) {
  console.error(`build-prebuilds: ${message}`)
  process.exit(1)
}

const missingTools = ['readelf', 'file'].filter((t) => !has(t))
if (missingTools.length) fail(`missing ${missingTools.join(', ')}: apt-get install binutils file`)

const plan = []
const missing = []
for (const t of targets) {
  const ok = has(t.cc) && (t.needsPaths ?? []).every((p) => existsSync(p))
  if (ok) plan.push(t)
  else if (t.required) missing.push(t)
  else console.log(`build-prebuilds: skipping ${t.name}: needs ${t.packages.join(', ')}`)
}
if (missing.length) {
  const pkgs = [...new Set(missing.flatMap((t) => t.packages))]
  fail(
    `cannot build ${missing.map((t) => t.name).join(', ')}: missing ${missing.map((t) => t.cc).join(', ')} or its headers.\n` +
      `  Install with: ${pkgs.some((p) => p.endsWith(':arm64')) ? 'dpkg --add-architecture arm64 && ' : ''}` +
      `apt-get update && apt-get install -y ${pkgs.join(' ')}`,
  )
}

const cSource = readFileSync(join(packageRoot, 'native/asyncdirect.c'), 'utf8')
const abiMatch = /#define ABI_VERSION (\d+)/.exec(cSource)
if (!abiMatch) fail('no #define ABI_VERSION in native/asyncdirect.c')
const abiVersion = Number(abiMatch[1])
const header = readFileSync(join(packageRoot, 'native/asyncdirect.h'), 'utf8')
const exported = [...header.matchAll(/\b(ad_[a-z0-9_]+)\s*\(/g)].map((m) => m[1])

const work = mkdtempSync(join(tmpdir(), 'asyncdirect-prebuilds-'))
const libraries = {}
try {
  for (const t of plan) {
    const args = [...FLAGS, ...t.args]
    if (t.kernel) {
      const inc = join(work, `kernel-${t.kernel}`)
      mkdirSync(inc, { recursive: true })
      for (const [name, target] of Object.entries(kernelHeaders[t.kernel])) {
        if (!existsSync(target))
          fail(`${t.name}: kernel headers ${target} missing (linux-libc-dev / gcc-aarch64-linux-gnu)`)
        if (!existsSync(join(inc, name))) symlinkSync(target, join(inc, name))
      }
      args.push('-isystem', inc)
    }
    const out = join(work, `${t.name}.so`)
    execFileSync(t.cc, [...args, '-o', out, join(packageRoot, 'native/asyncdirect.c')], { stdio: 'inherit' })
    const checks = verify(t, out)
    const dir = join(prebuildsDir, t.name)
    mkdirSync(dir, { recursive: true })
    chmodSync(dir, 0o755)
    const dest = join(dir, LIB_NAME)
    renameSync(out, `${dest}.tmp`)
    chmodSync(`${dest}.tmp`, 0o644)
    renameSync(`${dest}.tmp`, dest)
    libraries[t.name] = {
      file: relative(packageRoot, dest),
      sha256: sha256(readFileSync(dest)),
      compiler: execFileSync(t.cc, ['--version'], { encoding: 'utf8' }).split('\n')[0],
      ...checks,
    }
    console.log(`build-prebuilds: ${t.name}: ${checks.fileType}`)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}

const manifest = {
  note: `Generated by scripts/build-prebuilds.mjs; rebuild with: ${REBUILD_COMMAND}`,
  rebuild: REBUILD_COMMAND,
  abiVersion,
  source: Object.fromEntries(sourceFiles.map((f) => [f, sha256(readFileSync(join(packageRoot, f)))])),
  libraries,
}
writeFileSync(join(prebuildsDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
console.log(`build-prebuilds: wrote prebuilds/manifest.json (${Object.keys(libraries).join(', ')})`)

/** readelf/file checks of one built library; exits naming the failed check. */
function verify(t, path) {
  const headerText = execFileSync('readelf', ['-h', path], { encoding: 'utf8' })
  const machine = /Machine:\s+(.+)/.exec(headerText)?.[1]?.trim()
  if (machine !== t.machine) fail(`${t.name}: machine is ${machine}, expected ${t.machine}`)
  const dynsyms = execFileSync('readelf', ['--dyn-syms', '-W', path], { encoding: 'utf8' })
  const defined = new Set(
    dynsyms
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[3] === 'FUNC' && c[4] === 'GLOBAL' && c[5] === 'DEFAULT' && c[6] !== 'UND')
      .map((c) => c[7]),
  )
  const absent = exported.filter((s) => !defined.has(s))
  if (absent.length) fail(`${t.name}: not exported: ${absent.join(', ')}`)
  const versions = execFileSync('readelf', ['-V', '-W', path], { encoding: 'utf8' })
  const glibc = [...new Set([...versions.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => `${m[1]}.${m[2]}`))]
  const newest = glibc
    .map((v) => v.split('.').map(Number))
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .at(-1)
  if (t.libc === 'musl' && glibc.length)
    fail(`${t.name}: references glibc symbol versions ${glibc.join(', ')}`)
  if (newest && (newest[0] > MAX_GLIBC[0] || (newest[0] === MAX_GLIBC[0] && newest[1] > MAX_GLIBC[1])))
    fail(`${t.name}: needs GLIBC_${newest.join('.')}, newer than GLIBC_${MAX_GLIBC.join('.')}`)
  const dynamic = execFileSync('readelf', ['-d', '-W', path], { encoding: 'utf8' })
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1])
  const fileOut = execFileSync('file', ['-b', path], { encoding: 'utf8' }).trim()
  const loadTest = smokeTest(t, path)
  return {
    machine,
    needed,
    newestGlibc: newest ? `GLIBC_${newest.join('.')}` : null,
    exported: exported.length,
    loadTest,
    fileType: fileOut.replace(/, BuildID\[\w+\]=[0-9a-f]+/, ''),
  }
}

/**
 * Loads the library with its target's own dynamic loader (under qemu-aarch64 for arm64) and opens
 * a file with AD_OPEN_DIRECT: readelf cannot tell that the C library resolves every symbol, nor
 * that O_DIRECT, whose value differs between x64 and arm64, was compiled right. Skipped, saying
 * so, where this machine cannot run the target.
 */
function smokeTest(t, path) {
  const loader = loaders[t.name]
  const musl = t.name.endsWith('-musl')
    ? `/lib/ld-musl-${t.name.includes('arm64') ? 'aarch64' : 'x86_64'}.so.1`
    : null
  const missing = [loader.run[0], musl && !existsSync(musl) ? musl : null].filter(
    (m) => m && !(m.startsWith('/') ? existsSync(m) : has(m)),
  )
  if (!hostIsX64 || missing.length) {
    console.log(
      `build-prebuilds: ${t.name}: not run here (missing ${missing.join(', ') || 'an x64 host'}; apt-get install qemu-user)`,
    )
    return 'not run'
  }
  const src = join(work, 'load.c')
  writeFileSync(
    src,
    '#include <dlfcn.h>\n#include <stdio.h>\n' +
      'int main(int c, char **v) { (void)c; void *h = dlopen(v[1], RTLD_NOW);\n' +
      '  if (!h) { puts(dlerror()); return 1; }\n' +
      '  int (*abi)(void) = (int (*)(void))dlsym(h, "ad_abi_version");\n' +
      '  int (*op)(const char *, int, int) = (int (*)(const char *, int, int))dlsym(h, "ad_open");\n' +
      '  int (*direct)(int) = (int (*)(int))dlsym(h, "ad_is_direct");\n' +
      '  if (!abi || !op || !direct) { puts("missing symbol"); return 1; }\n' +
      '  int fd = op(v[2], 1 | 4, 0600); /* AD_OPEN_DIRECT | AD_OPEN_CREATE */\n' +
      '  printf("%d %d\\n", abi(), fd < 0 ? fd : direct(fd)); return 0; }\n',
  )
  const exe = join(work, `load-${t.name}`)
  const [cc, ...ccArgs] = loader.cc
  execFileSync(cc, [...ccArgs, '-o', exe, src, ...(loader.after ?? [])])
  // The probe file goes next to this package (a disk file system), not to tmpfs.
  const probe = join(packageRoot, `.prebuild-probe-${process.pid}`)
  const [runner, ...runArgs] = loader.run.length ? loader.run : [exe]
  try {
    const got = spawnSync(runner, loader.run.length ? [...runArgs, exe, path, probe] : [path, probe], {
      encoding: 'utf8',
    })
    if (got.status !== 0 || got.stdout.trim() !== `${abiVersion} 1`)
      fail(
        `${t.name}: loading it and opening a file with O_DIRECT gave "${got.stdout.trim()}${got.stderr}", expected "${abiVersion} 1"`,
      )
  } finally {
    rmSync(probe, { force: true })
  }
  return `loaded${loader.run.length ? ` under ${loader.run[0]}` : ''}, O_DIRECT open ok`
}

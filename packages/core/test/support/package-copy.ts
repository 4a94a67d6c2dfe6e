import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

// A private copy of the built @asyncdirect/core package (package.json, dist/, and the libraries
// asked for), with koffi linked in: a package directory a test may break (modes, owners,
// symlinks) to see what the loader of that copy does, in a child process.

const packageRoot = fileURLToPath(new URL('../..', import.meta.url))
/** koffi as the package resolves it (its exports do not include package.json). */
const koffiDir = realpathSync(join(packageRoot, 'node_modules', 'koffi'))

export interface PackageCopyOptions {
  /** Copy prebuilds/ (every target). */
  prebuilt: boolean
  /** Copy native/build/libasyncdirect.so (the workspace build's). */
  compiled: boolean
}

/** Copies the package into `dir` (created) and returns `dir`. */
export function copyPackage(dir: string, options: PackageCopyOptions): string {
  mkdirSync(dir, { recursive: true })
  cpSync(join(packageRoot, 'package.json'), join(dir, 'package.json'))
  cpSync(join(packageRoot, 'dist'), join(dir, 'dist'), { recursive: true })
  if (options.prebuilt) cpSync(join(packageRoot, 'prebuilds'), join(dir, 'prebuilds'), { recursive: true })
  if (options.compiled) {
    mkdirSync(join(dir, 'native', 'build'), { recursive: true })
    cpSync(
      join(packageRoot, 'native', 'build', 'libasyncdirect.so'),
      join(dir, 'native', 'build', 'libasyncdirect.so'),
    )
  }
  mkdirSync(join(dir, 'node_modules'), { recursive: true })
  symlinkSync(koffiDir, join(dir, 'node_modules', 'koffi'))
  return dir
}

/** What native-probe-child.mjs reports. */
export interface NativeProbe {
  stats: {
    directIO: boolean
    fallbackReason: string | null
    library: { path: string; origin: string } | null
  }
  events: { code: string; reason: string }[]
  /** The libasyncdirect* files mapped in the child (/proc/self/maps). */
  mapped: string[]
  /** The child's stderr (its process warnings). */
  stderr: string
}

const probeChild = fileURLToPath(new URL('../fixtures/native-probe-child.mjs', import.meta.url))

/** Opens a logger on `logFile` with the package copy in `packageDir`, in a child process. */
export function probeNative(
  packageDir: string,
  logFile: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<NativeProbe> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [probeChild, join(packageDir, 'dist', 'index.js'), logFile], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`native-probe-child exited ${code}: ${stderr}`))
      else resolve({ ...(JSON.parse(stdout) as Omit<NativeProbe, 'stderr'>), stderr })
    })
  })
}

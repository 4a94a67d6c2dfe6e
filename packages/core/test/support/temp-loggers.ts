import { afterAll, afterEach } from 'vitest'
import { TempDirs } from '../../../../test-support/temp-files.js'
import { createLogger, type IoError, type Logger, type LoggerConfig, readEntries } from '../../dist/index.js'

const temp = new TempDirs('logger')
const loggers: Logger[] = []

// Every logger a test opened is closed after it, and every directory removed, so that a failed
// assertion never leaves a flusher thread or a locked file behind for the next test.
afterEach(async () => {
  await Promise.allSettled(loggers.splice(0).map((l) => l.close()))
  temp.removeAll()
})
afterAll(() => temp.removeAll())

/** A fresh directory on the real disk, removed after the test. */
export function tempDir(): string {
  return temp.dir()
}

/** A path in a fresh directory, removed after the test. */
export function tempPath(name = 'app.log'): string {
  return temp.path(name)
}

/** createLogger, closed after the test if the test did not close it. */
export async function open(config: LoggerConfig): Promise<Logger> {
  const logger = await createLogger(config)
  loggers.push(logger)
  // createLogger() resolves while the flusher thread is still starting; the tests that use this
  // drive the flusher's protocols, so they start from a running one.
  await logger.ready()
  return logger
}

/** Every entry of a file, with the package's reader. */
export async function readBuffers(path: string): Promise<Buffer[]> {
  const out: Buffer[] = []
  for await (const entry of readEntries(path)) out.push(entry)
  return out
}

/** Every entry of a file as UTF-8 text. */
export async function readStrings(path: string): Promise<string[]> {
  return (await readBuffers(path)).map((b) => b.toString('utf8'))
}

/** Collects a logger's 'error' events (listening also keeps them from becoming warnings). */
export function errorsOf(logger: Logger): IoError[] {
  const errors: IoError[] = []
  logger.on('error', (e: IoError) => errors.push(e))
  return errors
}

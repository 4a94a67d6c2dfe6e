import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runNodeSync } from '../../../test-support/node-child.js'
import { testDir } from '../../../test-support/temp-files.js'
import { ConfigError, FileLockedError, openLogger, readEntries } from '../dist/index.js'

const dir = testDir('open')
let n = 0
const nextPath = () => join(dir, `open-${n++}.log`)

describe('openLogger (synchronous)', () => {
  it('takes entries before its flusher runs, and ready() resolves once it does', async () => {
    const path = nextPath()
    const logger = openLogger({ path })
    for (let i = 0; i < 1000; i++) expect(logger.log(`early ${i}`)).toBe(true)
    await logger.ready()
    logger.log('late')
    await logger.close()
    const got: string[] = []
    for await (const e of readEntries(path)) got.push(e.toString())
    expect(got).toEqual([...Array.from({ length: 1000 }, (_, i) => `early ${i}`), 'late'])
  })

  it('throws synchronously for a bad configuration and a file already open', () => {
    expect(() => openLogger({ path: nextPath(), numShards: 0 })).toThrow(ConfigError)
    const path = nextPath()
    const logger = openLogger({ path })
    expect(() => openLogger({ path })).toThrow(FileLockedError)
    return logger.close()
  })

  it('close() right after opening keeps the process alive until the close resolves', () => {
    const path = nextPath()
    const dist = new URL('../dist/index.js', import.meta.url).href
    const script = `import { openLogger } from '${dist}'
const l = openLogger({ path: ${JSON.stringify(path)} })
l.log('only')
await l.close()
console.log('closed')`
    const r = runNodeSync(['--input-type=module', '-e', script])
    expect(r.stderr).toBe('')
    expect(r.stdout).toBe('closed\n')
    expect(r.status).toBe(0)
  })

  it('loses nothing when the process exits right after opening, before the flusher started', () => {
    const path = nextPath()
    const r = runNodeSync([
      new URL('./fixtures/open-logger-child.mjs', import.meta.url).pathname,
      path,
      '50000',
    ])
    expect(r.status).toBe(0)
    const lines = readFileSync(path, 'utf8').split('\n')
    expect(lines.pop()).toBe('')
    expect(lines.length).toBe(50_000)
    expect(lines.every((l, i) => l === `line ${i}`)).toBe(true)
  })
})

import { afterAll, afterEach, beforeEach, describe, it } from 'vitest'

/**
 * Mocha's BDD interface (`describe`, `it`, `beforeEach`, `afterEach`, `after`) as globals backed by
 * vitest, for suites written for mocha such as winston's `abstract-winston-transport`: a function
 * taking a `done` argument becomes a promise settled by it (vitest no longer takes `done`), so a
 * test that never calls `done` times out and one that passes it an error fails.
 */
type MochaFn = ((done: (err?: unknown) => void) => unknown) | (() => unknown)

function settled(fn: MochaFn): () => unknown {
  if (fn.length === 0) return () => (fn as () => unknown)()
  return () =>
    new Promise<void>((resolve, reject) => {
      fn((err?: unknown) => (err ? reject(err) : resolve()))
    })
}

export function installMochaInterface(): void {
  Object.assign(globalThis, {
    describe: (name: string, body: () => void) => describe(name, body),
    it: (name: string, fn: MochaFn) => it(name, settled(fn)),
    beforeEach: (fn: MochaFn) => beforeEach(settled(fn)),
    afterEach: (fn: MochaFn) => afterEach(settled(fn)),
    after: (fn: MochaFn) => afterAll(settled(fn)),
  })
}

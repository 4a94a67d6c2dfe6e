import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import base from '../../test-support/vitest-base.js'

// Before anything else (the temporary directory the base config sets up included): a dist/ that
// is older than its source is built again (test/support/fresh-dist.ts).
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    globalSetup: [
      fileURLToPath(new URL('./test/support/fresh-dist.ts', import.meta.url)),
      ...[base.test?.globalSetup ?? []].flat(),
    ],
  },
})

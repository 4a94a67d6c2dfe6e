#!/usr/bin/env node
// The `asyncdirect` command. A committed file rather than dist/cli.js itself: a workspace links
// bins at install, before anything is built, and a bin pointing into dist/ would not exist yet.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write(
    'asyncdirect: the package is not built (dist/cli.js is missing); run `pnpm build` in the repository\n',
  )
  process.exit(2)
}
await import(cli.href)

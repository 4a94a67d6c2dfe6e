// Prints one closing line for the whole run, "tests: N passed, N failed[, N skipped]", from the
// JSON results vitest writes in each package (.test-results/vitest.json).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

let passed = 0
let failed = 0
let skipped = 0
for (const dir of ['packages', 'examples']) {
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, '.test-results', 'vitest.json')
    if (!existsSync(file)) continue
    const r = JSON.parse(readFileSync(file, 'utf8'))
    passed += r.numPassedTests
    failed += r.numFailedTests
    skipped += r.numPendingTests + (r.numTodoTests ?? 0)
  }
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
if (passed === 0) {
  console.error('no test ran')
  process.exit(1)
}

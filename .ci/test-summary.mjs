// Counts the tests of one run from the JSON results vitest writes in each package
// (.test-results/vitest.json) and prints them, labelled:
//   node .ci/test-summary.mjs --label "Node v22.23.5" --record .cache/ci/summary.json
// and, once every run is recorded, prints one closing line for all of them and fails when any
// test failed, a run recorded no test, or a run is missing:
//   node .ci/test-summary.mjs --total .cache/ci/summary.json --expect 3
//     -> tests: N passed, N failed[, N skipped]
// Each failed test is named, with the first line of its failure, in its run's line and again at
// the end: CI shows the end of the log, and a count alone does not say what to fix.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    label: { type: 'string' },
    record: { type: 'string' },
    total: { type: 'string' },
    expect: { type: 'string' },
  },
})

const line = (c) => `${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`

if (values.total) {
  const runs = existsSync(values.total) ? JSON.parse(readFileSync(values.total, 'utf8')) : []
  const sum = { passed: 0, failed: 0, skipped: 0 }
  let bad = false
  for (const run of runs) {
    console.log(`  ${run.label}: ${line(run)}`)
    for (const f of run.failures ?? []) console.log(`    failed: ${f}`)
    for (const k of Object.keys(sum)) sum[k] += run[k]
    if (run.passed === 0) {
      console.error(`  ${run.label}: no test ran`)
      bad = true
    }
  }
  const expected = Number(values.expect ?? runs.length)
  if (runs.length !== expected) {
    console.error(`expected ${expected} test runs, found ${runs.length}`)
    bad = true
  }
  console.log(`tests: ${line(sum)}`)
  process.exit(bad || sum.failed > 0 ? 1 : 0)
}

const counts = { label: values.label ?? 'tests', passed: 0, failed: 0, skipped: 0, failures: [] }
const firstLine = (messages) =>
  String(messages?.[0] ?? '')
    .split('\n')
    .find((l) => l.trim()) ?? ''
for (const dir of ['packages', 'examples']) {
  if (!existsSync(dir)) continue
  for (const name of readdirSync(dir)) {
    const file = join(dir, name, '.test-results', 'vitest.json')
    if (!existsSync(file)) continue
    const r = JSON.parse(readFileSync(file, 'utf8'))
    counts.passed += r.numPassedTests
    // A file that failed to load has no test to count: count it as one failure, not as nothing.
    const unloaded = (r.testResults ?? []).filter(
      (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
    ).length
    // Vitest can fail a run outside any test (a test process killed, an unhandled error): such a
    // run counts as one failure even when every test it finished passed.
    const outside = !r.success && r.numFailedTests + unloaded === 0 ? 1 : 0
    if (outside) console.error(`${file}: the run failed outside its tests (see the errors above)`)
    counts.failed += r.numFailedTests + unloaded + outside
    for (const f of r.testResults ?? []) {
      const where = f.name.slice(f.name.indexOf(`${dir}/${name}/`))
      const failed = (f.assertionResults ?? []).filter((a) => a.status === 'failed')
      for (const a of failed)
        counts.failures.push(`${where} > ${a.fullName}: ${firstLine(a.failureMessages)}`)
      if (f.status === 'failed' && failed.length === 0)
        counts.failures.push(`${where}: ${f.message?.split('\n')[0] ?? 'failed'}`)
    }
    if (outside) counts.failures.push(`${file}: the run failed outside its tests`)
    counts.skipped += r.numPendingTests + (r.numTodoTests ?? 0)
  }
}
console.log(`${counts.label}: ${line(counts)}`)
for (const f of counts.failures) console.log(`  failed: ${f}`)
if (values.record) {
  mkdirSync(dirname(values.record), { recursive: true })
  const runs = existsSync(values.record) ? JSON.parse(readFileSync(values.record, 'utf8')) : []
  writeFileSync(values.record, JSON.stringify([...runs, counts], null, 2))
}

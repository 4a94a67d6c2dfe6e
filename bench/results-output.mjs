// Writes a run's results: results/<name>.json (every run's raw figures, the summary and the
// targets), .md (the report) and .svg (the chart) and, when asked, the README's results section.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchChart } from './bench-chart.mjs'
import { markdownReport } from './markdown-report.mjs'
import { updateReadmeSection } from './readme-section.mjs'
import { summarize } from './summary.mjs'
import { checkTargets } from './targets.mjs'

const here = dirname(fileURLToPath(import.meta.url))

/**
 * Summarizes `runs`, checks the targets and writes everything. Returns the markdown report.
 * @param {{ name: string, meta: object, runs: object[], readme: boolean }} options
 */
export async function writeResults({ name, meta, runs, readme }) {
  const summary = summarize(runs)
  const targets = checkTargets(summary)
  const results = join(here, 'results')
  writeFileSync(
    join(results, `${name}.json`),
    `${JSON.stringify({ meta, targets, summary, runs }, null, 1)}\n`,
  )
  const report = markdownReport({ meta, summary, targets })
  writeFileSync(join(results, `${name}.md`), report)
  writeFileSync(join(results, `${name}.svg`), await benchChart({ meta, summary }))
  if (readme) {
    const section = `![asyncdirect benchmark chart](bench/results/${name}.svg)\n\n${markdownReport({ meta, summary, targets }, 3, { ratios: false })}`
    if (!updateReadmeSection(join(here, '..', 'README.md'), 'bench-results', section))
      console.error('README.md has no bench results markers; not updated')
  }
  return report
}

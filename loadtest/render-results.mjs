// Renders a finished load test again from its figures (results/latest.json): the report, the
// chart and the README section, with the current report code. No service runs.
//
//   node loadtest/render-results.mjs
import { readFileSync, writeFileSync } from 'node:fs'
import { updateReadmeSection } from '@asyncdirect/bench/readme-section'
import { loadtestChart, loadtestMarkdown } from './loadtest-report.mjs'

const results = new URL('./results/', import.meta.url)
const run = JSON.parse(readFileSync(new URL('latest.json', results), 'utf8'))
writeFileSync(new URL('latest.md', results), loadtestMarkdown(run))
writeFileSync(new URL('latest.svg', results), await loadtestChart(run))
const section = `![load test chart](loadtest/results/latest.svg)\n\n${loadtestMarkdown(run, 3)}`
if (!updateReadmeSection(new URL('../README.md', import.meta.url).pathname, 'loadtest-results', section))
  console.error('README.md has no load test results markers; not updated')
console.log(loadtestMarkdown(run))

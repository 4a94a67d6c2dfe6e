// Renders a finished run again from its raw figures (results/<name>.json): the report, the
// chart and the README section, with the current report code. For changes to the report, not to
// the measurements: no scenario runs.
//
//   node bench/render-results.mjs [latest|quick]
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeResults } from './results-output.mjs'

const name = process.argv[2] ?? 'latest'
const here = dirname(fileURLToPath(import.meta.url))
const { meta, runs } = JSON.parse(readFileSync(join(here, 'results', `${name}.json`), 'utf8'))
console.log(await writeResults({ name, meta, runs, readme: name === 'latest' }))

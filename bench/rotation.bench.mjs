// Size rotation's cost: logBytes of 171-byte lines from the main thread until close, with
// `rotate: { size: '64MiB' }` and without, both formats. Each run in a fresh process, the variants
// interleaved round by round; medians, and the ratio computed round by round.
//
//   node bench/rotation.bench.mjs [--lines 4000000] [--rounds 5]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '4000000' },
    rounds: { type: 'string', default: '5' },
    dir: { type: 'string' },
  },
})
const lines = Number(values.lines)
const rounds = Number(values.rounds)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-rotation-bench-'))

function run(mode, format) {
  const out = execFileSync(
    process.execPath,
    [join(here, 'rotation-scenario.mjs'), mode, format, dir, String(lines)],
    {
      encoding: 'utf8',
    },
  )
  return JSON.parse(out.trim().split('\n').pop())
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const rows = []
for (const format of ['lines', 'framed']) {
  const ratios = []
  const plain = []
  const rotated = []
  let files = 0
  for (let r = 0; r < rounds; r++) {
    const p = run('plain', format)
    const q = run('rotate', format)
    plain.push(p.ms)
    rotated.push(q.ms)
    ratios.push(p.ms / q.ms)
    if (q.written !== lines || p.written !== lines)
      throw new Error(`lost entries: ${JSON.stringify({ p, q })}`)
    files = q.files
  }
  const lps = (ms) => Math.round(lines / (median(ms) / 1000)).toLocaleString('en-US')
  rows.push({
    format,
    'no rotation lines/s': lps(plain),
    'rotate 64MiB lines/s': lps(rotated),
    files,
    'rotated / plain (median of per-round ratios)': `${(median(ratios) * 100).toFixed(0)}%`,
    'min–max': `${(Math.min(...ratios) * 100).toFixed(0)}–${(Math.max(...ratios) * 100).toFixed(0)}%`,
  })
}
rmSync(dir, { recursive: true, force: true })
console.log(
  `rotation: ${lines.toLocaleString('en-US')} lines of 171 B, logBytes from the main thread, ${rounds} rounds`,
)
console.table(rows)

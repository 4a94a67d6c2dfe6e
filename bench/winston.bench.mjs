// pnpm --filter @asyncdirect/bench winston — winston + AsyncDirectTransport against winston + its
// own File transport, writing files on the same disk, in one run: 1M entries of ~171 bytes
// (winston's json() output), logged in one burst and paced (100 per event-loop turn).
//
// Figures: lines/s end to end (first log call until the logger's 'finish': for
// AsyncDirectTransport every entry is then durable, for File it has been handed to the kernel,
// not fsynced) and main-thread ns/line (the event loop's active time over the same span, per
// line: what logging costs the application's thread). A third transport that discards every
// entry shows winston's own cost, the floor under both.
//
// Each scenario runs in a fresh process, several rounds, alternating; the table has medians.
// A benchmark, not a test: the figures depend on the machine and what else it is doing.
//
//   node winston.bench.mjs [--lines N] [--rounds R] [--dir DIR]
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const here = dirname(fileURLToPath(import.meta.url))
const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '3' },
    dir: { type: 'string' },
  },
})
const lines = Number(values.lines)
const rounds = Number(values.rounds)
const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'asyncdirect-bench-winston-'))

function run(kind, mode) {
  const out = execFileSync(
    process.execPath,
    [join(here, 'winston-scenario.mjs'), kind, mode, dir, String(lines)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  )
  return JSON.parse(out.trim().split('\n').pop())
}

const kinds = ['asyncdirect', 'file', 'discard']
const modes = ['burst', 'paced']
const results = new Map()
for (let r = 0; r < rounds; r++) {
  for (const mode of modes) {
    for (const kind of kinds) {
      const key = `${kind}-${mode}`
      const result = run(kind, mode)
      if (kind !== 'discard' && result.written !== lines) {
        throw new Error(`${key}: ${result.written} of ${lines} lines in the file`)
      }
      results.set(key, [...(results.get(key) ?? []), result])
    }
  }
}
if (!values.dir) rmSync(dir, { recursive: true, force: true })

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const figures = (key) => {
  const rs = results.get(key)
  return { ms: median(rs.map((x) => x.ms)), mainMs: median(rs.map((x) => x.mainMs)), last: rs.at(-1) }
}
const NAMES = {
  asyncdirect: 'winston + AsyncDirectTransport',
  file: 'winston + File',
  discard: "winston + discard (winston's own cost)",
}
const rows = modes.flatMap((mode) => {
  const file = figures(`file-${mode}`)
  return kinds.map((kind) => {
    const f = figures(`${kind}-${mode}`)
    const vsFile = kind === 'asyncdirect'
    return {
      scenario: `${NAMES[kind]}, ${mode}`,
      'lines/s': Math.round(lines / (f.ms / 1000)).toLocaleString('en-US'),
      'ms (median)': f.ms.toFixed(0),
      'main-thread ns/line': ((f.mainMs * 1e6) / lines).toFixed(0),
      'throughput vs File': vsFile ? `${(file.ms / f.ms).toFixed(2)}×` : '',
      'main-thread cost vs File': vsFile ? `${(f.mainMs / file.mainMs).toFixed(2)}×` : '',
      'lines in file': kind === 'discard' ? '-' : f.last.written.toLocaleString('en-US'),
      directIO: kind === 'asyncdirect' ? f.last.directIO : '-',
    }
  })
})
console.log(
  `winston ${lines.toLocaleString('en-US')} entries of ~171 bytes (json()), median of ${rounds} rounds; ` +
    `paced = 100 per event-loop turn`,
)
console.table(rows)

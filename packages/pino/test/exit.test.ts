import { readEntries, verify } from '@asyncdirect/core'
import { describe, expect, it } from 'vitest'
import { runNode } from '../../../test-support/node-child.js'
import { fixture, readLines, tempFiles } from './support/files.js'

// Child processes log 100k lines through pino and leave without closing anything: by
// process.exit(), by an uncaught exception (with a handler that logs it as fatal, and without),
// or by simply ending. Every line must be in the file, once, in order.

const files = tempFiles('exit')
const N = 100_000

interface Line {
  msg: string
  seq?: number
  err?: { message: string }
}

/** The file's lines (or framed entries), parsed. */
async function fileLines(path: string, format: string): Promise<Line[]> {
  if (format === 'lines') return readLines(path).map((l) => JSON.parse(l))
  const report = await verify(path)
  expect(report.problems).toEqual([])
  const out: Line[] = []
  for await (const e of readEntries(path)) out.push(JSON.parse(e.toString()))
  return out
}

/** Checks the N child lines are all there, in order, and returns the other lines. */
function childLines(lines: Line[], stderr: string): Line[] {
  const seqs = lines.filter((l) => l.msg === 'child line').map((l) => l.seq)
  expect(seqs.length, `child lines in the file; the child's stderr: ${stderr}`).toBe(N)
  const outOfOrder = seqs.findIndex((s, i) => s !== i)
  expect(outOfOrder, `line ${outOfOrder} is seq ${seqs[outOfOrder]}`).toBe(-1)
  return lines.filter((l) => l.msg !== 'child line')
}

const cases = [
  ['transport', 'lines'],
  ['destination', 'lines'],
  ['destination', 'framed'],
  ['transport', 'framed'],
] as const

describe.each(cases)('through the %s (%s format)', (path, format) => {
  const run = (mode: string, file: string) => runNode([fixture('exit-child.mjs'), path, mode, file, format])

  it.each(['exit', 'exit-ready'])('%s: process.exit() right after 100k lines loses none', async (mode) => {
    const file = files.next(mode)
    const r = await run(mode, file)
    expect(r.hung).toBe(false)
    expect(r.stderr).toBe('')
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({ ready: mode === 'exit-ready' })
    expect(childLines(await fileLines(file, format), r.stderr)).toEqual([])
  })

  it('end: the program ends by itself, nothing closed, none lost', async () => {
    const file = files.next('end')
    const r = await run('end', file)
    expect(r.hung, 'the child never exited: the stream keeps the event loop alive').toBe(false)
    expect(r.stderr).toBe('')
    expect(r.code, r.stderr).toBe(0)
    expect(childLines(await fileLines(file, format), r.stderr)).toEqual([])
  })

  it.each(['throw', 'throw-ready'])(
    "%s: an uncaught exception's fatal log is in the file, after every line before it",
    async (mode) => {
      const file = files.next(mode)
      const r = await run(mode, file)
      expect(r.code, r.stderr).toBe(1)
      const rest = childLines(await fileLines(file, format), r.stderr)
      expect(rest).toHaveLength(1)
      expect(rest[0]).toMatchObject({ msg: 'uncaught exception', level: 60, err: { message: 'child-boom' } })
    },
  )

  it('crash: an uncaught exception with no handler still loses no line', async () => {
    const file = files.next('crash')
    const r = await run('crash', file)
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toContain('child-boom')
    expect(childLines(await fileLines(file, format), r.stderr)).toEqual([])
  })
})

describe('through the destination, rotated just before the exit', () => {
  it.each(['lines', 'framed'])(
    'reopen() then process.exit(): the old file has the first half, the new one the rest (%s)',
    async (format) => {
      const file = files.next('rotate')
      const r = await runNode([fixture('exit-child.mjs'), 'destination', 'rotate-ready', file, format])
      expect(r.stderr).toBe('')
      expect(r.code, r.stderr).toBe(0)
      const old = (await fileLines(`${file}.1`, format)).map((l) => l.seq)
      const now = (await fileLines(file, format)).map((l) => l.seq)
      expect(old).toEqual(Array.from({ length: N / 2 }, (_, i) => i))
      expect(now).toEqual(Array.from({ length: N / 2 }, (_, i) => N / 2 + i))
    },
  )
})

describe('awaiting a destination right after creating it, with nothing else keeping the process alive', () => {
  it("end(): 'close' comes, and the line is in the file", async () => {
    const file = files.next('early-end')
    const r = await runNode([fixture('early-child.mjs'), 'end', file])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('closed\n')
    expect(readLines(file).map((l) => JSON.parse(l).msg)).toEqual(['early'])
  })

  it('reopen() then flush(cb): the callback comes, each line in its file', async () => {
    const file = files.next('early-reopen')
    const r = await runNode([fixture('early-child.mjs'), 'reopen', file])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toBe('flushed\n')
    expect(readLines(`${file}.1`).map((l) => JSON.parse(l).msg)).toEqual(['early'])
    expect(readLines(file).map((l) => JSON.parse(l).msg)).toEqual(['reopened'])
  })
})

import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { testDir } from '../../../test-support/temp-files.js'
import { createLogger, followEntries } from '../dist/index.js'
import { encodeFramed, texts } from './fixtures/cli-framed-encoder.js'
import { AFTER_A_POLL, CLI, type Result, run, sleep, start } from './support/cli-process.js'

const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string
}

const dir = testDir('cli')

let counter = 0
const tempPath = (name = 'app.log') => join(dir, `${counter++}-${name}`)
function writeTemp(bytes: Uint8Array | string, name?: string): string {
  const path = tempPath(name)
  writeFileSync(path, bytes)
  return path
}

async function engineFile(entries: string[]): Promise<string> {
  const path = tempPath()
  const logger = await createLogger({ path, format: 'framed', bufferSize: 64 * 1024, numShards: 1 })
  for (const e of entries) logger.log(e)
  await logger.close()
  return path
}

describe('cat', () => {
  it('prints the entries of an engine-written framed file one per line', async () => {
    const path = await engineFile(['first', 'second\n', '{"n":3}', ''])
    const r = await run(['cat', path])
    expect(r).toEqual({ code: 0, stdout: 'first\nsecond\n{"n":3}\n\n', stderr: '' })
  })

  it('prints the complete lines of a lines file, and warns that a partial last line was not', async () => {
    const path = writeTemp('{"a":1}\n\n{"b":2}\n{"c":')
    const r = await run(['cat', path])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('{"a":1}\n\n{"b":2}\n')
    expect(r.stderr).toContain(`warning: ${path}: the last line has no newline yet`)
  })

  it('prints several files in order, goes on past a missing one, and exits 2 naming it', async () => {
    const framed = writeTemp(encodeFramed([texts('f1', 'f2\n'), texts('f3')]).bytes)
    const lines = writeTemp('l1\nl2\n')
    const missing = join(dir, 'missing.log')
    const r = await run(['cat', framed, missing, lines, framed])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('f1\nf2\nf3\nl1\nl2\nf1\nf2\nf3\n')
    expect(r.stderr).toBe(`asyncdirect: cannot read ${missing}: ENOENT (no such file)\n`)
  })

  it('prints the intact entries of a damaged framed file and warns on stderr', async () => {
    const { bytes, blocks } = encodeFramed([texts('a', 'b'), texts('c', 'd')])
    const path = writeTemp(bytes.subarray(0, blocks[1]!.entryOffsets[1]! + 2))
    const r = await run(['cat', path])
    expect(r.code).toBe(0)
    expect(r.stdout).toBe('a\nb\nc\n')
    expect(r.stderr).toContain(`torn-block at offset ${blocks[1]!.offset}`)
    expect(r.stderr).toContain('asyncdirect verify')
  })

  it('stops quietly when the reader of the pipe goes away (cat | head -1)', async () => {
    const framed = writeTemp(
      encodeFramed(
        Array.from({ length: 400 }, (_, b) =>
          texts(...Array.from({ length: 50 }, (_, i) => `{"b":${b},"i":${i}}`)),
        ),
      ).bytes,
    )
    const lines = writeTemp(Array.from({ length: 200_000 }, (_, i) => `{"line":${i}}\n`).join(''))
    for (const path of [framed, lines]) {
      const r = await new Promise<Result>((resolve) => {
        const child = spawn(
          'bash',
          [
            '-c',
            `"$0" "$1" cat "$2" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`,
            process.execPath,
            CLI,
            path,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        )
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d) => (stdout += d))
        child.stderr.on('data', (d) => (stderr += d))
        child.on('close', (code) => resolve({ code, stdout, stderr }))
      })
      expect(r.stdout.split('\n')).toHaveLength(2)
      expect(r.stderr).toBe('status=0\n')
    }
  })
})

describe('tail', () => {
  const numbered = (n: number, prefix = 'e') => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

  it('prints the last N entries (default 10) of framed and lines files', async () => {
    const framed = writeTemp(encodeFramed([texts(...numbered(7)), texts(...numbered(8, 'x'))]).bytes)
    const lines = writeTemp(`${numbered(30).join('\n')}\n`)
    expect((await run(['tail', framed])).stdout).toBe(
      `${[...numbered(7).slice(-2), ...numbered(8, 'x')].join('\n')}\n`,
    )
    expect((await run(['tail', '-n', '3', framed])).stdout).toBe('x5\nx6\nx7\n')
    expect((await run(['tail', '--lines', '2', lines])).stdout).toBe('e28\ne29\n')
    expect((await run(['tail', '-n', '100', lines])).stdout).toBe(`${numbered(30).join('\n')}\n`)
    expect(await run(['tail', '-n', '0', lines])).toEqual({ code: 0, stdout: '', stderr: '' })
  })

  it('-f follows a lines file: appended lines, partial lines, rotation and truncation', async () => {
    const path = tempPath()
    writeFileSync(path, 'old1\nold2\nold3\n')
    const tail = start(['tail', '-f', '-n', '2', path])
    await tail.waitFor((s) => s === 'old2\nold3\n', 'the last two lines')

    appendFileSync(path, 'new1\nnew2\n')
    await tail.waitFor((s) => s.endsWith('new2\n'), 'appended lines')

    // Half a line is not an entry yet: it waits for its newline.
    appendFileSync(path, '{"half":')
    await sleep(AFTER_A_POLL)
    expect(tail.stdout).toBe('old2\nold3\nnew1\nnew2\n')
    appendFileSync(path, 'true}\n')
    await tail.waitFor((s) => s.endsWith('{"half":true}\n'), 'the completed line')

    // Rotation: renamed away (the writer adds a last line to it) and recreated.
    renameSync(path, `${path}.1`)
    appendFileSync(`${path}.1`, 'last of old\n')
    writeFileSync(path, 'first of new\n')
    await tail.waitFor((s) => s.endsWith('last of old\nfirst of new\n'), 'the rotated file')
    appendFileSync(path, 'second of new\n')
    await tail.waitFor((s) => s.endsWith('second of new\n'), 'the new file growing')

    // Truncated in place (copytruncate): read again from the start.
    truncateSync(path, 0)
    await sleep(AFTER_A_POLL)
    appendFileSync(path, 'after truncation\n')
    await tail.waitFor((s) => s.endsWith('after truncation\n'), 'the truncated file')

    expect(await tail.stop('SIGTERM')).toBe(0)
    expect(tail.stdout).toBe(
      'old2\nold3\nnew1\nnew2\n{"half":true}\nlast of old\nfirst of new\nsecond of new\nafter truncation\n',
    )
    expect(tail.stderr).toContain(`${path} has been replaced; following the new file`)
    expect(tail.stderr).toContain(`${path}: file truncated`)
  })

  it('-f follows a framed file: whole blocks only, then a new framed file after rotation', async () => {
    const path = tempPath()
    writeFileSync(path, encodeFramed([texts('b0-0', 'b0-1')]).bytes)
    const tail = start(['tail', '-f', path])
    await tail.waitFor((s) => s === 'b0-0\nb0-1\n', 'the existing entries')

    appendFileSync(
      path,
      encodeFramed([texts('b1-0'), texts('b2-0', 'b2-1')], 512, { start: statSync(path).size }).bytes,
    )
    await tail.waitFor((s) => s.endsWith('b2-1\n'), 'appended blocks')

    // A block that arrives in two writes is printed once it is whole, never half of it.
    const big = encodeFramed(
      [texts(...Array.from({ length: 40 }, (_, i) => `b3-${i}-${'x'.repeat(20)}`))],
      512,
      {
        start: statSync(path).size,
      },
    ).bytes
    appendFileSync(path, big.subarray(0, 700))
    await sleep(AFTER_A_POLL)
    expect(tail.stdout).not.toContain('b3-')
    appendFileSync(path, big.subarray(700))
    await tail.waitFor((s) => s.includes('b3-39-'), 'the completed block')
    expect(tail.stdout.split('\n').filter((l) => l.startsWith('b3-'))).toHaveLength(40)

    // An engine-written file replaces it.
    const next = await engineFile(['from the engine 1', 'from the engine 2'])
    renameSync(path, `${path}.1`)
    renameSync(next, path)
    await tail.waitFor((s) => s.endsWith('from the engine 1\nfrom the engine 2\n'), 'the new framed file')
    expect(await tail.stop('SIGINT')).toBe(0)
    expect(tail.stderr).toBe(`asyncdirect: ${path} has been replaced; following the new file\n`)
  })

  // With -f a missing file is waited for, as tail -F does: cli-tail-waits.test.ts.
  it('a missing file fails at once naming it', async () => {
    const missing = join(dir, 'nope.log')
    const r = await run(['tail', missing])
    expect(r).toEqual({
      code: 2,
      stdout: '',
      stderr: `asyncdirect: cannot read ${missing}: ENOENT (no such file)\n`,
    })
  })
})

describe('followEntries', () => {
  it('yields the last N existing entries, then new ones, and ends when aborted', async () => {
    const path = writeTemp('a\nb\nc\n')
    const controller = new AbortController()
    const got: string[] = []
    const done = (async () => {
      for await (const e of followEntries(path, { signal: controller.signal, last: 1, pollInterval: 20 })) {
        got.push(e.toString())
        if (got.length === 1) appendFileSync(path, 'd\ne')
        if (got.length === 2) setTimeout(() => controller.abort(), 100)
      }
    })()
    await done
    expect(got).toEqual(['c', 'd'])
  })
})

describe('verify', () => {
  it('exits 0 on a clean framed file, with a summary and a JSON report', async () => {
    const path = await engineFile(['one', 'two'])
    const r = await run(['verify', path])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^${path}: framed file, 2 entries in 1 block, \\d+ bytes: ok\\n$`))
    const json = await run(['verify', '--json', path])
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toEqual({
      file: path,
      format: 'framed',
      ok: true,
      entries: 2,
      blocks: 1,
      bytes: statSync(path).size,
      entryBytes: 6,
      paddingBytes: expect.any(Number),
      problems: [],
    })
  })

  it('exits 1 and prints each problem with its offset and kind', async () => {
    const { bytes, blocks } = encodeFramed([texts('a', 'b'), texts('c', 'd'), texts('e')])
    const damaged = Buffer.from(bytes)
    damaged.writeUInt32LE(1000, blocks[0]!.entryOffsets[1]!)
    const path = writeTemp(damaged.subarray(0, blocks[2]!.offset + 20))
    const r = await run(['verify', path])
    expect(r.code).toBe(1)
    const out = r.stdout.trimEnd().split('\n')
    expect(out[0]).toBe(
      `${path}: framed file, 4 entries in 3 blocks, ${blocks[2]!.offset + 20} bytes: 2 problems`,
    )
    expect(out[1]).toMatch(new RegExp(`^${path}:${blocks[0]!.entryOffsets[1]}: length-overrun: `))
    expect(out[2]).toMatch(new RegExp(`^${path}:${blocks[2]!.offset}: torn-block: `))
    const json = JSON.parse((await run(['verify', '--json', path])).stdout)
    expect(json.ok).toBe(false)
    expect(json.problems).toEqual([
      { offset: blocks[0]!.entryOffsets[1], kind: 'length-overrun', message: expect.any(String) },
      { offset: blocks[2]!.offset, kind: 'torn-block', message: expect.any(String) },
    ])
  })

  it('says a lines file is one, exit 0 when clean and 1 with NUL bytes or a partial line', async () => {
    const clean = writeTemp('{"a":1}\n{"b":2}\n')
    expect(await run(['verify', clean])).toEqual({
      code: 0,
      stdout: `${clean}: lines file (NDJSON), 2 lines, 16 bytes: ok\n`,
      stderr: '',
    })
    const damaged = writeTemp(Buffer.from('{"a":1}\n\0\0\0\0\n{"b":'))
    const r = await run(['verify', '--json', damaged])
    expect(r.code).toBe(1)
    expect(JSON.parse(r.stdout)).toMatchObject({
      format: 'lines',
      ok: false,
      entries: 2,
      problems: [
        { offset: 8, kind: 'nul-byte' },
        { offset: 13, kind: 'partial-line' },
      ],
    })
  })

  it('exits 2 on a missing or unreadable file, naming it and the reason', async () => {
    const missing = join(dir, 'gone.log')
    expect(await run(['verify', missing])).toEqual({
      code: 2,
      stdout: '',
      stderr: `asyncdirect: cannot read ${missing}: ENOENT (no such file)\n`,
    })
    const json = await run(['verify', '--json', missing])
    expect(json.code).toBe(2)
    expect(JSON.parse(json.stdout)).toEqual({
      file: missing,
      error: { code: 'ENOENT', message: 'ENOENT (no such file)' },
    })
    const directory = await run(['verify', dir])
    expect(directory.code).toBe(2)
    expect(directory.stderr).toBe(`asyncdirect: cannot read ${dir}: EISDIR (is a directory)\n`)
  })
})

describe('stats', () => {
  it('gives exact numbers for a known framed file', async () => {
    // Blocks of 512: (8 + 5 + 6 + 4) and (8 + 10) bytes used.
    const path = writeTemp(encodeFramed([texts('a', 'bc', ''), texts('日本')]).bytes)
    const r = await run(['stats', '--json', path])
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout)).toEqual({
      file: path,
      format: 'framed',
      bytes: 1024,
      entries: 4,
      blocks: 2,
      entryBytes: 9,
      averageEntryBytes: 2.25,
      framingBytes: 2 * 8 + 4 * 4,
      paddingBytes: 489 + 494,
      paddingPercent: 96,
      otherBytes: 0,
      tornBlocks: 0,
      problems: 0,
    })
    const human = await run(['stats', path])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('format:             framed')
    expect(human.stdout).toContain('entries:            4')
    expect(human.stdout).toContain('padding:            983 bytes (96%)')
    expect(human.stdout).toContain('average entry:      2.25 bytes')
    expect(human.stdout).toContain('torn blocks:        0')
  })

  it('counts torn blocks and the bytes they hold, and describes lines files', async () => {
    const { bytes, blocks } = encodeFramed([texts('a'), texts('b', 'c')])
    const torn = writeTemp(bytes.subarray(0, blocks[1]!.entryOffsets[1]! + 3))
    const s = JSON.parse((await run(['stats', '--json', torn])).stdout)
    expect(s).toMatchObject({ entries: 2, blocks: 2, tornBlocks: 1, problems: 1, otherBytes: 3 })
    const lines = JSON.parse((await run(['stats', '--json', writeTemp('ab\ncdef\n')])).stdout)
    expect(lines).toMatchObject({
      format: 'lines',
      bytes: 8,
      entries: 2,
      blocks: 0,
      entryBytes: 6,
      averageEntryBytes: 3,
      framingBytes: 2,
      paddingBytes: 0,
      paddingPercent: 0,
      otherBytes: 0,
    })
  })
})

describe('help, version and usage errors', () => {
  it('--help and help describe the tool and every command, with examples', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const r = await run(args)
      expect(r.code).toBe(0)
      expect(r.stderr).toBe('')
      for (const command of [
        'cat [-s] FILE...',
        'tail [-f] [-n N] FILE',
        'verify [--json] FILE',
        'stats [--json] FILE',
      ])
        expect(r.stdout).toContain(`asyncdirect ${command}`)
      expect(r.stdout).toContain('Examples:')
    }
    for (const command of ['cat', 'tail', 'verify', 'stats']) {
      for (const args of [
        [command, '--help'],
        [command, '-h'],
        ['help', command],
      ]) {
        const r = await run(args)
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(new RegExp(`^Usage: asyncdirect ${command} `))
        expect(r.stdout).toContain('Examples:')
        expect(r.stdout).toContain('Exit status:')
      }
    }
    expect((await run(['tail', '--help'])).stdout).toContain('-f, --follow')
    expect((await run(['verify', '--help'])).stdout).toContain('--json')
  })

  it('--version prints the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `asyncdirect ${PKG.version}\n`, stderr: '' })
    expect((await run(['-V'])).stdout).toBe(`asyncdirect ${PKG.version}\n`)
  })

  it('unknown commands and options, and missing or extra arguments, print usage and exit 2', async () => {
    const file = writeTemp('x\n')
    const cases: [string[], string][] = [
      [[], 'asyncdirect: missing command'],
      [['frobnicate'], "asyncdirect: unknown command 'frobnicate'"],
      [['--frob'], "asyncdirect: unknown option '--frob'"],
      [['help', 'frob'], "asyncdirect: unknown command 'frob'"],
      [['cat', '--frob', file], "asyncdirect: cat: Unknown option '--frob'"],
      [['cat'], 'asyncdirect: cat: missing FILE'],
      [['tail', '-n', 'ten', file], "asyncdirect: tail: invalid number of entries: 'ten'"],
      [['tail', '-n'], 'asyncdirect: tail: Option'],
      [['tail', file, file], 'asyncdirect: tail: takes one FILE, got 2'],
      [['verify'], 'asyncdirect: verify: missing FILE'],
      [['stats', '--json', '--xml', file], "asyncdirect: stats: Unknown option '--xml'"],
    ]
    for (const [args, message] of cases) {
      const r = await run(args)
      expect(r.code, args.join(' ')).toBe(2)
      expect(r.stdout).toBe('')
      expect(r.stderr.startsWith(message), `${args.join(' ')}: ${r.stderr}`).toBe(true)
      expect(r.stderr).toContain('Usage')
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })
})

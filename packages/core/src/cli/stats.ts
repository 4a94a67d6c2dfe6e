/** `asyncdirect stats [--json] FILE`: what a file holds and what its format costs. */

import { parseArgs } from 'node:util'
import { BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE } from '../format/framed.js'
import type { VerifyReport } from '../read/read-entries.js'
import { oneFile, parseOrUsage } from './args.js'
import type { Output } from './output.js'
import { commandHelp } from './usage.js'
import { verifyOrReport } from './verify.js'

/** The statistics `stats` prints (the shape of its `--json` output). */
export interface FileStats {
  file: string
  format: VerifyReport['format']
  bytes: number
  entries: number
  blocks: number
  entryBytes: number
  /** entryBytes / entries, 0 without entries. */
  averageEntryBytes: number
  /** What the format adds per entry: block headers and length prefixes, or newlines. */
  framingBytes: number
  paddingBytes: number
  /** paddingBytes as a percentage of the file's size. */
  paddingPercent: number
  /** The rest: damaged regions, skipped lines, a partial last line. */
  otherBytes: number
  tornBlocks: number
  problems: number
}

/** Runs `stats` with the arguments after the command name: 0 when read, 2 when unreadable. */
export async function runStats(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('stats', () =>
    parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }),
  )
  if (values.help) {
    await out.text(commandHelp('stats'))
    return 0
  }
  const path = oneFile('stats', positionals)
  const report = await verifyOrReport(path, values.json ?? false, out)
  if (report === null) return 2
  const stats = statsOf(path, report)
  await out.text(values.json ? `${JSON.stringify(stats, null, 2)}\n` : humanStats(stats))
  return 0
}

/** Derives the statistics from a verify report. */
export function statsOf(file: string, r: VerifyReport): FileStats {
  const framingBytes =
    r.format === 'lines' ? r.entries : r.blocks * BLOCK_HEADER_SIZE + r.entries * ENTRY_PREFIX_SIZE
  return {
    file,
    format: r.format,
    bytes: r.bytes,
    entries: r.entries,
    blocks: r.blocks,
    entryBytes: r.entryBytes,
    averageEntryBytes: r.entries === 0 ? 0 : round2(r.entryBytes / r.entries),
    framingBytes,
    paddingBytes: r.paddingBytes,
    paddingPercent: r.bytes === 0 ? 0 : round2((r.paddingBytes / r.bytes) * 100),
    otherBytes: Math.max(0, r.bytes - r.entryBytes - framingBytes - r.paddingBytes),
    tornBlocks: r.problems.filter((p) => p.kind === 'torn-block').length,
    problems: r.problems.length,
  }
}

function humanStats(s: FileStats): string {
  const percent = (n: number) => (s.bytes === 0 ? '0%' : `${round2((n / s.bytes) * 100)}%`)
  const rows: [string, string][] = [
    ['file', s.file],
    ['format', s.format],
    ['size', `${s.bytes} bytes (${(s.bytes / (1024 * 1024)).toFixed(1)} MiB)`],
    ['entries', String(s.entries)],
    ['blocks', String(s.blocks)],
    ['entry bytes', `${s.entryBytes} (${percent(s.entryBytes)})`],
    ['average entry', `${s.averageEntryBytes} bytes`],
    [
      'framing',
      `${s.framingBytes} bytes (${percent(s.framingBytes)}; ${s.format === 'lines' ? 'newlines' : 'block headers and length prefixes'})`,
    ],
    ['padding', `${s.paddingBytes} bytes (${s.paddingPercent}%)`],
    ['damaged/incomplete', `${s.otherBytes} bytes`],
    ['torn blocks', String(s.tornBlocks)],
    ['problems', s.problems === 0 ? '0' : `${s.problems} (see asyncdirect verify ${s.file})`],
  ]
  return `${rows.map(([k, v]) => `${`${k}:`.padEnd(20)}${v}`).join('\n')}\n`
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

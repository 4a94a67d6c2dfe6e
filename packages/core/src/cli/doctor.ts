/** `asyncdirect doctor [--json] [DIR]`: whether a logger writing in DIR would use O_DIRECT, and why not. */

import { statSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { UsageError } from '../errors.js'
import { parseOrUsage } from './args.js'
import { type DoctorReport, diagnose } from './doctor-report.js'
import type { Output } from './output.js'
import { commandHelp } from './usage.js'

/**
 * Runs `doctor` with the arguments after the command name: 0 when a logger in DIR would write
 * with O_DIRECT, 1 when it would fall back to buffered I/O, 2 for a usage error or a DIR that is
 * not a directory.
 */
export async function runDoctor(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('doctor', () =>
    parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }),
  )
  if (values.help) {
    await out.text(commandHelp('doctor'))
    return 0
  }
  if (positionals.length > 1)
    throw new UsageError(`takes one DIR, got ${positionals.length}: ${positionals.join(' ')}`, 'doctor')
  const dir = positionals[0] ?? '.'
  let isDir = false
  try {
    isDir = statSync(dir).isDirectory()
  } catch (err) {
    throw new UsageError(
      `cannot examine ${dir}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      'doctor',
    )
  }
  if (!isDir) throw new UsageError(`${dir} is not a directory`, 'doctor')
  const report = diagnose(dir)
  await out.text(values.json ? `${JSON.stringify(report, null, 2)}\n` : humanReport(report))
  return report.directIO ? 0 : 1
}

function humanReport(r: DoctorReport): string {
  const { library: lib, directory: dir } = r
  const rows: [string, string][] = [
    [
      'node',
      `${r.node.version} (${r.node.platform} ${r.node.arch}${r.node.libc ? ` ${r.node.libc}` : ''})${r.node.supported ? '' : ' — not supported'}`,
    ],
    ['target', lib.target ?? 'none (not Linux)'],
  ]
  if (lib.loaded) {
    rows.push(['library', lib.path ?? ''])
    rows.push(['  origin', `${lib.origin} (ABI ${lib.abiVersion})`])
  } else {
    rows.push(['library', `none loaded: ${lib.reason}`])
    rows.push(['  code', lib.code ?? ''])
  }
  for (const c of lib.candidates)
    rows.push([
      `  ${c.origin}`,
      `${c.path}: ${!c.present ? 'absent' : (c.refused ?? 'present, passes the checks')}`,
    ])
  rows.push(['prebuilt for', lib.prebuiltTargets.join(', ') || 'none'])
  rows.push(['directory', dir.path])
  const fs = dir.fileSystem
  if (fs) {
    rows.push([
      '  file system',
      `${fs.type} (statfs magic 0x${fs.magic.toString(16)}${fs.mountPoint ? `, mounted on ${fs.mountPoint} from ${fs.device}` : ''})`,
    ])
    rows.push(['  block size', `${fs.blockSize} bytes`])
  }
  if (dir.offsetAlignment !== null)
    rows.push([
      '  alignment',
      `memory ${dir.memoryAlignment}, offsets and lengths ${dir.offsetAlignment} (from ${dir.alignmentSource})`,
    ])
  rows.push([
    '  O_DIRECT',
    dir.directIO === true
      ? 'works (a test block was written)'
      : `${dir.directIO === false ? 'refused: ' : ''}${dir.reason}`,
  ])
  rows.push([
    'verdict',
    r.directIO ? 'a logger here writes with O_DIRECT' : 'a logger here falls back to buffered I/O',
  ])
  const text = rows.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join('\n')
  const advice = r.advice.map((a) => `  - ${a}`).join('\n')
  return `${text}\n${advice ? `advice:\n${advice}\n` : ''}`
}

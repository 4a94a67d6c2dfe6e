/** `asyncdirect verify [--json] FILE`: integrity check, every problem with its offset and kind. */

import { parseArgs } from 'node:util'
import { type VerifyReport, verify } from '../read/read-entries.js'
import { oneFile, parseOrUsage } from './args.js'
import { describeError, type Output, reportReadError } from './output.js'
import { progressFor } from './progress.js'
import { commandHelp } from './usage.js'

/** Runs `verify` with the arguments after the command name: 0 clean, 1 problems, 2 unreadable. */
export async function runVerify(args: string[], out: Output): Promise<number> {
  const { values, positionals } = parseOrUsage('verify', () =>
    parseArgs({
      args,
      options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    }),
  )
  if (values.help) {
    await out.text(commandHelp('verify'))
    return 0
  }
  const path = oneFile('verify', positionals)
  const report = await verifyOrReport(path, values.json ?? false, out)
  if (report === null) return 2
  await out.text(
    values.json ? `${JSON.stringify({ file: path, ...report }, null, 2)}\n` : humanReport(path, report),
  )
  return report.ok ? 0 : 1
}

/**
 * The report, or null after saying on stderr (and, with --json, on stdout as `{ file, error }`, so
 * that a script reading the JSON learns why) that the file could not be read.
 */
export async function verifyOrReport(path: string, json: boolean, out: Output): Promise<VerifyReport | null> {
  const progress = progressFor(path)
  try {
    return await verify(path, { onProgress: progress.listener })
  } catch (error) {
    progress.done()
    reportReadError(path, error)
    if (json) {
      const code = (error as NodeJS.ErrnoException).code ?? null
      await out.text(
        `${JSON.stringify({ file: path, error: { code, message: describeError(error) } }, null, 2)}\n`,
      )
    }
    return null
  } finally {
    progress.done()
  }
}

/** One summary line, then one `PATH:OFFSET: KIND: message` line per problem (grep- and editor-friendly). */
function humanReport(path: string, r: VerifyReport): string {
  const verdict = r.ok ? 'ok' : `${r.problems.length} problem${r.problems.length === 1 ? '' : 's'}`
  const what =
    r.format === 'empty'
      ? 'empty file'
      : r.format === 'lines'
        ? `lines file (NDJSON), ${r.entries} lines, ${r.bytes} bytes`
        : `framed file, ${r.entries} entries in ${r.blocks} block${r.blocks === 1 ? '' : 's'}, ${r.bytes} bytes`
  const lines = [`${path}: ${what}: ${verdict}`]
  for (const p of r.problems) lines.push(`${path}:${p.offset}: ${p.kind}: ${p.message}`)
  return `${lines.join('\n')}\n`
}

#!/usr/bin/env node

/**
 * `asyncdirect`: the command-line reader of asyncdirect log files: `cat`, `tail [-f]`, `verify`
 * and `stats`, for both file formats; and `doctor`, which tells whether O_DIRECT works. This module only dispatches; each command has its own file.
 *
 * @packageDocumentation
 */

import { runCat } from './cli/cat.js'
import { runDoctor } from './cli/doctor.js'
import { Output, warn } from './cli/output.js'
import { runStats } from './cli/stats.js'
import { runTail } from './cli/tail.js'
import { commandHelp, commandUsage, isCommandName, toolHelp, version } from './cli/usage.js'
import { runVerify } from './cli/verify.js'
import { UsageError } from './errors.js'

const COMMANDS = { cat: runCat, tail: runTail, verify: runVerify, stats: runStats, doctor: runDoctor }

/**
 * Runs the tool with `argv` (the arguments after the program name) and resolves to its exit
 * status: 0 success, 1 `verify` found problems, 2 usage error or unreadable file.
 */
export async function main(argv: string[], out: Output): Promise<number> {
  const [first, ...rest] = argv
  try {
    if (first === undefined) throw new UsageError('missing command')
    if (first === '-h' || first === '--help') {
      await out.text(toolHelp())
      return 0
    }
    if (first === '-V' || first === '--version') {
      await out.text(`asyncdirect ${version()}\n`)
      return 0
    }
    if (first === 'help') {
      const topic = rest[0]
      if (topic !== undefined && !isCommandName(topic)) throw new UsageError(`unknown command '${topic}'`)
      await out.text(topic === undefined ? toolHelp() : commandHelp(topic))
      return 0
    }
    if (first.startsWith('-')) throw new UsageError(`unknown option '${first}'`)
    if (!isCommandName(first)) throw new UsageError(`unknown command '${first}'`)
    return await COMMANDS[first](rest, out)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    const command = error.command !== undefined && isCommandName(error.command) ? error.command : undefined
    warn(command ? `${command}: ${error.message}` : error.message)
    process.stderr.write(
      command
        ? `${commandUsage(command)}\nTry 'asyncdirect ${command} --help' for more.\n`
        : `\n${toolHelp()}`,
    )
    return 2
  }
}

// A closed pipe (`asyncdirect cat big.log | head`) is the reader saying it has had enough: stop
// quietly, as cat does, rather than die with a stack trace. Any other stdout failure is reported.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0)
  warn(`cannot write to stdout: ${error.code ?? error.message}`)
  process.exit(2)
})

const out = new Output(process.stdout)
try {
  process.exitCode = await main(process.argv.slice(2), out)
  await out.flush()
} catch (error) {
  // Not a usage or read error (those are reported where they happen): a bug. Say what, briefly.
  warn(`internal error: ${(error as Error)?.stack ?? String(error)}`)
  process.exitCode = 2
}

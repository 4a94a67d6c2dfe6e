/**
 * The help texts of `asyncdirect` and its commands, and its version. Kept apart from the commands
 * so that each reads as what it does, and the texts read as a whole.
 */

import { readFileSync } from 'node:fs'

/** The commands, in the order the help lists them. */
export const COMMAND_NAMES = ['cat', 'tail', 'verify', 'stats', 'doctor'] as const

/** One of {@link COMMAND_NAMES}. */
export type CommandName = (typeof COMMAND_NAMES)[number]

const TOOL_HELP = `asyncdirect: read the log files written by @asyncdirect/core (framed or lines/NDJSON)

Usage:
  asyncdirect cat [-s] FILE...
  asyncdirect tail [-f] [-n N] FILE
  asyncdirect verify [--json] FILE
  asyncdirect stats [--json] FILE
  asyncdirect doctor [--json] [DIR]
  asyncdirect help [COMMAND]

Commands:
  cat      print every entry of each FILE, one per line; rotated files in order
  tail     print the last entries of FILE; -f keeps printing new ones
  verify   check FILE's integrity; print every problem with its byte offset
  stats    entries, blocks, bytes, padding overhead and damage of FILE
  doctor   which native library loads, and whether O_DIRECT works in DIR

Options:
  -h, --help      show this help, or a command's (asyncdirect tail --help)
  -V, --version   print the version

Each file's format is detected from its bytes, not its name. Rotated files
(app.<stamp>.<n>.log) are read oldest first; tail -f follows across rotations.
Exit status: 0 success, 1 verify found problems or doctor found O_DIRECT off,
2 usage error or unreadable file.

Examples:
  asyncdirect cat /var/log/app.log | grep ERROR
  asyncdirect cat --series /var/log/app.log
  asyncdirect tail -f -n 50 /var/log/app.log
  asyncdirect verify --json /var/log/app.log
`

const COMMAND_HELP: Record<CommandName, string> = {
  cat: `Usage: asyncdirect cat [-s] FILE...

Print every entry of each FILE to stdout, one per line. Framed entries that do
not end in a newline get one; lines files print their complete lines. Damaged
regions are skipped, with a warning on stderr (see asyncdirect verify); a last
line without its newline is not printed.

Files are printed in the order given, except the files of a rotated series
(app.<stamp>.<n>.log, the files of the configured path app.log): those are
printed oldest first (by stamp, then by number), together, where the first of
them was given, whatever order the shell listed them in. A symlink is skipped
when the file it points to is given too (the series' app.log matched by
app*.log), so no entry is printed twice; a file named twice is printed twice.

FILE as the series' symlink prints the current file only, as cat would. With
--series, each FILE stands for its whole series: every rotated file, oldest
first, then FILE itself if it is a regular file. FILE may be the configured
path (even when it does not exist) or any file of the series. Without --series,
a FILE that does not exist but has rotated files is an error that says so.

Options:
  -s, --series   print the whole rotated series of each FILE, in order
  -h, --help     show this help

Exit status: 0 success, 2 a FILE could not be read (the others are still printed).

Examples:
  asyncdirect cat app.log
  asyncdirect cat app*.log | grep '"level":"error"'
  asyncdirect cat --series /var/log/app.log
  asyncdirect cat app.log.1 app.log | head -20
`,
  tail: `Usage: asyncdirect tail [-f] [-n N] FILE

Print the last N entries of FILE (default 10). With -f, keep running and print
entries as they are appended, until interrupted (Ctrl-C or SIGTERM, exit 0).
Only complete entries are printed: a block or line still being written waits.

Like tail -F, -f follows FILE across rotations, with no entry lost or printed
twice: when FILE is renamed away and recreated (logrotate, then reopen()), or
is a symlink that moves on to a new file (rotation with symlink: true), the old
file is read to its end, then the new one from its start. The switch waits for
the new file's first entry, so entries written to the old file in between are
still printed. Rotated files skipped over between two looks are printed too.
When FILE does not exist but its rotated files do (rotation without symlink),
the newest one is read and, with -f, followed to each newer one. A truncated
FILE is read again from its start. With -f, a FILE that does not exist yet is
waited for, and printed from its start once it appears.

Options:
  -n, --lines N   how many existing entries to print first (default 10; 0 for none)
  -f, --follow    keep following FILE as it grows
  -h, --help      show this help

Exit status: 0 success, 2 FILE could not be read.

Examples:
  asyncdirect tail app.log
  asyncdirect tail -n 100 app.log
  asyncdirect tail -f -n 0 app.log
  asyncdirect tail -f /var/log/app.log
`,
  verify: `Usage: asyncdirect verify [--json] FILE

Check FILE's integrity. A framed file is checked block by block: torn blocks,
entry lengths overrunning their block, implausible headers and trailing garbage
are printed as PATH:OFFSET: KIND: message. A lines file is reported as such, with
its lines counted; NUL bytes, a partial last line and over-long lines are problems.

Options:
  --json       print the report as one JSON object:
               { file, format, ok, entries, blocks, bytes, entryBytes,
                 paddingBytes, problems: [{ offset, kind, message }] }
  -h, --help   show this help

Exit status: 0 clean, 1 problems found, 2 FILE could not be read.

Examples:
  asyncdirect verify app.log
  asyncdirect verify --json app.log | jq '.problems[].kind'
`,
  stats: `Usage: asyncdirect stats [--json] FILE

Print FILE's format, entries, blocks, size, entry bytes and average entry size,
framing (block headers and length prefixes, or newlines), padding overhead in
bytes and percent, bytes in damaged or incomplete regions, and torn blocks.

Options:
  --json       print the statistics as one JSON object
  -h, --help   show this help

Exit status: 0 success (damage is counted, not an error), 2 FILE could not be read.

Examples:
  asyncdirect stats app.log
  asyncdirect stats --json app.log
`,
  doctor: `Usage: asyncdirect doctor [--json] [DIR]

Tell whether a logger writing a file in DIR (default: the current directory)
would use O_DIRECT, and what to do when not. Prints the Node.js version and
platform; the native library loaded (its path inside the package, whether it
is the prebuilt one or one compiled at install, its ABI version), the places a
library is looked for and why one was refused; DIR's file system (type, statfs
magic, mount point, block size), the O_DIRECT alignment of its files, and the
outcome of writing one test block there with O_DIRECT (the file is removed).

Options:
  --json       print the report as one JSON object
  -h, --help   show this help

Exit status: 0 O_DIRECT works in DIR, 1 a logger there would fall back to
buffered I/O, 2 usage error or DIR is not a directory.

Examples:
  asyncdirect doctor /var/log/app
  asyncdirect doctor --json . | jq .advice
`,
}

/** The tool's help. */
export function toolHelp(): string {
  return TOOL_HELP
}

/** A command's help. */
export function commandHelp(command: CommandName): string {
  return COMMAND_HELP[command]
}

/** The first line of a command's help, `Usage: ...`, for usage errors. */
export function commandUsage(command: CommandName): string {
  return COMMAND_HELP[command].split('\n', 1)[0]!
}

/** True when `name` is a command. */
export function isCommandName(name: string): name is CommandName {
  return (COMMAND_NAMES as readonly string[]).includes(name)
}

/** The package's version, read from the package.json next to `dist/`. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return pkg.version
}

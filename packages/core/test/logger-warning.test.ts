import { expect, it } from 'vitest'
import { describeWarning, type LoggerWarning } from '../dist/index.js'

// One line per kind of 'warning' event, the text of the process warning that stands in for an
// event nobody listens to (and of the winston transport's 'warn').

it("describes each kind of 'warning' event, in the singular and the plural", () => {
  const cases: [LoggerWarning, string][] = [
    [{ type: 'fallback', reason: 'O_DIRECT refused' }, 'asyncdirect: using buffered I/O: O_DIRECT refused'],
    [{ type: 'leak', reason: 'a writer never committed' }, 'asyncdirect: a writer never committed'],
    [
      { type: 'abandoned', entries: 1, shard: 0 },
      'asyncdirect: 1 entry in shard 0 whose writer never finished copying it:',
    ],
    [
      { type: 'abandoned', entries: 3, shard: 2 },
      'asyncdirect: 3 entries in shard 2 whose writer never finished copying them:',
    ],
    [
      { type: 'abandoned', entries: 1, shard: -1 },
      'asyncdirect: an entry larger than a shard whose writer stopped',
    ],
  ]
  for (const [warning, start] of cases)
    expect(describeWarning(warning).startsWith(start), describeWarning(warning)).toBe(true)
})

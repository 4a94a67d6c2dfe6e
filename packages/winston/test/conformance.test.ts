import { createRequire } from 'node:module'
import { afterAll, expect } from 'vitest'
import { AsyncDirectTransport, type AsyncDirectTransportOptions, type LogEntry } from '../dist/index.js'
import { fileLines, removeTempDirs, tempFile } from './support/files.js'
import { installMochaInterface } from './support/mocha-interface.js'

// winston's own transport conformance suite (abstract-winston-transport, written for mocha) run
// as it is against AsyncDirectTransport. Each transport it creates is closed after its test, and
// its file must then hold exactly the entries the transport reported as 'logged'.

const MESSAGE = Symbol.for('message')
const opened: { transport: AsyncDirectTransport; logged: LogEntry[] }[] = []

/** The real transport, remembered so that each test's transports are closed and checked. */
class RecordedTransport extends AsyncDirectTransport {
  constructor(options: AsyncDirectTransportOptions) {
    super(options)
    const logged: LogEntry[] = []
    this.on('logged', (info: LogEntry) => logged.push(info))
    opened.push({ transport: this, logged })
  }
}

async function closeAndCheck(): Promise<void> {
  for (const { transport, logged } of opened.splice(0)) {
    await transport.close()
    expect(fileLines(transport.filename)).toEqual(logged.map((info) => info[MESSAGE as never]))
  }
}

installMochaInterface()
const suite = createRequire(import.meta.url)('abstract-winston-transport') as (options: object) => void
suite({
  name: 'AsyncDirectTransport',
  Transport: RecordedTransport,
  construct: () => ({ filename: tempFile() }),
  afterEach: (_options: unknown, done: (err?: unknown) => void) => closeAndCheck().then(() => done(), done),
})

afterAll(removeTempDirs)

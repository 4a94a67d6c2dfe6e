// A CommonJS application: the packages are ES modules, loaded here with require() (Node 20.19+,
// 22.13+, 24: no flag, no warning). It logs through the core, the winston transport, the pino
// destination and the pino transport (pino resolves the target by name from this file), closes
// everything, then prints as JSON what each file holds.
//
//   node app.cjs [directory]
const { once } = require('node:events')
const { mkdtempSync, readFileSync } = require('node:fs')
const { tmpdir } = require('node:os')
const { join } = require('node:path')
const { createLogger, ConfigError } = require('@asyncdirect/core')
const { destination } = require('@asyncdirect/pino')
const { AsyncDirectTransport } = require('@asyncdirect/winston')
const pino = require('pino')
const winston = require('winston')

const dir = process.argv[2] || mkdtempSync(join(tmpdir(), 'asyncdirect-commonjs-'))
const file = (name) => join(dir, name)

async function main() {
  const core = await createLogger({ path: file('core.log'), bufferSize: 1 << 20, numShards: 1 })
  for (let i = 0; i < 3; i++) core.log(JSON.stringify({ from: 'core', i }))
  await core.close()
  const { library } = core.getStatsSnapshot()

  const transport = new AsyncDirectTransport({ filename: file('winston.log'), bufferSize: 1 << 20 })
  const logger = winston.createLogger({ format: winston.format.json(), transports: [transport] })
  logger.info('from winston')
  const finished = once(logger, 'finish')
  logger.end()
  await finished

  const dest = destination({ dest: file('pino-destination.log'), bufferSize: 1 << 20 })
  pino(dest).info('from the pino destination')
  const destClosed = once(dest, 'close')
  dest.end()
  await destClosed

  const threadStream = pino.transport({
    target: '@asyncdirect/pino',
    options: { destination: file('pino-transport.log'), bufferSize: 1 << 20 },
  })
  pino(threadStream).info('from the pino transport')
  if (!threadStream.ready) await once(threadStream, 'ready')
  threadStream.ref()
  const streamClosed = once(threadStream, 'close')
  threadStream.end()
  await streamClosed

  // One copy of each module, whether required or imported: no state split between two copies.
  const imported = await import('@asyncdirect/core')
  const read = (name) =>
    readFileSync(file(name), 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line))
  console.log(
    JSON.stringify({
      node: process.version,
      dir,
      library,
      core: read('core.log'),
      winston: read('winston.log').map((e) => e.message),
      pinoDestination: read('pino-destination.log').map((e) => e.msg),
      pinoTransport: read('pino-transport.log').map((e) => e.msg),
      oneCopy:
        imported.createLogger === createLogger &&
        imported.ConfigError === ConfigError &&
        require('@asyncdirect/pino').ConfigError === ConfigError,
    }),
  )
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})

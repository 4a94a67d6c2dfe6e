import { ConfigError } from '@asyncdirect/core'
import { afterEach, describe, expect, it } from 'vitest'
import winston from 'winston'
import { AsyncDirectTransport, type AsyncDirectTransportOptions } from '../dist/index.js'
import { removeTempDirs, tempFile } from './support/files.js'

afterEach(removeTempDirs)

/** Constructs a transport with `options` and returns the ConfigError it threw. */
function rejected(options: unknown): ConfigError {
  let caught: unknown
  try {
    const t = new AsyncDirectTransport(options as AsyncDirectTransportOptions)
    void t.close()
  } catch (err) {
    caught = err
  }
  expect(caught).toBeInstanceOf(ConfigError)
  return caught as ConfigError
}

describe('bad options are rejected from the constructor, naming the option', () => {
  it('a missing or empty filename', () => {
    for (const options of [{}, { filename: '' }, { filename: 42 }, undefined, 'app.log']) {
      const err = rejected(options)
      expect(err.field).toBe('filename')
      expect(err.message).toContain('filename')
    }
  })

  it.each([
    ['bufferSize', 1000, 'expected an integer from 32768'],
    ['bufferSize', 8 * 4096 + 1, 'a multiple of 32768'],
    ['bufferSize', 8 * 4096 * 3 + 4096, 'does not split into numShards 8 shards'],
    ['numShards', 0, 'expected an integer from 1 to 256'],
    ['numShards', 2.5, 'expected an integer from 1 to 256'],
    ['flushInterval', 0, 'expected an integer from 1 to 3600000 milliseconds'],
    ['flushTimeout', -1, 'expected an integer from 0 to 60000 milliseconds'],
    ['useMMap', 'yes', 'expected true or false'],
    ['backpressure', 'wait', "expected one of 'block', 'drop'"],
    ['fileFormat', 'csv', "expected one of 'framed', 'lines'"],
    ['directIO', 1, 'expected true or false'],
    ['dsync', null, 'expected true or false'],
    ['mkdir', 'no', 'expected true or false'],
    ['mode', 0o10000, 'expected an integer from 0 to 4095'],
    ['level', 3, 'expected a level name'],
    ['silent', 'true', 'expected true or false'],
    ['handleExceptions', 1, 'expected true or false'],
    ['handleRejections', 'yes', 'expected true or false'],
    ['format', { notAFormat: true }, 'expected a logform format'],
  ])('%s: %j', (option, value, expected) => {
    const err = rejected({ filename: tempFile(), [option]: value })
    expect(err.field).toBe(option)
    expect(err.message).toContain(`config.${option}`)
    expect(err.message).toContain(expected)
  })

  it("a string format points to fileFormat (winston's format is a logform format)", () => {
    const err = rejected({ filename: tempFile(), format: 'framed' })
    expect(err.field).toBe('format')
    expect(err.message).toContain("fileFormat: 'framed'")
  })

  it('an unknown option, with a hint when it is a File transport option', () => {
    const typo = rejected({ filename: tempFile(), bufferSzie: 4096 })
    expect(typo.field).toBe('bufferSzie')
    expect(typo.message).toContain('unknown option')
    expect(typo.message).toContain('bufferSize')
    const stream = rejected({ filename: tempFile(), stream: process.stdout })
    expect(stream.field).toBe('stream')
    expect(stream.message).toContain('winston.transports.Stream')
    const naming = rejected({ filename: tempFile(), rotationFormat: () => '-x' })
    expect(naming.field).toBe('rotationFormat')
    expect(naming.message).toContain('named by date and number')
  })

  it('undefined values mean the default', async () => {
    const t = new AsyncDirectTransport({ filename: tempFile(), bufferSize: undefined, level: undefined })
    expect(t.fileFormat).toBe('lines')
    await t.close()
  })

  it('valid options are accepted and reach the core logger', async () => {
    const t = new AsyncDirectTransport({
      filename: tempFile(),
      bufferSize: 2 * 65536,
      numShards: 2,
      flushInterval: 50,
      flushTimeout: 5,
      useMMap: true,
      backpressure: 'drop',
      fileFormat: 'framed',
      directIO: false,
      dsync: false,
      mkdir: true,
      mode: 0o600,
      level: 'warn',
      silent: false,
      format: winston.format.json(),
      handleExceptions: false,
      handleRejections: false,
    })
    await t.ready()
    expect(t.level).toBe('warn')
    expect(t.logger?.getShardStats().map((s) => s.capacity)).toEqual([65536, 65536])
    expect(t.stats.directIO).toBe(false)
    await t.close()
  })
})

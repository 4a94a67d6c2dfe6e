import { ConfigError } from '@asyncdirect/core'
import { describe, expect, it } from 'vitest'
import { toCoreConfig } from '../dist/options.js'

// The adapters' options → the core's configuration.

describe('toCoreConfig', () => {
  it("names the file with the adapter's key and defaults the format to 'lines'", () => {
    expect(toCoreConfig({ destination: '/tmp/a.log' }, 'destination')).toEqual({
      path: '/tmp/a.log',
      format: 'lines',
      mode: 0o666,
    })
    expect(toCoreConfig({ dest: '/tmp/a.log', format: undefined }, 'dest')).toEqual({
      path: '/tmp/a.log',
      format: 'lines',
      mode: 0o666,
    })
  })

  it('passes every core option through, and leaves out undefined ones', () => {
    const options = {
      dest: '/tmp/a.log',
      bufferSize: 1 << 20,
      numShards: 2,
      flushInterval: 100,
      flushTimeout: 5,
      useMMap: true,
      format: 'framed' as const,
      backpressure: 'drop' as const,
      directIO: false,
      dsync: false,
      mode: 0o600,
      mkdir: true,
    }
    const { dest, ...core } = options
    expect(toCoreConfig({ ...options, mkdir: undefined }, 'dest')).toEqual({
      ...core,
      mkdir: undefined,
      path: dest,
    })
    expect('mkdir' in toCoreConfig({ ...options, mkdir: undefined }, 'dest')).toBe(false)
  })

  it("ignores the keys pino and thread-stream add to a transport target's options", () => {
    const options = {
      destination: '/tmp/a.log',
      $context: { threadStreamVersion: '4' },
      pinoWillSendConfig: true,
    }
    expect(toCoreConfig(options, 'destination')).toEqual({ path: '/tmp/a.log', format: 'lines', mode: 0o666 })
  })

  it('throws a ConfigError naming the option', () => {
    const field = (f: () => unknown): string => {
      try {
        f()
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError)
        return (err as ConfigError).field
      }
      throw new Error('did not throw')
    }
    expect(field(() => toCoreConfig(null, 'dest'))).toBe('dest')
    expect(field(() => toCoreConfig('x', 'destination'))).toBe('destination')
    expect(field(() => toCoreConfig({}, 'destination'))).toBe('destination')
    expect(field(() => toCoreConfig({ dest: 42 }, 'dest'))).toBe('dest')
    expect(field(() => toCoreConfig({ dest: '/a', path: '/b' }, 'dest'))).toBe('path')
    expect(field(() => toCoreConfig({ dest: '/a', bufferSzie: 1 }, 'dest'))).toBe('bufferSzie')
  })
})

import type { Transform, TransformCallback } from 'node:stream'
import { parentPort, workerData } from 'node:worker_threads'
import { ConfigError, type FallbackEvent, type LoggerConfig, openLogger } from '@asyncdirect/core'
import build from 'pino-abstract-transport'
import { ChunkRelay } from './chunk-relay.js'
import { LineSplitter } from './line-splitter.js'
import { type CoreOptions, toCoreConfig } from './options.js'

/** Options of the transport target: `pino.transport({ target: '@asyncdirect/pino', options })`. */
export interface TransportOptions extends CoreOptions {
  /** The log file (required). Created when missing; an existing file is appended to. */
  destination: string
  /**
   * As `pino/file`'s: `false` empties an existing file when the transport opens it, once the core
   * holds its lock (a file another logger writes is never emptied: the open fails first). Not with
   * `rotate`. Default true.
   */
  append?: boolean
}

/**
 * The stream the target hands to thread-stream (or to pino's `targets`/`pipeline` machinery), with
 * `flush(cb)` so that `logger.flush(cb)` on the main thread calls back once the lines it wrote
 * are durable.
 */
export type TransportStream = Transform & {
  /** Calls back when every line written so far is durable in the file. */
  flush(cb: (err?: Error | null) => void): void
}

/**
 * The transport target: pino loads it in its worker thread and calls it with the `options` given
 * to `pino.transport()`. Each line pino wrote becomes one entry of the core logger, byte for byte
 * (in the `'lines'` format the file holds exactly pino's output).
 *
 * The stream is pino-abstract-transport's, which gives it the lifecycle pino expects (ending and
 * destroying it closes the logger). Its line handling is replaced: pino-abstract-transport would
 * decode each chunk to a string, split it, and push every line through the stream's readable
 * side, which costs more per line than logging it; a file sink has no reader. Here the bytes are
 * cut into lines and each is copied once into the logger (line-splitter.ts).
 *
 * Ending the stream (`transport.end()`, pino's exit handling) closes the logger: `'finish'` and
 * `'close'` come only after every line is durable.
 *
 * When the logger writes without O_DIRECT, the stream `pino.transport()` returned in the main
 * thread emits `'fallback'` with the core's {@link FallbackEvent}: thread-stream re-emits there
 * the `{ code: 'EVENT', name, args }` messages its worker posts.
 * @throws {ConfigError} naming the option when an option is missing or invalid.
 */
export default async function asyncdirectTransport(options: TransportOptions): Promise<TransportStream> {
  const logger = openLogger(transportConfig(options))
  // Listening before the core announces a fallback (next tick): the main thread hears it, and the
  // worker prints no warning of its own.
  const port = threadStreamPort()
  logger.on('fallback', (e: FallbackEvent) => {
    port?.postMessage({ code: 'EVENT', name: 'fallback', args: [{ code: e.code, reason: e.reason }] })
  })
  try {
    await logger.ready()
  } catch (err) {
    await logger.close().catch(() => {})
    throw err
  }
  const lines = new LineSplitter(logger)
  const relay = new ChunkRelay(lines)
  const stream = build(
    (source) => {
      // Nothing is ever pushed, but the readable side must flow for 'end', and so for the
      // destroy (and 'close') that follow 'finish'.
      source.resume()
    },
    {
      metadata: false,
      close: async (err: Error) => {
        await logger.close()
        if (err) throw err
      },
    },
  ) as unknown as TransportStream
  // thread-stream's worker hands over text it decoded from the shared buffer; left as text, it is
  // encoded once, into the shards, instead of into a Buffer first (a Writable's default).
  const writable = stream as unknown as { _writableState: { decodeStrings: boolean } }
  writable._writableState.decodeStrings = false
  stream._transform = (chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback) => {
    relay.accept(chunk, done)
  }
  // 'finish' waits for the logger to close, not only 'close': pino's `pipeline` wrapper ends on
  // the last stream's 'finish', and its worker exits soon after.
  stream._flush = (done: TransformCallback) => {
    relay.settle()
    lines.end()
    logger.close().then(() => done(), done)
  }
  stream.flush = (cb) => {
    relay.settle()
    logger.flush().then(() => cb(), cb)
  }
  // A signal the application handles (see the core's flushOnSignal): the core flushes what it
  // holds, but lines the main thread wrote before the signal may still be in thread-stream's
  // buffer. They are flushed once this worker has taken them.
  const ring = threadStreamRing()
  logger.on('signal', () => {
    // Bounded: an ending stream moves the offsets to markers that never become equal.
    let turns = 0
    const whenTaken = (): void => {
      if (ring !== null && !ring.drained() && !stream.writableEnded && turns++ < 10_000)
        setImmediate(whenTaken)
      else stream.flush(() => {})
    }
    whenTaken()
  })
  return stream
}

/**
 * thread-stream's shared state, when this runs in its worker: the main thread's write offset and
 * this worker's read offset (Int32 slots 4 and 8 of `workerData.stateBuf`, thread-stream's
 * lib/indexes.js). The worker writes a chunk to this stream before it moves the read offset, so
 * equal offsets mean every line the main thread put in the buffer is in this stream.
 */
function threadStreamRing(): { drained(): boolean } | null {
  const data = workerData as { stateBuf?: unknown } | null
  if (!(data?.stateBuf instanceof SharedArrayBuffer)) return null
  const state = new Int32Array(data.stateBuf)
  return { drained: () => Atomics.load(state, 8) === Atomics.load(state, 4) }
}

/**
 * The port to thread-stream's stream in the main thread, when this runs in thread-stream's worker
 * (its workerData holds the shared state buffer); null elsewhere, where such a message would mean
 * nothing to the parent.
 */
function threadStreamPort(): typeof parentPort {
  const data = workerData as { stateBuf?: unknown } | null
  return data?.stateBuf instanceof SharedArrayBuffer ? parentPort : null
}

/** The core's configuration for the transport's options: `append: false` is the core's `truncate`. */
function transportConfig(options: TransportOptions): LoggerConfig {
  const { append, ...rest } = (options ?? {}) as TransportOptions
  const config = toCoreConfig(rest, 'destination')
  if (append === undefined || append === true) return config
  if (append !== false) throw new ConfigError('append', `expected true or false, got ${String(append)}`)
  if (config.rotate !== undefined)
    throw new ConfigError(
      'append',
      'false empties the file at open; the files of a rotated series are never emptied: drop one of append and rotate',
    )
  return { ...config, truncate: true }
}

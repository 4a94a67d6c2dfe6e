/**
 * @asyncdirect/winston: a winston transport that writes through an asyncdirect logger. Switch
 * by changing one line: `new winston.transports.File({ filename })` becomes
 * `new AsyncDirectTransport({ filename })`.
 *
 * @packageDocumentation
 */
import { AsyncDirectTransport } from './transport.js'

export type { FlushMetrics, LogFormat, StatsSnapshot } from '@asyncdirect/core'
export { ConfigError, FileLockedError, IoError } from '@asyncdirect/core'
export type { FileStreamOptions, FileTransportOptions } from './file-options.js'
export type { LogEntry } from './log-entry.js'
export type { QueriedEntry, QueryOptions } from './log-query.js'
export type { EntryStream, StreamOptions } from './log-stream.js'
export type { AsyncDirectTransportOptions, WinstonFormat } from './options.js'
export { AsyncDirectTransport, type QueryCallback, type WriteRequest } from './transport.js'
export default AsyncDirectTransport

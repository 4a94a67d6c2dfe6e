/**
 * @asyncdirect/pino: pino logging through asyncdirect's lock-free, O_DIRECT file logger, two ways.
 *
 * - The default export is a transport target, for pino's worker thread:
 *   `pino(pino.transport({ target: '@asyncdirect/pino', options: { destination: '/var/log/app.log' } }))`
 * - {@link destination} is an in-process stream, no worker hop:
 *   `pino(destination({ dest: '/var/log/app.log' }))`
 *
 * Both write pino's lines unchanged, one core entry per line, in the `'lines'` format (NDJSON) by
 * default, and accept every option of the core logger.
 *
 * @packageDocumentation
 */
export { ConfigError, type LogFormat } from '@asyncdirect/core'
export { destination } from './destination.js'
export type { DestinationOptions, SonicBoomOptions } from './destination-options.js'
export { AsyncDirectDestination } from './file-destination.js'
export type { CoreOptions } from './options.js'
export { DestinationClosedError, DestinationNotOpenError, InvalidArgumentError } from './stream-errors.js'
export { default, type TransportOptions, type TransportStream } from './transport.js'

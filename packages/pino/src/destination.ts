import type { SonicBoom } from 'sonic-boom'
import { type DestinationOptions, planDestination } from './destination-options.js'
import { fdDestination } from './fd-destination.js'
import { AsyncDirectDestination } from './file-destination.js'

/**
 * `pino.destination()`, over asyncdirect: a file path (or options with `dest`) gives an
 * {@link AsyncDirectDestination} writing through the core logger; a file descriptor (`1`, `2`,
 * `{ fd }`, a string of digits, or nothing at all: stdout, as pino's) gives a plain SonicBoom,
 * since O_DIRECT needs a regular file.
 *
 * ```js
 * import pino from 'pino'
 * import { destination } from '@asyncdirect/pino'
 * const logger = pino(destination({ dest: '/var/log/app.log' }))
 * ```
 * @throws {ConfigError} naming the option: an invalid value, an unknown key. With `sync: true`,
 * also the {@link IoError} or {@link FileLockedError} of a file that cannot be opened (as
 * SonicBoom throws); otherwise those arrive as an `'error'` event.
 */
export function destination(options: DestinationOptions & { dest: string }): AsyncDirectDestination
export function destination(options: string): AsyncDirectDestination
export function destination(
  options?: DestinationOptions | string | number,
): AsyncDirectDestination | SonicBoom
export function destination(
  options?: DestinationOptions | string | number,
): AsyncDirectDestination | SonicBoom {
  const plan = planDestination(options)
  if (plan.kind === 'fd') return fdDestination(plan.fd, plan.options)
  return new AsyncDirectDestination(plan.config, plan.sonic)
}

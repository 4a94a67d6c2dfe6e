import { AsyncDirectError, InvalidArgumentError as CoreInvalidArgumentError } from '@asyncdirect/core'

/**
 * A call on a destination that `end()` or `destroy()` has closed: where SonicBoom throws
 * `'SonicBoom destroyed'`, the destination throws this.
 */
export class DestinationClosedError extends AsyncDirectError {
  override readonly name = 'DestinationClosedError'
  declare readonly code: 'ASYNCDIRECT_DESTINATION_CLOSED'

  constructor(op: string, path: string) {
    super(
      'ASYNCDIRECT_DESTINATION_CLOSED',
      `asyncdirect: ${op}() on a closed destination (${path}); it accepts nothing after destroy() or its 'close'`,
    )
  }
}

/** An argument of a destination's method that is not what it accepts (SonicBoom throws too). */
export class InvalidArgumentError extends CoreInvalidArgumentError {
  override readonly name = 'InvalidArgumentError'

  constructor(op: string, message: string) {
    super(`asyncdirect: ${op}: ${message}`)
  }
}

/** `flushSync()` before the file could be opened (SonicBoom: 'sonic boom is not ready yet'). */
export class DestinationNotOpenError extends AsyncDirectError {
  override readonly name = 'DestinationNotOpenError'
  declare readonly code: 'ASYNCDIRECT_DESTINATION_NOT_OPEN'

  constructor(op: string, path: string, cause: Error | undefined) {
    super(
      'ASYNCDIRECT_DESTINATION_NOT_OPEN',
      `asyncdirect: ${op}(): ${path} is not open${cause ? `: ${cause.message}` : ''}`,
      { cause },
    )
  }
}

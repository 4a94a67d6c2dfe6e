import tripleBeam from 'triple-beam'
import type { WinstonFormat } from './options.js'

/** A winston `info` object, as formats pass it along. */
export type LogEntry = Parameters<WinstonFormat['transform']>[0]

const { MESSAGE } = tripleBeam

/** The entry's text: `info[MESSAGE]`, which winston's finalizing formats (json, printf, ...) set. */
export function messageOf(info: LogEntry): string {
  const message = info[MESSAGE]
  return typeof message === 'string' ? message : unformatted(info)
}

/**
 * A format chain without a finalizing format leaves no `MESSAGE`; write the entry as JSON
 * rather than the word `undefined` (what winston's File transport writes then).
 */
function unformatted(info: LogEntry): string {
  try {
    return JSON.stringify(info)
  } catch {
    return String(info.message)
  }
}

/** The entry winston's exception or rejection handler logs for the error it caught. */
export function isHandlerEntry(info: LogEntry): boolean {
  return info.exception === true || info.rejection === true
}

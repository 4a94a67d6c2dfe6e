/**
 * @asyncdirect/core: a file logger whose writers never make a syscall. Entries are copied into
 * sharded, block-aligned buffers with one compare-and-swap each; full buffer sets are swapped out
 * and written by a flusher thread with O_DIRECT | O_DSYNC.
 *
 * @packageDocumentation
 */
export { AttachedWriter, attach } from './attach.js'
export {
  type BackpressurePolicy,
  ConfigError,
  defaultConfig,
  type LogFormat,
  type LoggerConfig,
  type ResolvedConfig,
} from './config.js'
export { IoError } from './errno-name.js'
export {
  alignUp,
  BLOCK_HEADER_SIZE,
  ENTRY_PREFIX_SIZE,
  MIN_BLOCK_ALIGNMENT,
} from './framed-format.js'
export {
  type FormatProblem,
  type FormatProblemKind,
  type ReadEntriesOptions,
  readEntries,
  type VerifyReport,
  verify,
} from './framed-reader.js'
export { FileLockedError } from './log-file.js'
export { createLogger, Logger } from './logger.js'
export type { LoggerHandle } from './logger-handle.js'
export type { FlushMetrics, ShardStats, StatsSnapshot } from './stats.js'

/**
 * @asyncdirect/core: a file logger whose writers never make a syscall. Entries are copied into
 * sharded, block-aligned buffers with one compare-and-swap each; full buffer sets are swapped out
 * and written by a flusher thread with O_DIRECT | O_DSYNC.
 *
 * @packageDocumentation
 */

export {
  type BackpressurePolicy,
  CONFIG_KEYS,
  defaultConfig,
  type LogFormat,
  type LoggerConfig,
  type ReopenSignal,
  type ResolvedConfig,
  type ResolvedRotation,
  type RotateOptions,
  resolveConfig,
} from './config.js'
export {
  AsyncDirectError,
  ConfigError,
  FileLockedError,
  FileShrankError,
  InvalidArgumentError,
  IoError,
  type LockHolder,
  NativeError,
  type NativeErrorCode,
  StateError,
  type StateErrorCode,
} from './errors.js'
export type {
  FormatProblem,
  FormatProblemKind,
  FramedProblemKind,
  LinesProblemKind,
  ProblemListener,
} from './format/problem.js'
export { AttachedWriter, attach } from './logger/attach.js'
export { announceFallback, type FallbackEvent } from './logger/fallback-event.js'
export { Logger } from './logger/logger.js'
export { createLogger, openLogger } from './logger/open-logger.js'
export { describeWarning, type LoggerWarning } from './logger/report-delivery.js'
export type { ProgressListener } from './read/chunked-file.js'
export { type FollowOptions, followEntries } from './read/file-follower.js'
export { detectFormat, detectFormatFromBytes, type LogFileFormat } from './read/format-detect.js'
export { DEFAULT_MAX_LINE_BYTES, type ReadLinesOptions, readLines } from './read/lines-reader.js'
export {
  type ReadEntriesOptions,
  readEntries,
  type VerifyOptions,
  type VerifyReport,
  verify,
} from './read/read-entries.js'
export type { RotateReason } from './shared/flush-context.js'
export type { UnsafeCheck } from './shared/library-safety.js'
export type { LoggerHandle } from './shared/logger-handle.js'
export type { LibraryInfo, LibraryOrigin, NativeFailureCode } from './shared/native-library.js'
export type { FlushMetrics, ShardStats, StatsSnapshot } from './shared/stats.js'

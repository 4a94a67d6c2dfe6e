/**
 * @asyncdirect/core: a file logger whose writers never make a syscall. Entries are copied into
 * sharded, block-aligned buffers with one compare-and-swap each; full buffer sets are swapped out
 * and written by a flusher thread with O_DIRECT | O_DSYNC.
 *
 * @packageDocumentation
 */
export { AttachedWriter, attach } from './attach.js'
export { FileShrankError, type ProgressListener } from './chunked-file.js'
export {
  type BackpressurePolicy,
  ConfigError,
  defaultConfig,
  type LogFormat,
  type LoggerConfig,
  type ReopenSignal,
  type ResolvedConfig,
  type ResolvedRotation,
  type RotateOptions,
  resolveConfig,
} from './config.js'
export { IoError } from './errno-name.js'
export { announceFallback, type FallbackEvent } from './fallback-event.js'
export { type FollowOptions, followEntries } from './file-follower.js'
export {
  compareSeriesFiles,
  listSeries,
  parseSeriesPath,
  type SeriesFile,
  seriesOfPath,
  seriesPath,
} from './file-series.js'
export type { RotateReason } from './flush-context.js'
export { detectFormat, detectFormatFromBytes, type LogFileFormat } from './format-detect.js'
export type {
  FormatProblem,
  FormatProblemKind,
  FramedProblemKind,
  LinesProblemKind,
  ProblemListener,
} from './format-problem.js'
export {
  alignUp,
  BLOCK_HEADER_SIZE,
  ENTRY_PREFIX_SIZE,
  MIN_BLOCK_ALIGNMENT,
} from './framed-format.js'
export type { UnsafeCheck } from './library-safety.js'
export { DEFAULT_MAX_LINE_BYTES, type ReadLinesOptions, readLines } from './lines-reader.js'
export type { LockHolder } from './lock-holder.js'
export { FileLockedError } from './log-file.js'
export { createLogger, Logger, openLogger } from './logger.js'
export type { LoggerHandle } from './logger-handle.js'
export type { LibraryInfo, LibraryOrigin, NativeFailureCode } from './native-library.js'
export {
  type ReadEntriesOptions,
  readEntries,
  type VerifyOptions,
  type VerifyReport,
  verify,
} from './read-entries.js'
export type { FlushMetrics, ShardStats, StatsSnapshot } from './stats.js'

import { type LoggerConfig, resolveConfig, rotates } from '../config.js'
import { ConfigError } from '../errors.js'
import { basePathOf, type OpenLogFile, openLogFile, releaseLogFile } from '../file/log-file.js'
import { chooseSeriesFile, type SeriesChoice } from '../file/rotation.js'
import { BLOCK_HEADER_SIZE } from '../format/framed.js'
import {
  ACTIVE_GEN,
  ALIGNMENT,
  BUFFERED_FD,
  type ControlBlock,
  createControlBlock,
  DIRECT_IO,
  F_FILE_OFFSET,
  F_FILE_STAMP,
  F_NEXT_ROTATE_AT,
  FILE_FD,
  FILE_SEQ,
  FLUSHER_STATE,
  FlusherState,
  LOCK_FD,
  RESERVED,
  SEALED,
  SET_GEN,
  SET_STATE,
  SetState,
  shardWord,
  TAIL_LEN,
} from '../shared/control-block.js'
import type { LoggerHandle } from '../shared/logger-handle.js'
import { libraryInfo, loadNative, type NativeLoad } from '../shared/native-library.js'
import { allocateShards, releaseShards, type ShardMemoryDescriptor } from '../shared/shard-memory.js'
import { announceFallback, type FallbackEvent } from './fallback-event.js'
import { startFlusher } from './flusher-start.js'
import { Logger } from './logger.js'
import { deliverReport } from './report-delivery.js'
import { openThreadView } from './thread-view.js'

/**
 * Opens (creating or appending to) a log file and starts its flusher thread. Resolves as soon as
 * the logger takes entries: the file is open and locked and the buffers are reserved. The flusher
 * thread is still starting (a worker thread takes tens of milliseconds to boot); entries logged
 * meanwhile wait in the buffers, and `logger.ready()` resolves once it runs. Should it fail to
 * start, writers and `close()` write from their own threads (a process warning says so) and
 * `ready()` rejects.
 * @throws {ConfigError} for an invalid configuration, naming the field and the accepted range.
 * @throws {IoError} when the file cannot be opened (the errno name is the `code`).
 * @throws {FileLockedError} when another logger already writes the file.
 */
export async function createLogger(config: LoggerConfig): Promise<Logger> {
  return openLogger(config)
}

/**
 * {@link createLogger} for a constructor that must be synchronous, such as a winston transport's:
 * the same logger, returned rather than resolved. `logger.ready()` resolves when the flusher runs.
 * @throws {ConfigError} for an invalid configuration.
 * @throws {IoError} when the file cannot be opened.
 * @throws {FileLockedError} when another logger already writes the file.
 */
export function openLogger(config: LoggerConfig): Logger {
  const cfg = resolveConfig(config)
  const native = loadNative()
  const lib = native.ok ? native.lib : null
  // With rotation the configured path names a series: the file opened is one of it.
  let series: SeriesChoice | null = null
  const file = openLogFile(cfg, lib, (base) => {
    if (!rotates(cfg.rotate)) return base
    series = chooseSeriesFile(base, cfg.rotate, Date.now())
    return series.path
  })
  const base = basePathOf(cfg)
  const fallback = openFallback(cfg.directIO, native, file)
  let memory: ShardMemoryDescriptor | undefined
  try {
    const shardSize = cfg.bufferSize / cfg.numShards
    if (shardSize % file.alignment !== 0) {
      throw new ConfigError(
        'bufferSize',
        `${file.path} needs ${file.alignment}-byte alignment; each of the ${cfg.numShards} shard(s) must be a multiple of it`,
      )
    }
    // Lines: a whole set's entries (at most bufferSize) after the partial block's bytes.
    const stagingSize = cfg.format === 'lines' ? cfg.bufferSize + 2 * file.alignment : 0
    memory = allocateShards(lib, shardSize, cfg.numShards, file.memAlignment, cfg.useMMap, stagingSize)
    const ctl = createControlBlock(cfg.numShards)
    initControlBlock(ctl, file, series, cfg.rotate.interval)
    const handle: LoggerHandle = {
      kind: 'asyncdirect.handle',
      version: 1,
      control: ctl.sab,
      memory,
      path: base,
      rotate: cfg.rotate,
      mode: cfg.mode,
      directIO: cfg.directIO,
      flushTimeout: cfg.flushTimeout,
      flushInterval: cfg.flushInterval,
      writeDelay: cfg.writeDelay,
      backpressure: cfg.backpressure,
      dsync: cfg.dsync,
      format: cfg.format,
      library: lib ? libraryInfo(lib) : null,
      fallback,
    }
    const torn = file.repairedTail
    if (torn) {
      process.emitWarning(
        `asyncdirect: ${file.path}: the last block (offset ${torn.offset}) was torn by a crash; kept its ` +
          `${torn.keptEntries} complete entries and zeroed ${torn.droppedBytes} bytes of a partial one`,
        { code: 'ASYNCDIRECT_TORN_TAIL_REPAIRED' },
      )
    }
    let logger: Logger | undefined
    const thread = openThreadView(handle, (r) => (logger ? deliverReport(logger, r) : undefined))
    if (file.linesTail) {
      thread.staging?.view.set(file.linesTail, 0)
      Atomics.store(ctl.i32, TAIL_LEN, file.linesTail.length)
    }
    if (file.terminatedTail) {
      process.emitWarning(
        `asyncdirect: ${file.path} did not end with a newline; added one before the new entries`,
        {
          code: 'ASYNCDIRECT_UNTERMINATED_LINE',
        },
      )
    }
    const flusher = startFlusher(handle, ctl)
    logger = new Logger(lib, memory, thread, flusher, handle, cfg.reopenOnSignal, cfg.flushOnSignal)
    if (fallback) announceFallback(logger, fallback)
    // Symlink and retention for the file just opened (reported to the logger's listeners).
    thread.flusher().tidy()
    return logger
  } catch (err) {
    if (memory) releaseShards(lib, memory)
    releaseLogFile(file, lib, base)
    throw err
  }
}

/** Why a file opened for O_DIRECT is written without it; null when O_DIRECT is on or unasked. */
function openFallback(directIO: boolean, native: NativeLoad, file: OpenLogFile): FallbackEvent | null {
  if (!directIO) return null
  if (!native.ok) return { code: native.code, reason: native.reason }
  if (file.fallbackReason) return { code: 'ASYNCDIRECT_FS_REFUSED_DIRECT', reason: file.fallbackReason }
  return null
}

function initControlBlock(
  ctl: ControlBlock,
  file: OpenLogFile,
  series: SeriesChoice | null,
  interval: number,
): void {
  const { i32, f64, numShards } = ctl
  i32[ACTIVE_GEN] = 0
  i32[SET_STATE] = SetState.ACTIVE
  i32[SET_STATE + 1] = SetState.FREE
  i32[SET_GEN] = 0
  for (let i = 0; i < numShards; i++) {
    i32[shardWord(numShards, 0, i) + RESERVED] = BLOCK_HEADER_SIZE
    i32[shardWord(numShards, 1, i) + RESERVED] = SEALED | BLOCK_HEADER_SIZE
  }
  i32[DIRECT_IO] = file.direct ? 1 : 0
  i32[ALIGNMENT] = file.alignment
  i32[FILE_FD] = file.fd
  i32[BUFFERED_FD] = file.bufferedFd
  i32[LOCK_FD] = file.fds[0]!
  if (series) {
    i32[FILE_SEQ] = series.seq
    f64[F_FILE_STAMP] = series.stampMs
    f64[F_NEXT_ROTATE_AT] = interval > 0 ? series.stampMs + interval : 0
  }
  f64[F_FILE_OFFSET] = file.appendOffset
  i32[FLUSHER_STATE] = FlusherState.STARTING
}

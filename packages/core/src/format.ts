/**
 * `@asyncdirect/core/format`: the layout of the framed format and the names of a rotated series,
 * for tools that read or write asyncdirect files themselves. The logger and the readers need
 * none of it from their users: `readEntries`, `verify` and `asyncdirect cat` read both formats.
 *
 * ```ts
 * import { listSeries } from '@asyncdirect/core/format'
 *
 * // The files of the series configured as /var/log/app.log, in the order they were written.
 * for (const file of listSeries('/var/log/app.log')) console.log(file.path)
 * ```
 *
 * @packageDocumentation
 */
export { alignUp, BLOCK_HEADER_SIZE, ENTRY_PREFIX_SIZE, MIN_BLOCK_ALIGNMENT } from './format/framed.js'
export {
  compareSeriesFiles,
  listSeries,
  parseSeriesPath,
  type SeriesFile,
  seriesOfPath,
  seriesPath,
} from './format/series.js'

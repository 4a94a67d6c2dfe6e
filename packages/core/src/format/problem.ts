/**
 * What the readers report about damage, for both file formats: one shape so that `verify`, `cat`
 * and `tail -f` can print problems without knowing which decoder found them.
 */

/** Damage in a framed file. */
export type FramedProblemKind = 'torn-block' | 'length-overrun' | 'bad-header' | 'trailing-garbage'

/**
 * Damage in a lines file: NUL bytes (text never holds them; a zero-filled range is what a crash can
 * leave), a last line without its `'\n'` (cut short, or still being written), and a line longer
 * than the reader's bound (skipped rather than buffered without limit).
 */
export type LinesProblemKind = 'nul-byte' | 'partial-line' | 'long-line'

/** What kind of damage a reader found. */
export type FormatProblemKind = FramedProblemKind | LinesProblemKind

/** One place where a log file does not decode cleanly. */
export interface FormatProblem {
  /** Byte offset in the file where the damage starts (a block header, a length prefix, a line). */
  offset: number
  kind: FormatProblemKind
  /** Human-readable description, including the offsets involved. */
  message: string
}

/** Receives each problem as the decoder meets it, in file order. */
export type ProblemListener = (problem: FormatProblem) => void

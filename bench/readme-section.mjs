// Puts a full run's chart and tables into the root README, between two markers of its
// "Benchmarks" section (`<!-- NAME:begin -->` and `<!-- NAME:end -->`), so that the README always
// shows the figures of a real run. The load test uses it too, with markers of its own.
import { readFileSync, writeFileSync } from 'node:fs'

/** Replaces what is between the markers; returns false (and changes nothing) without them. */
export function updateReadmeSection(readmePath, name, content) {
  const beginMarker = `<!-- ${name}:begin -->`
  const endMarker = `<!-- ${name}:end -->`
  const text = readFileSync(readmePath, 'utf8')
  const begin = text.indexOf(beginMarker)
  const end = text.indexOf(endMarker)
  if (begin < 0 || end < begin) return false
  writeFileSync(readmePath, `${text.slice(0, begin + beginMarker.length)}\n${content}\n${text.slice(end)}`)
  return true
}

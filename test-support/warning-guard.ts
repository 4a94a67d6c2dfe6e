import { afterEach } from 'vitest'

// Process warnings are part of what the library promises: a test that provokes one takes it
// with takeWarnings() and asserts it; any other fails the test that emitted it, instead of being
// printed and overlooked. Warnings of other origins (Node's own) are printed as Node would.

const seen: Error[] = []

process.removeAllListeners('warning')
process.on('warning', (warning: Error & { code?: string }) => {
  if (String(warning.code ?? warning.name).startsWith('ASYNCDIRECT')) seen.push(warning)
  else
    process.stderr.write(
      `(node:${process.pid}) ${warning.code ? `[${warning.code}] ` : ''}${warning.name}: ${warning.message}\n`,
    )
})

/**
 * The asyncdirect warnings emitted and not yet taken, taken: all of them, or those with `code`
 * (and whose message contains `naming`, when given).
 */
export function takeWarnings(code?: string, naming?: string): string[] {
  const taken: string[] = []
  for (let i = 0; i < seen.length; ) {
    const w = seen[i] as Error & { code?: string }
    if ((code === undefined || w.code === code) && (naming === undefined || w.message.includes(naming))) {
      taken.push(w.message)
      seen.splice(i, 1)
    } else i++
  }
  return taken
}

afterEach(async () => {
  // Warnings are emitted on the next tick: let those of the test's last step arrive.
  await new Promise((resolve) => setImmediate(resolve))
  const left = takeWarnings()
  if (left.length > 0) throw new Error(`unasserted asyncdirect warnings:\n  ${left.join('\n  ')}`)
})

const warned = new Set<string>()

/** process.emitWarning, once per thread for each `key`: what nobody listened for is said once. */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return
  warned.add(key)
  process.emitWarning(message, { code: 'ASYNCDIRECT_WARNING' })
}

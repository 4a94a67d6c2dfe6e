import { setTimeout as sleep } from 'node:timers/promises'

// Liveness bounds, not speed checks: what these wait for takes milliseconds to a few seconds on a
// loaded machine; a deadline only turns "never" into a failure that says what did not happen.

/** Polls `condition` every `stepMs` until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 30_000,
  stepMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)
    await sleep(stepMs)
  }
}

/** Settles like `promise`, or rejects saying `what` did not finish within `timeoutMs`. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms`)), timeoutMs)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}

import { afterAll, beforeAll, type MockInstance, vi } from 'vitest'

// Probes the fuzz tests put on the readers: how many steps a decode takes, and the largest single
// allocation it makes, so that hostile input cannot make a reader loop or allocate by a length it
// read from the file.

/** A signal that never aborts and counts the decoder's steps (each loop of the decoders is one). */
export function countingSignal(): { signal: AbortSignal; steps: () => number } {
  let steps = 0
  const signal = {
    aborted: false,
    reason: undefined,
    throwIfAborted() {
      steps++
    },
    addEventListener() {},
    removeEventListener() {},
  } as unknown as AbortSignal
  return { signal, steps: () => steps }
}

/**
 * Records the largest single allocation through every public Buffer allocator while this test
 * file runs (the allocators still allocate: they are observed, not replaced).
 */
export function trackLargestAllocation(): { reset(): void; largest(): number } {
  let largest = 0
  const spies: MockInstance[] = []
  beforeAll(() => {
    for (const name of ['alloc', 'allocUnsafe', 'allocUnsafeSlow'] as const) {
      const original = Buffer[name].bind(Buffer) as (size: number, ...rest: unknown[]) => Buffer
      spies.push(
        vi.spyOn(Buffer, name).mockImplementation(((size: number, ...rest: unknown[]) => {
          if (size > largest) largest = size
          return original(size, ...rest)
        }) as never),
      )
    }
  })
  afterAll(() => {
    for (const spy of spies) spy.mockRestore()
  })
  return {
    // Clears the spies' call records too: thousands of cases would otherwise keep every one.
    reset: () => {
      largest = 0
      for (const spy of spies) spy.mockClear()
    },
    largest: () => largest,
  }
}

import { expect } from 'vitest'
import { titleFor } from './stall-reporter.js'

// Two test files run at a time, each in a process of its own: the title names the file, so that
// the stall reporter (stall-reporter.ts), in vitest's main process, stops the right one.
process.title = titleFor(expect.getState().testPath ?? 'unknown')

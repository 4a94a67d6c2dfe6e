import fc from 'fast-check'

// Property tests explore the same inputs on every run, so that the suite passes or fails on the
// code, not on the draw: FUZZ_SEED=<n> explores others (a failure prints the seed to replay).
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_201)
fc.configureGlobal({ seed: FUZZ_SEED })

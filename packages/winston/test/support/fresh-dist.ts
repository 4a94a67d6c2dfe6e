import { freshDist } from '../../../../test-support/fresh-dist.js'

// The packages these tests load, built again first if their source changed (dependencies first).
export const setup = freshDist('core', 'winston')

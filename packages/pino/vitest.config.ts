import base from '../../test-support/vitest-base.js'

export default base

// sonic-boom, the stream under pino.destination(), fed the core benchmark's line directly: the
// fastest general-purpose file sink in Node, without a logger in front. Its default is
// asynchronous (sync: false, minLength 0); the sync variant writes every line with writeSync.
// Done means its 'close': every byte handed to the kernel (page cache, not durable).
import { once } from 'node:events'
import SonicBoom from 'sonic-boom'
import { lineString } from '../line.mjs'

function sonicBoomSink(sync) {
  return async (path) => {
    const stream = new SonicBoom({ dest: path, sync })
    if (!sync) await once(stream, 'ready')
    const text = lineString()
    return {
      logOne: () => stream.write(text),
      done: async () => {
        const closed = once(stream, 'close')
        stream.end()
        await closed
      },
    }
  }
}

export const sonicBoomSinks = {
  'sonic-boom': sonicBoomSink(false),
  'sonic-boom-sync': sonicBoomSink(true),
}

// The fastify service: pino as fastify's logger (the backend's stream), per request one debug
// line in the handler and one request line when the response is sent. fastify would write two
// request lines ("incoming request" and "request completed"); its LogController keeps only the
// second, so that both frameworks write the same two lines per request. /metrics is not logged.
import Fastify, { LogController } from 'fastify'
import pino from 'pino'
import { itemBody } from './item-route.mjs'

class RequestLineController extends LogController {
  constructor() {
    super({ disableRequestLogging: (request) => request.url === '/metrics' })
  }

  incomingRequest() {}

  requestCompleted(error, request, reply) {
    if (this.isLogDisabled(request)) return
    const line = {
      req: { method: request.method, url: request.url },
      res: { statusCode: reply.statusCode },
      responseTime: reply.elapsedTime,
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}

/** @param {{ stream: object, registry: import('prom-client').Registry }} options */
export function buildFastifyApp({ stream, registry }) {
  const app = Fastify({
    loggerInstance: pino({ level: 'debug' }, stream),
    logController: new RequestLineController(),
  })
  app.get('/api/items/:id', async (request) => {
    request.log.debug({ itemId: request.params.id }, 'loading item')
    return itemBody(request.params.id)
  })
  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
  return {
    listen: async () => {
      await app.listen({ host: '127.0.0.1', port: 0 })
      return app.server.address().port
    },
    close: () => app.close(),
  }
}

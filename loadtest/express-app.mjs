// The express service: winston as its logger, per request one debug line in the handler and one
// request line when the response has been sent (the same two lines as the fastify service).
import { once } from 'node:events'
import express from 'express'
import { itemBody } from './item-route.mjs'

/** @param {{ logger: import('winston').Logger, registry: import('prom-client').Registry }} options */
export function buildExpressApp({ logger, registry }) {
  const app = express()
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType)
    res.end(await registry.metrics())
  })
  let requests = 0
  app.use((req, res, next) => {
    const start = performance.now()
    req.id = ++requests
    res.on('finish', () => {
      logger.info('request completed', {
        reqId: req.id,
        req: { method: req.method, url: req.originalUrl },
        res: { statusCode: res.statusCode },
        responseTime: performance.now() - start,
      })
    })
    next()
  })
  app.get('/api/items/:id', (req, res) => {
    logger.debug('loading item', { reqId: req.id, itemId: req.params.id })
    res.json(itemBody(req.params.id))
  })
  let server
  return {
    listen: async () => {
      server = app.listen(0, '127.0.0.1')
      await once(server, 'listening')
      return server.address().port
    },
    close: async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

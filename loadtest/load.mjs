// The load: autocannon at a fixed overall request rate for a fixed time, on loopback only.
import autocannon from 'autocannon'

/**
 * @param {{ port: number, rate: number, seconds: number, connections: number }} options
 * @returns what the clients saw: requests/s, latency percentiles (ms), failures
 */
export async function applyLoad({ port, rate, seconds, connections }) {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    requests: [{ method: 'GET', path: '/api/items/42' }],
    connections,
    overallRate: rate,
    duration: seconds,
  })
  return {
    requests: result.requests.total,
    requestsPerSec: result.requests.total / seconds,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    latencyMaxMs: result.latency.max,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }
}

// Reads the Prometheus text exposition a service's /metrics returns: the load test takes its
// process and logger figures from there, as a Prometheus server would.

/** Parses `name{label="v",...} value` lines; comments and blank lines are skipped. */
export function parsePrometheusText(text) {
  const samples = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line)
    if (!match) continue
    const labels = {}
    for (const [, key, value] of (match[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key] = value.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) })
  }
  return samples
}

/** One scrape: `value(name)` is the first sample of that name (any labels), or null. */
export async function scrape(url) {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`GET ${url}: ${response.status}`)
  const samples = parsePrometheusText(await response.text())
  return {
    samples,
    value: (name) => samples.find((s) => s.name === name)?.value ?? null,
  }
}

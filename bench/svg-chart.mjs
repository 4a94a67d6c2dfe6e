// Horizontal bar panels side by side, sharing one category axis, drawn by Vega-Lite and rendered
// to SVG by Vega without a browser. The benchmark uses it for throughput next to page-cache
// residency, the load test for requests/s next to page-cache growth: one chart style for both.
import * as vega from 'vega'
import { compile } from 'vega-lite'

/**
 * @typedef {object} Bar
 * @property {string} category  row of the chart (a scenario, a backend)
 * @property {string} panel     which panel the bar is in
 * @property {string} series    bars of one category side by side (burst, paced, ...)
 * @property {string} group     colour (asyncdirect, peer, ...)
 * @property {number} value
 * @property {number} [low]     whisker, e.g. the minimum over the rounds
 * @property {number} [high]
 * @property {string} [label]   text after the bar
 */

/**
 * @param {{ title: string, subtitle?: string, categories: string[], panels: string[], bars: Bar[] }} chart
 * @returns {Promise<string>} the SVG document
 */
export async function sideBySideBars({ title, subtitle, categories, panels, bars }) {
  const series = [...new Set(bars.map((b) => b.series))]
  const seriesCount = series.length
  // Bars, whiskers and labels share one scale; the same axis settings let Vega-Lite merge their
  // axes into one.
  const x = (field) => ({ field, type: 'quantitative', title: null, axis: { format: '~s', grid: true } })
  const spec = {
    title: { text: title, subtitle: subtitle ?? '', anchor: 'start' },
    data: { values: bars.map((b) => ({ low: b.value, high: b.value, label: '', ...b })) },
    facet: {
      column: { field: 'panel', type: 'nominal', sort: panels, title: null, header: { labelFontSize: 13 } },
    },
    spec: {
      width: 320,
      // With an offset channel the step is per bar, not per category.
      height: { step: 11 },
      encoding: {
        y: { field: 'category', type: 'nominal', sort: categories, title: null, axis: { labelLimit: 300 } },
        yOffset: { field: 'series', type: 'nominal', sort: series },
      },
      layer: [
        {
          mark: { type: 'bar', tooltip: true },
          encoding: {
            x: x('value'),
            color: { field: 'group', type: 'nominal', title: null, scale: { scheme: 'tableau10' } },
            // Series of one category told apart by shade (burst solid, paced lighter...).
            ...(seriesCount > 1 && {
              opacity: {
                field: 'series',
                type: 'nominal',
                title: null,
                sort: series,
                scale: { range: [1, 0.55, 0.3].slice(0, seriesCount) },
              },
            }),
          },
        },
        { mark: { type: 'rule', color: '#333' }, encoding: { x: x('low'), x2: { field: 'high' } } },
        {
          mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#333' },
          encoding: { x: x('high'), text: { field: 'label' } },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    config: { font: 'sans-serif', view: { stroke: null }, legend: { orient: 'bottom' } },
  }
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' })
  try {
    return await view.toSVG()
  } finally {
    view.finalize()
  }
}

// @ts-check
// One curated customer over time (uPlot): trusted accelerometer x / y / z and step-trainer
// distance on one time axis. The customer is picked from the run's curated emails.
//
//   ui/results.js ──emails──▶ renderChartControls ──▶ #customer;  a pick ──REQUEST.SERIES──▶ engine ──▶ #chart
import vendoredUPlot from '../vendor/uPlot.esm.js';
import { $, h } from './dom.js';
import { REQUEST } from '../engine/protocol.js';

/** The vendored build, typed by the uplot package's declarations. */
const uPlot = /** @type {typeof import('uplot')} */ (/** @type {unknown} */ (vendoredUPlot));
/** @type {import('uplot') | null} */
let chart = null; // the uPlot instance on the page, destroyed before the next is drawn

/** Fill the customer picker and draw the first customer (the one with the most readings). */
export function renderChartControls(engine, emails) {
  const select = $('#customer');
  select.replaceChildren(...emails.slice(0, 2000).map((e) => h('option', { value: e }, e)));
  if (emails.length) drawChart(engine, emails[0]);
  else { chart?.destroy(); chart = null; $('#chart').replaceChildren(h('div', { class: 'muted' }, 'No curated customers.')); }
}

/** Draw one customer's readings (CustomerSeries: [ms, x, y, z] and [ms, distance] rows). */
export async function drawChart(engine, email) {
  const { series } = await engine.ask(REQUEST.SERIES, { email });
  const times = [...new Set([...series.accelerometer.map((r) => r[0]), ...series.step_trainer.map((r) => r[0])])].sort((a, b) => a - b);
  const idx = new Map(times.map((t, i) => [t, i]));
  const col = () => new Array(times.length).fill(null);
  const [x, y, z, d] = [col(), col(), col(), col()];
  for (const [t, ax, ay, az] of series.accelerometer) { const i = idx.get(t); x[i] = ax; y[i] = ay; z[i] = az; }
  for (const [t, dist] of series.step_trainer) d[idx.get(t)] = dist;
  const el = $('#chart');
  chart?.destroy();
  el.replaceChildren();
  const width = Math.max(320, el.clientWidth - 20);
  chart = new uPlot({
    width, height: 280,
    scales: { x: { time: true }, dist: {} },
    series: [{}, { label: 'x', stroke: '#2f6fed', spanGaps: true }, { label: 'y', stroke: '#2f7d4f', spanGaps: true }, { label: 'z', stroke: '#b54708', spanGaps: true },
      { label: 'distance', stroke: '#6a3fb5', scale: 'dist', spanGaps: true, width: 2 }],
    axes: [{}, { label: 'acceleration' }, { side: 1, scale: 'dist', label: 'distance', grid: { show: false } }],
  }, [times.map((t) => t / 1000), x, y, z, d], el);
}

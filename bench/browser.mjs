// Browser half of the benchmark: the page in headless Chromium runs a landing folder through the
// worker/wasm engine and reports its phase timings and wasm memory. Usage:
//   node bench/browser.mjs <landing-dir> [runs=3] [decoders]   (decoders: force ?decoders=N; default: the page decides)
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/chromium.mjs';

const [dir, runsArg, decodersArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 3);
const server = await startServer(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--js-flags=--max-old-space-size=8192'] });
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/web/${decodersArg ? `?decoders=${decodersArg}` : ''}`);
    await page.waitForFunction(() => document.body.dataset.state === 'idle');
    await page.setInputFiles('#pick-folder', dir);
    await page.waitForFunction(() => !document.querySelector('#run').disabled, null, { timeout: 120_000 });
    const t0 = Date.now();
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 1_800_000, polling: 200 });
    const wall = (Date.now() - t0) / 1000;
    const r = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.querySelector('#error').textContent, last: window.stediLastRun }));
    if (r.state !== 'done') throw new Error(`run failed: ${r.error}`);
    const t = r.last.timings;
    const total = t.read_s + t.join_s + t.write_s;
    results.push({ helpers_s: t.helpers_s, own_s: t.own_s, wait_s: t.wait_s, merge_s: t.merge_s, decoders: t.decoders, mb: t.bytes / 1e6, read_s: t.read_s, join_s: t.join_s, write_s: t.write_s, total_s: total, wall_s: wall, wasm_mb: r.last.memoryBytes / 1e6 });
    const x = results.at(-1);
    console.log(`  browser run ${i + 1}: ${x.mb.toFixed(1)} MB · ${x.decoders} decode worker(s) (own share ${x.own_s?.toFixed(2)} s, others done at ${x.helpers_s?.toFixed(2)} s, waited ${x.wait_s?.toFixed(2)} s, merged ${x.merge_s?.toFixed(2)} s) · read+parse ${x.read_s.toFixed(2)} s (${(x.mb / x.read_s).toFixed(0)} MB/s) · join ${x.join_s.toFixed(2)} s · parquet ${x.write_s.toFixed(2)} s · total ${x.total_s.toFixed(2)} s = ${(x.mb / x.total_s).toFixed(0)} MB/s · wasm memory ${x.wasm_mb.toFixed(0)} MB`);
    await page.context().close();
  }
} finally {
  await browser.close();
  server.close();
}
const best = results.reduce((a, b) => (b.total_s < a.total_s ? b : a));
console.log(`BROWSER ${JSON.stringify({ dir, decoders: best.decoders, best_total_s: best.total_s, best_mbps: best.mb / best.total_s, read_mbps: best.mb / best.read_s, wasm_mb: Math.max(...results.map((r) => r.wasm_mb)) })}`);

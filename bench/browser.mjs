// Browser half of the benchmark: the page in headless Chromium runs a landing folder through the
// worker/wasm engine and reports its phase timings, its wasm memory and the peak memory of the
// whole Chromium process tree (the proportional set size, PSS, of every process under this one,
// sampled every 500 ms: reading it costs the kernel a walk of each process map, which at 100 ms
// slowed the run by ~10% on 2 cores) and the CPU time its threads used during the run (from
// /proc, before the click and after "done": the tree's total and the page's main thread, which
// competes with the workers for the cores). Usage:
//   node bench/browser.mjs <landing-dir> [runs=3] [decoders] [--expect summary.json] [--query k=v&…]
// decoders: force ?decoders=N (default: the page decides). --expect: a summary.json of the native
// CLI over the same data; every table's rows and every source's counts must equal it. --query:
// more of the page's test parameters (e.g. `split=0`, web/ui/run.js), for A/B runs.
import { readdirSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../tests/chromium.mjs';

const argv = process.argv.slice(2);
const ei = argv.indexOf('--expect');
const expect = ei >= 0 ? JSON.parse(readFileSync(argv.splice(ei, 2)[1], 'utf8')) : null;
const qi = argv.indexOf('--query');
const extra = qi >= 0 ? argv.splice(qi, 2)[1] : '';
const [dir, runsArg, decodersArg] = argv;
const query = [decodersArg ? `decoders=${decodersArg}` : '', extra].filter(Boolean).join('&');

/** The processes descended from this one (Chromium and its helpers). */
function tree() {
  const parent = new Map();
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* exited */ }
  }
  const under = (pid) => { for (let q = parent.get(pid); q; q = parent.get(q)) if (q === process.pid) return true; return false; };
  return [...parent.keys()].filter(under);
}

/** PSS in bytes of `pids` (the process list is re-read every 4th sample). */
let pids = [];
let samples = 0;
function treePss() {
  if (samples++ % 4 === 0) pids = tree();
  let bytes = 0;
  for (const pid of pids) {
    try {
      const m = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
      if (m) bytes += Number(m[1]) * 1024;
    } catch { /* exited */ }
  }
  return bytes;
}
/**
 * CPU seconds used so far by the threads of the tree: {tree, main}, `main` the renderer's main
 * thread (comm "chromium" in a `--type=renderer` process). Threads that ended (a worker
 * terminated before the reading) are missing from the second reading: `tree` is a lower bound.
 */
function cpu() {
  let tree_ = 0;
  let main = 0;
  for (const pid of tree()) {
    try {
      const renderer = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
      for (const t of readdirSync(`/proc/${pid}/task`)) {
        const st = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
        const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
        const s = (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks of 10 ms
        tree_ += s;
        if (renderer && st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')) === 'chromium') main += s;
      }
    } catch { /* exited */ }
  }
  return { tree: tree_, main };
}
const runs = Number(runsArg ?? 3);
const server = await startServer(0);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, '--js-flags=--max-old-space-size=8192'] });
const results = [];
try {
  for (let i = 0; i < runs; i++) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/web/${query ? `?${query}` : ''}`);
    await page.waitForFunction(() => document.body.dataset.state === 'idle');
    await page.setInputFiles('#pick-folder', dir);
    await page.waitForFunction(() => !document.querySelector('#run').disabled, null, { timeout: 120_000 });
    let peak = treePss();
    const sampler = setInterval(() => { peak = Math.max(peak, treePss()); }, 500);
    const cpu0 = cpu();
    const t0 = Date.now();
    await page.click('#run');
    await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state), null, { timeout: 1_800_000, polling: 200 });
    const wall = (Date.now() - t0) / 1000;
    const cpu1 = cpu();
    clearInterval(sampler);
    const r = await page.evaluate(() => ({ state: document.body.dataset.state, error: document.querySelector('#error').textContent, last: window.stediLastRun }));
    if (r.state !== 'done') throw new Error(`run failed: ${r.error}`);
    if (expect) {
      const got = r.last.summary;
      for (const [t, v] of Object.entries(expect.tables)) if (got.tables[t]?.rows !== v.rows) throw new Error(`${t}: ${got.tables[t]?.rows} rows, the CLI has ${v.rows}`);
      for (const [s, v] of Object.entries(expect.sources)) {
        for (const k of ['records_read', 'kept', 'quarantined_total']) if (got.sources[s][k] !== v[k]) throw new Error(`${s}.${k}: ${got.sources[s][k]}, the CLI has ${v[k]}`);
      }
    }
    const t = r.last.timings;
    const total = t.read_s + t.join_s + t.write_s;
    results.push({ helpers_s: t.helpers_s, own_s: t.own_s, starved_s: t.starved_s, wait_s: t.wait_s, merge_s: t.merge_s, decoders: t.decoders, mb: t.bytes / 1e6, read_s: t.read_s, join_s: t.join_s, write_s: t.write_s, total_s: total, wall_s: wall, send_s: t.send_s, own_write_s: t.own_write_s, tail_s: t.tail_s, tail_chunks: t.tail_chunks, wasm_mb: r.last.memoryBytes / 1e6, tree_mb: peak / 1e6, main_cpu_s: cpu1.main - cpu0.main, tree_cpu_s: cpu1.tree - cpu0.tree });
    const x = results.at(-1);
    console.log(`  browser run ${i + 1}: ${x.mb.toFixed(1)} MB · ${x.decoders} decode worker(s) (own share ${x.own_s?.toFixed(2)} s, waiting for bytes ${x.starved_s?.toFixed(2)} s, others done at ${x.helpers_s?.toFixed(2)} s, waited ${x.wait_s?.toFixed(2)} s, merged ${x.merge_s?.toFixed(2)} s) · read+parse ${x.read_s.toFixed(2)} s (${(x.mb / x.read_s).toFixed(0)} MB/s) · join ${x.join_s.toFixed(2)} s (landing to the writer ${x.send_s?.toFixed(2)} s) · parquet ${x.write_s.toFixed(2)} s (own tables ${x.own_write_s?.toFixed(2)} s, landing tail ${x.tail_chunks ?? 0} chunks in ${x.tail_s?.toFixed(2)} s) · total ${x.total_s.toFixed(2)} s = ${(x.mb / x.total_s).toFixed(0)} MB/s · wasm memory ${x.wasm_mb.toFixed(0)} MB · Chromium tree peak PSS ${x.tree_mb.toFixed(0)} MB · CPU: page main thread ${x.main_cpu_s.toFixed(2)} s, tree ≥ ${x.tree_cpu_s.toFixed(2)} s${expect ? ' · counts equal to the CLI\'s' : ''}`);
    await page.context().close();
  }
} finally {
  await browser.close();
  server.close();
}
const best = results.reduce((a, b) => (b.total_s < a.total_s ? b : a));
console.log(`BROWSER ${JSON.stringify({ dir, decoders: best.decoders, best_total_s: best.total_s, best_mbps: best.mb / best.total_s, read_mbps: best.mb / best.read_s, wasm_mb: Math.max(...results.map((r) => r.wasm_mb)), tree_mb: Math.max(...results.map((r) => r.tree_mb)), main_cpu_s: best.main_cpu_s, counts_checked: !!expect })}`);

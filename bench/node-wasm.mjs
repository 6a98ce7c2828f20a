// The engine alone in wasm under Node (no browser, no file API): separates the wasm decode speed
// from the page's file reading. Usage: node bench/node-wasm.mjs <landing-dir>
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initSync, Lake } from '../pkg/stedi_lake.js';
initSync({ module: readFileSync(new URL('../pkg/stedi_lake_bg.wasm', import.meta.url)) });
const dir = process.argv[2];
const files = [];
const walk = (d) => { for (const n of readdirSync(d).sort()) { const p = join(d, n); statSync(p).isDirectory() ? walk(p) : files.push(p); } };
walk(dir);
const lake = new Lake();
let bytes = 0, feedMs = 0;
const t0 = performance.now();
for (const f of files) {
  const buf = readFileSync(f);
  lake.openFile(f.slice(dir.length + 1), undefined);
  for (let off = 0; off < buf.length; off += 4 << 20) {
    const c = buf.subarray(off, off + (4 << 20));
    const t = performance.now(); lake.feed(c); feedMs += performance.now() - t;
    bytes += c.length;
  }
  lake.closeFile();
}
const t1 = performance.now();
lake.run('strict');
const t2 = performance.now();
for (const p of Lake.outputPaths().filter((p) => p.endsWith('.parquet'))) lake.output(p);
const t3 = performance.now();
console.log(`node wasm: ${(bytes / 1e6).toFixed(0)} MB  ingest ${((t1 - t0) / 1000).toFixed(2)} s (feed ${(feedMs / 1000).toFixed(2)} s = ${(bytes / 1e3 / feedMs).toFixed(0)} MB/s)  rules ${((t2 - t1) / 1000).toFixed(2)} s  parquet ${((t3 - t2) / 1000).toFixed(2)} s  total ${((t3 - t0) / 1000).toFixed(2)} s = ${(bytes / 1e3 / (t3 - t0)).toFixed(0)} MB/s`);

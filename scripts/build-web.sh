#!/usr/bin/env bash
# Build what the page loads: the release wasm (pkg/, also the npm package `stedi-lake`), the
# vendored npm libraries (web/vendor/), and the list of sample files (web/sample-files.json, from
# fixtures/landing).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build crate --target web --out-dir ../pkg --release
# The npm package wasm-pack wrote, completed for JS developers: `exports` (the module with its
# types, and the .wasm for Node's initSync or a bundler's asset import), `types`, `files`, a
# description. Every listed file must exist.
node --input-type=module - <<'JS'
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
const path = 'pkg/package.json';
const pkg = JSON.parse(readFileSync(path, 'utf8'));
pkg.description = 'STEDI landing JSON to trusted and curated Parquet tables, with the data-quality report, '
  + 'in the browser or Node (WebAssembly; TypeScript types included)';
pkg.main = 'stedi_lake.js';
pkg.types = 'stedi_lake.d.ts';
pkg.files = ['stedi_lake.js', 'stedi_lake.d.ts', 'stedi_lake_bg.wasm', 'stedi_lake_bg.wasm.d.ts'];
pkg.exports = {
  '.': { types: './stedi_lake.d.ts', default: './stedi_lake.js' },
  './stedi_lake_bg.wasm': './stedi_lake_bg.wasm',
  './package.json': './package.json',
};
for (const f of pkg.files) if (!existsSync(`pkg/${f}`)) throw new Error(`pkg/${f} is missing (wasm-pack output changed?)`);
writeFileSync(path, JSON.stringify(pkg, null, 2) + '\n');
JS
mkdir -p web/vendor
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css web/vendor/
cp node_modules/fflate/esm/browser.js web/vendor/fflate.js
(cd fixtures && find landing -type f -name '*.json' | sort | python3 -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin]))') > web/sample-files.json
gzip -9 -c pkg/stedi_lake_bg.wasm | wc -c | awk '{printf "web build ready: stedi_lake_bg.wasm %.0f KB gzip\n", $1/1024}'

#!/usr/bin/env bash
# Build what the page loads: the release wasm (pkg/), the vendored npm libraries (web/vendor/),
# and the list of sample files (web/sample-files.json, from fixtures/landing).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
wasm-pack build crate --target web --out-dir ../pkg --release
mkdir -p web/vendor
cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css web/vendor/
cp node_modules/fflate/esm/browser.js web/vendor/fflate.js
(cd fixtures && find landing -type f -name '*.json' | sort | python3 -c 'import json,sys; print(json.dumps([l.strip() for l in sys.stdin]))') > web/sample-files.json
gzip -9 -c pkg/stedi_lake_bg.wasm | wc -c | awk '{printf "web build ready: stedi_lake_bg.wasm %.0f KB gzip\n", $1/1024}'

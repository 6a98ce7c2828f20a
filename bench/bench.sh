#!/usr/bin/env bash
# The benchmark (not a test): native CLI and the page in headless Chromium on the real data (x1 and,
# natively, x10 read ten times by path) and on a generated set of about 1 GB. Prints MB/s of landing
# NDJSON, seconds per phase, peak memory (RSS natively, wasm linear memory in the browser).
# Usage: bench/bench.sh [--quick]   (--quick: 200 MB generated set, 1 browser run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SIZE=1G; RUNS=3
[ "${1:-}" = "--quick" ] && SIZE=200M && RUNS=1
[ -x target/release/stedi-lake ] && [ -f pkg/stedi_lake_bg.wasm ] || { cargo build --release; bash scripts/build-web.sh; }
CLI=target/release/stedi-lake
REAL=../shared/stedi/landing
GEN=bench/data/gen-$SIZE
[ -d "$GEN" ] || $CLI generate --seed 1 --size $SIZE --out "$GEN"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

native() { # name, mode, formats, landing paths...
  local name=$1 mode=$2 formats=$3; shift 3
  for i in $(seq $RUNS); do
    $CLI run "$@" --out "$OUT/n" --mode "$mode" --formats "$formats" --timings 2>/dev/null | grep '^BENCH' | sed 's/^BENCH //'
  done | python3 -c "
import sys, json, statistics as st
r = [json.loads(l) for l in sys.stdin]; b = min(r, key=lambda d: d['total_s'])
print(f\"native {sys.argv[1]:<28} {b['mb']:8.1f} MB  ingest {b['ingest_s']:.3f} s ({b['mb']/b['ingest_s']:.0f} MB/s)  rules {b['zones_s']:.3f} s (with the landing tables' Parquet beside, on 2+ threads)  parquet {b['parquet_s']:.3f} s  ndjson {b['ndjson_s']:.3f} s  total {b['total_s']:.3f} s = {b['mb']/b['total_s']:.0f} MB/s (median {b['mb']/st.median(d['total_s'] for d in r):.0f})  peak RSS {max(d['peak_rss_mb'] for d in r):.0f} MB\")
" "$name"
  rm -rf "$OUT/n"
}

echo "== native (best of $RUNS; end to end = read + rules + all Parquet + reports)"
if [ -d "$REAL" ]; then
  native "real strict" strict parquet "$REAL"
  native "real rubric" rubric parquet "$REAL"
  native "real x10 strict" strict parquet $(for i in $(seq 10); do echo "$REAL"; done)
  native "real x10 strict +ndjson" strict parquet,ndjson $(for i in $(seq 10); do echo "$REAL"; done)
else
  echo "(real data not found at $REAL: skipped)"
fi
native "generated $SIZE strict" strict parquet "$GEN"
native "generated $SIZE rubric" rubric parquet "$GEN"

echo "== browser: the page in headless Chromium (worker + wasm)"
[ -d "$REAL" ] && node bench/browser.mjs "$REAL" "$RUNS"
node bench/browser.mjs "$GEN" "$RUNS"
gzip -9 -c pkg/stedi_lake_bg.wasm | wc -c | awk '{printf "== release wasm: %.0f KB gzip-compressed\n", $1/1024}'

#!/usr/bin/env bash
# Fuzz the engine with cargo-fuzz (libFuzzer, nightly): targets `decode` (any bytes through
# ingest), `pipeline` (any bytes as three landing files, the whole run) and `framing` (structure-
# aware: the property test's generator driven by the input; see docs/reliability.md).
# Usage: scripts/fuzz.sh [seconds per target, default 30]   — the test command runs a 20 s smoke.
# Environment:
#   FUZZ_TARGETS="decode framing"  only these targets (default: all three, one after the other)
#   FUZZ_RUNS=10000000             stop each target after this many executions (and not on time)
#   FUZZ_SANITIZER=none            sanitizer (default address; `none` runs ~2-3x faster: the
#                                  engine's code reached here has no `unsafe`). Debug assertions
#                                  (overflow checks included) are always on.
# Long campaigns: FUZZ_RUNS=10000000 scripts/fuzz.sh 36000 (the corpus grows in fuzz/corpus/,
# failures go to fuzz/artifacts/<target>/ and replay with `cargo +nightly fuzz run <target> <file>`).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SECS=${1:-30}
TARGETS=${FUZZ_TARGETS:-decode pipeline framing}
SAN=${FUZZ_SANITIZER:-address}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz smoke skipped: no nightly toolchain on this machine (cargo-fuzz needs it)"; exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
limit=(-max_total_time="$SECS")
if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); fi
for target in $TARGETS; do
  mkdir -p "fuzz/corpus/$target"
  echo "== fuzz $target (${limit[*]}, sanitizer $SAN)"
  # -rss_limit_mb bounds memory; -max_len lets inputs hold several records (framing: many decisions).
  log=$(mktemp)
  status=0
  start=$(date +%s)
  (cd fuzz && cargo +nightly fuzz run -s "$SAN" -a "$target" "corpus/$target" "seeds/$target" -- \
      "${limit[@]}" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1) >"$log" 2>&1 || status=$?
  end=$(date +%s)
  grep -E "^(Done|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)|DONE|ERROR|panicked|SUMMARY" "$log" || tail -20 "$log"
  echo "wall time: $((end - start)) s"
  if [ "$status" -ne 0 ]; then echo "fuzz $target failed (exit $status; inputs in fuzz/artifacts/$target)"; tail -60 "$log"; exit 1; fi
  rm -f "$log"
done

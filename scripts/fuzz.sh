#!/usr/bin/env bash
# Fuzz the record decoder and the whole pipeline with cargo-fuzz (libFuzzer, nightly, ASan).
# Usage: scripts/fuzz.sh [seconds per target, default 30]   — CI runs the short smoke;
# long campaigns: scripts/fuzz.sh 3600 (the corpus grows in fuzz/corpus/, crashes go to fuzz/artifacts/).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
SECS=${1:-30}
if ! rustup toolchain list | grep -q '^nightly'; then
  echo "fuzz smoke skipped: no nightly toolchain on this machine (cargo-fuzz needs it)"; exit 0
fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in decode pipeline; do
  mkdir -p "fuzz/corpus/$target"
  echo "== fuzz $target for ${SECS}s"
  # -rss_limit_mb bounds memory; -max_len lets inputs hold several records.
  log=$(mktemp)
  status=0
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$SECS" -max_len=65536 -rss_limit_mb=4096 -print_final_stats=1) >"$log" 2>&1 || status=$?
  grep -E "^(Done|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|panicked|SUMMARY" "$log" || tail -20 "$log"
  if [ "$status" -ne 0 ]; then echo "fuzz $target failed (exit $status; inputs in fuzz/artifacts/$target)"; tail -40 "$log"; exit 1; fi
done

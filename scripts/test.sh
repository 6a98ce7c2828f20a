#!/usr/bin/env bash
# Every test, from a clean clone: set-up, native unit + golden tests, the release CLI and wasm,
# wasm-bindgen tests in headless Chromium, the Python cross-checks (DuckDB, pyarrow) and the page's
# end-to-end tests (Playwright + Chromium), S3 ones against a moto server started here.
# Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n=== %s\n' "$*"; }

step "set-up"
bash scripts/setup.sh

step "style: rustfmt and clippy (native and wasm32, warnings are errors)"
cargo fmt --check
(cd fuzz && cargo fmt --check)
cargo clippy --all-targets -- -D warnings
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
cargo clippy -p stedi-lake-python -- -D warnings

step "native unit tests and the golden (native == wasm) file"
cargo test

step "release CLI"
cargo build --release

step "Python package (python/: PyO3 wheel, tested against the CLI in tests/test_python_package.py)"
bash scripts/build-python.sh
# The Spark job's workers (tests/test_glue_job.py) import it from this Python, as run_local.py users do.
python3 -m pip install -q --disable-pip-version-check --force-reinstall --no-deps target/wheels/stedi_lake-*.whl

step "wasm package and page assets"
bash scripts/build-web.sh

step "style: eslint over the page, tests and scripts; tsc over the page against the wasm package's types"
bash scripts/lint-js.sh

step "wasm tests in headless Chromium (wasm-bindgen-test)"
log=$(mktemp)
# (The other integration test files are native-only: cfg-gated, they build to empty wasm binaries.)
CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome --release crate 2>&1 | tee "$log"
# The browser tests must really have run (a missing run_in_browser runs nothing and still says ok).
passed=$(grep -A20 'Running tests/web.rs' "$log" | grep -oE 'test result: ok\. [0-9]+ passed' | grep -oE '[0-9]+' | head -1 || true)
if [ -z "$passed" ] || [ "$passed" -eq 0 ]; then echo "wasm browser tests did not run"; exit 1; fi
echo "wasm browser tests: $passed passed"

step "fuzz smoke (cargo-fuzz, bounded: 20 s per target)"
bash scripts/fuzz.sh 20

step "S3-protocol test server (moto, 127.0.0.1; bucket CORS rules enforced)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MOTO_DISABLE_GLOBAL_CORS=true python3 -m moto.server -H 127.0.0.1 -p "$port" > "${TMPDIR:-/tmp}/stedi-moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid 2>/dev/null || true' EXIT
export STEDI_S3_ENDPOINT="http://127.0.0.1:$port"
python3 - <<'PY' || { echo "moto did not start"; cat "${TMPDIR:-/tmp}/stedi-moto.log"; exit 1; }
import os, time, urllib.request
for _ in range(150):
    try:
        urllib.request.urlopen(os.environ["STEDI_S3_ENDPOINT"] + "/moto-api/"); break
    except Exception:
        time.sleep(0.2)
else:
    raise SystemExit(1)
PY
echo "moto at $STEDI_S3_ENDPOINT"

step "Python cross-checks (DuckDB runs docs/sql, pyarrow reads the Parquet, presign vs boto3)"
python3 -m pytest -q tests

step "page end-to-end (Playwright + Chromium; S3 through the moto server)"
node --test --test-concurrency=1 tests/

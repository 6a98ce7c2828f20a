#!/usr/bin/env bash
# One idempotent set-up: everything the build, the page and the tests need, from the registries only
# (crates.io, PyPI, Debian apt, npm). Safe to run again; each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== setup: %s\n' "$*"; }
# --page: only what building and serving the page needs (used by scripts/serve.sh).
PAGE_ONLY=0
[ "${1:-}" = "--page" ] && PAGE_ONLY=1
export PATH="$HOME/.cargo/bin:$PATH"

log "rust wasm32 target"
rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

log "rustfmt and clippy (the style checks of scripts/test.sh)"
rustup component list --installed | grep -q '^clippy' || rustup component add clippy
rustup component list --installed | grep -q '^rustfmt' || rustup component add rustfmt

log "Debian packages (chromium, chromium-driver; Java 17 for the PySpark interop test)"
if [ "$PAGE_ONLY" = 1 ]; then
  echo "skipped (--page)"
elif ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! command -v java >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium chromium-driver openjdk-17-jre-headless >/dev/null
fi

# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly, or wasm-pack downloads its own (and fails here).
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
log "wasm-bindgen-cli $WB_VERSION"
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force   # no --locked: its lock wants a yanked crate
fi

log "wasm-pack"
command -v wasm-pack >/dev/null || cargo install wasm-pack

log "cargo-fuzz (the fuzz smoke; uses the nightly toolchain rustup already has)"
if [ "$PAGE_ONLY" = 1 ]; then
  echo "skipped (--page)"
elif rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal; then
  command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
else
  echo "no nightly toolchain here: the fuzz smoke will say it is skipped"
fi

log "python test dependencies (duckdb, pyarrow, pytest)"
[ "$PAGE_ONLY" = 1 ] && echo "skipped (--page)" || python3 -m pip install -q --disable-pip-version-check -r tests/requirements.txt

log "awsglue (AWS's Glue ETL Python library, PyPI awsglue-dev) beside the tests, not in the system Python"
# tests/test_glue_job.py runs the Glue bundle's job with Glue's own getResolvedOptions; installed
# into target/awsglue-dev so that every other run of the job keeps its argparse path.
if [ "$PAGE_ONLY" = 1 ]; then
  echo "skipped (--page)"
elif [ ! -f target/awsglue-dev/awsglue/utils.py ]; then
  python3 -m pip install -q --disable-pip-version-check --no-deps --target target/awsglue-dev awsglue-dev==2021.12.30
fi

log "node packages (page libraries uPlot + fflate; playwright-core driving Debian's chromium)"
npm ci --no-audit --no-fund --silent

log "done"

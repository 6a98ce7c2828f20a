#!/usr/bin/env bash
# Build the wasm and the page, then serve it on 127.0.0.1 (default port 8080; PORT=… to change).
# Open the printed URL and press "Load sample data".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --page
bash scripts/build-web.sh
exec node scripts/serve.mjs --port "${PORT:-8080}"

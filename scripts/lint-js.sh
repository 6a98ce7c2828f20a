#!/usr/bin/env bash
# The JavaScript checks: eslint (recommended rules + the code's own formatting, eslint.config.mjs)
# over the page (web/, not web/vendor/), the tests and the scripts; and tsc over the page and its
# workers (web/tsconfig.json, web/engine/tsconfig.json: the JSDoc types against the wasm package's
# pkg/stedi_lake.d.ts, so pkg/ must be built). Exits non-zero on any finding.
# `scripts/lint-js.sh --fix` rewrites what eslint can fix (formatting) and reports the rest.
# Needs `npm ci` (scripts/setup.sh runs it); never fetches anything.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin
for tool in eslint tsc; do
  [[ -x $bin/$tool ]] || { echo "lint-js: $bin/$tool is missing: run npm ci" >&2; exit 2; }
done
[[ -f pkg/stedi_lake.d.ts ]] || { echo "lint-js: pkg/stedi_lake.d.ts is missing: run scripts/build-web.sh" >&2; exit 2; }
fix=()
[[ ${1:-} == --fix ]] && fix=(--fix)
"$bin/eslint" --max-warnings 0 --no-warn-ignored "${fix[@]}" web tests scripts eslint.config.mjs
# tsc checks only files that ask for it: every page file must.
unchecked=$(find web -name '*.js' -not -path 'web/vendor/*' -exec sh -c 'head -1 "$1" | grep -qx "// @ts-check" || echo "$1"' _ {} \; | sort)
if [[ -n $unchecked ]]; then
  echo "lint-js: these files do not open with // @ts-check:" >&2
  echo "$unchecked" >&2
  exit 1
fi
"$bin/tsc" -p web
"$bin/tsc" -p web/engine
echo "lint-js: web/, tests/, scripts/ clean; the page and its workers type-check"

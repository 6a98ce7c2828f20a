#!/usr/bin/env bash
# The JavaScript check: eslint (recommended rules + the code's own formatting, eslint.config.mjs)
# over the page (web/, not web/vendor/), the tests and the scripts. Exits non-zero on any finding.
# `scripts/lint-js.sh --fix` rewrites what can be fixed (formatting) and reports the rest.
# Needs `npm ci` (scripts/setup.sh runs it); never fetches anything.
set -euo pipefail
cd "$(dirname "$0")/.."
eslint=node_modules/.bin/eslint
[[ -x $eslint ]] || { echo "lint-js: $eslint is missing: run npm ci" >&2; exit 2; }
fix=()
[[ ${1:-} == --fix ]] && fix=(--fix)
"$eslint" --max-warnings 0 --no-warn-ignored "${fix[@]}" web tests scripts eslint.config.mjs
echo "lint-js: web/, tests/, scripts/ clean"

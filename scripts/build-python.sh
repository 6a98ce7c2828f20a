#!/usr/bin/env bash
# Build the Python package (python/: the core through PyO3) into a wheel in target/wheels/:
# one abi3 wheel for every CPython >= 3.9 on this platform. Install it with
#   python3 -m pip install target/wheels/stedi_lake-*.whl
# (maturin comes from PyPI: tests/requirements.txt, installed by scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
rm -f target/wheels/stedi_lake-*.whl
(cd python && python3 -m maturin build --profile python --out ../target/wheels)
ls target/wheels/stedi_lake-*.whl

"""Shared fixtures for the Python cross-checks: the native CLI, the fixture set, the real data."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = ROOT / "target" / "release" / "stedi-lake"
FIXTURES = ROOT / "fixtures" / "landing"
REAL = ROOT.parent / "shared" / "stedi" / "landing"
TABLES = {
    "customer_landing": "landing", "accelerometer_landing": "landing", "step_trainer_landing": "landing",
    "customer_trusted": "trusted", "accelerometer_trusted": "trusted", "step_trainer_trusted": "trusted",
    "customers_curated": "curated", "machine_learning_curated": "curated",
}
DERIVED = [t for t, z in TABLES.items() if z != "landing"]


def datasets():
    """(name, path) of each landing set to test; the real data only when it is beside the project."""
    sets = [pytest.param(FIXTURES, id="fixtures")]
    if REAL.is_dir():
        sets.append(pytest.param(REAL, id="real"))
    else:
        print(f"note: {REAL} not found; real-data cases skipped (they run where the data exists)")
        sets.append(pytest.param(REAL, id="real", marks=pytest.mark.skip(reason=f"{REAL} not present")))
    return sets


def run_cli(landing, out, mode):
    assert CLI.exists(), f"{CLI} missing: build it with `cargo build --release`"
    res = subprocess.run([str(CLI), "run", str(landing), "--out", str(out), "--mode", mode],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res


@pytest.fixture(scope="session")
def cli_outputs(tmp_path_factory):
    """Runs the CLI once per (dataset, mode) and caches the output folder."""
    cache = {}

    def get(landing, mode):
        key = (str(landing), mode)
        if key not in cache:
            out = tmp_path_factory.mktemp(f"out-{mode}")
            run_cli(landing, out, mode)
            cache[key] = out
        return cache[key]

    return get

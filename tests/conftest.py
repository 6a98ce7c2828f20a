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


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server: the one scripts/test.sh started ($STEDI_S3_ENDPOINT), or one started here."""
    if os.environ.get("STEDI_S3_ENDPOINT"):
        yield os.environ["STEDI_S3_ENDPOINT"]
        return
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            env={**os.environ, "MOTO_DISABLE_GLOBAL_CORS": "true"},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/")
            break
        except Exception:
            time.sleep(0.1)
    yield endpoint
    proc.kill()

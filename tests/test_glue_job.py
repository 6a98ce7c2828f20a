"""The Spark job of the Glue bundle (`stedi-lake glue`: jobs/stedi_lake_job.py with the rules
embedded, what AWS Glue runs) against the engine, in the one PySpark 3.5 session of the test run
(local[2]), and the bundle's `run_local.py` as a user runs it:
- whole runs, both modes, over the fixture set, the edge-case set, a generated set (~50 MB) with
  the generator's data-quality problems, and the real data when present: the eight tables equal
  the CLI's as multisets with the same column names and types; summary.json's per-source counts
  (files, bytes, records read, kept, quarantined by reason, byte coverage), its per-file reports
  and table rows equal the CLI's; the quarantined records are the CLI's, in the same order;
- every case of the adversarial corpus (fixtures/adversarial): the job's landing step (listing,
  the landing rule, decoding) gives the CLI's per-source counts and per-file reports. One decode
  pass covers all cases (files are decoded independently).
Spark's Python workers import the stedi-lake wheel (scripts/test.sh installs it).
"""
import importlib.util
import json
import shutil
import subprocess
import sys

import pytest

from conftest import CLI, FIXTURES, REAL, ROOT, TABLES, run_cli
from test_differential import EDGE_FILES

ADVERSARIAL = ROOT / "fixtures" / "adversarial" / "cases"
COUNTS = ("files", "bytes", "records_read", "kept", "quarantined_total", "quarantined", "coverage")


@pytest.fixture(scope="module", autouse=True)
def wheel_installed():
    try:
        import stedi_lake  # noqa: F401
    except ImportError:
        pytest.fail("the stedi-lake wheel is not installed in this Python: "
                    "scripts/build-python.sh && python3 -m pip install target/wheels/stedi_lake-*.whl")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    """The bundle of each mode, as `stedi-lake glue` writes it, and its job module imported."""
    found = {}
    for mode in ("strict", "rubric"):
        out = tmp_path_factory.mktemp("bundle") / mode
        subprocess.run([str(CLI), "glue", "--mode", mode, "--out", str(out), "-q"], check=True)
        spec = importlib.util.spec_from_file_location(f"stedi_lake_job_{mode}", out / "jobs" / "stedi_lake_job.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert module.DEFAULT_MODE == mode and set(module.RULES_SQL) == {"strict", "rubric"}
        found[mode] = (out, module)
    return found


@pytest.fixture(scope="module")
def landing_sets(tmp_path_factory):
    sets = {"fixtures": FIXTURES}
    edge = tmp_path_factory.mktemp("edge") / "landing"
    shutil.copytree(FIXTURES, edge)
    for rel, lines in EDGE_FILES.items():
        (edge / rel).write_text("\n".join(lines) + "\n")
    sets["edge"] = edge
    generated = tmp_path_factory.mktemp("generated") / "landing"
    subprocess.run([str(CLI), "generate", "--out", str(generated), "--size", "50M", "--seed", "5", "-q"], check=True)
    sets["generated"] = generated
    if REAL.is_dir():
        sets["real"] = REAL
    else:
        print(f"note: {REAL} not found; the real-data case is skipped (it runs where the data exists)")
    return sets


def engine_quarantine(out):
    return [json.loads(line) for line in (out / "quarantine.ndjson").read_text().splitlines() if line]


def job_quarantine(out):
    lines = []
    for part in sorted((out / "quarantine").glob("part-*")):
        lines += [json.loads(line) for line in part.read_text().splitlines() if line]
    return lines


@pytest.mark.parametrize("mode", ["strict", "rubric"])
def test_job_equals_the_engine(spark, bundles, landing_sets, tmp_path, mode):
    _, job = bundles[mode]
    for name, landing in landing_sets.items():
        cli_out, job_out = tmp_path / f"cli-{name}", tmp_path / f"job-{name}"
        run_cli(landing, cli_out, mode)
        summary = job.run_job(spark, str(landing), str(job_out), mode, job.RULES_SQL[mode])
        engine = json.loads((cli_out / "summary.json").read_text())
        assert json.loads((job_out / "summary.json").read_text()) == summary
        for source in ("customer", "accelerometer", "step_trainer"):
            for k in COUNTS:
                assert summary["sources"][source][k] == engine["sources"][source][k], (name, source, k)
        assert {k: summary["unrouted"][k] for k in COUNTS} == {k: engine["unrouted"][k] for k in COUNTS}
        assert summary["files"] == engine["files"], name
        assert job_quarantine(job_out) == engine_quarantine(cli_out), name
        for table, zone in TABLES.items():
            ours = spark.read.parquet(str(cli_out / zone / table / "part-00000.parquet"))
            theirs = spark.read.parquet(str(job_out / zone / table))
            assert theirs.dtypes == ours.dtypes, (name, table, theirs.dtypes, ours.dtypes)
            rows = engine["tables"][table]["rows"]
            assert summary["tables"][table]["rows"] == ours.count() == rows, (name, table)
            for a, b, what in ((ours, theirs, "engine rows not in the job's"), (theirs, ours, "job rows not in the engine's")):
                extra = a.exceptAll(b).count()
                assert extra == 0, f"{name}/{mode}/{table}: {extra} {what}"
        print(f"{name}/{mode}: {sum(t['rows'] for t in summary['tables'].values())} rows in 8 tables equal")


def test_landing_step_equals_the_engine_on_every_adversarial_case(spark, bundles, tmp_path):
    _, stedi_lake_job = bundles["strict"]
    cases = sorted(p for p in ADVERSARIAL.iterdir() if p.is_dir())
    assert len(cases) >= 50
    chosen, skipped = [], {}
    for case in cases:
        files, skip = stedi_lake_job.list_landing(spark, str(case))
        chosen += files
        skipped[case.name] = skip
    # Names are unique across cases (each starts with its case's folder name): one decode pass.
    chosen.sort()
    reports, quarantine = stedi_lake_job.decode_landing(spark, [str(ADVERSARIAL)], chosen)
    checked = 0
    for case in cases:
        prefix = case.name + "/"
        mine = stedi_lake_job.summarize("strict", {}, [r for r in reports if r["name"].startswith(prefix)],
                                        [q for q in quarantine if q["file"].startswith(prefix)], skipped[case.name])
        out = tmp_path / case.name
        res = subprocess.run([str(CLI), "run", str(case), "--out", str(out), "-q"], capture_output=True, text=True)
        if not (out / "summary.json").exists():
            # The CLI refuses a run with no landing data at all; the job then has nothing either.
            assert "no STEDI landing data" in res.stderr, res.stderr
            assert all(mine["sources"][s]["files"] == 0 for s in mine["sources"]), case.name
            continue
        engine = json.loads((out / "summary.json").read_text())
        for source in ("customer", "accelerometer", "step_trainer"):
            for k in COUNTS:
                assert mine["sources"][source][k] == engine["sources"][source][k], (case.name, source, k)
        assert {k: mine["unrouted"][k] for k in COUNTS} == {k: engine["unrouted"][k] for k in COUNTS}, case.name
        assert mine["files"] == engine["files"], case.name
        checked += 1
    assert checked >= 40


def test_run_local_as_the_bundle_readme_says(bundles, tmp_path):
    """`python3 jobs/run_local.py --landing DIR --out DIR`: its own Spark, the bundle's mode."""
    bundle, _ = bundles["rubric"]
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(bundle / "jobs" / "run_local.py"), "--landing", str(FIXTURES),
                          "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    cli_out = tmp_path / "cli"
    run_cli(FIXTURES, cli_out, "rubric")
    engine = json.loads((cli_out / "summary.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == "rubric"
    assert {t: v["rows"] for t, v in summary["tables"].items()} == {t: v["rows"] for t, v in engine["tables"].items()}
    for table, rows in ((t, v["rows"]) for t, v in engine["tables"].items()):
        assert f"{table} " in res.stdout and str(rows) in res.stdout

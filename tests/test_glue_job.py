"""The Spark job of the Glue bundle (`stedi-lake glue`: jobs/stedi_lake_job.py with the rules
embedded, what AWS Glue runs) against the engine, in the one PySpark 3.5 session of the test run
(local[2]), and the bundle's `run_local.py` as a user runs it:
- whole runs, both modes, over the fixture set, the edge-case set, a generated set (~50 MB) with
  the generator's data-quality problems, and the real data when present: the eight tables equal
  the CLI's as multisets with the same column names and types; summary.json's per-source counts
  (files, bytes, records read, kept, quarantined by reason, byte coverage), its per-file reports
  and table rows equal the CLI's; the quarantined records are the CLI's, in the same order;
- every case of the adversarial corpus (fixtures/adversarial), both modes: the job's per-source
  counts, per-file reports and quarantined records, and each of the eight tables (columns and
  rows as a multiset), equal the CLI's. One decode pass covers all cases (files decode
  independently); the rules then run once per distinct landing set (cases whose landing tables
  hold the same rows in the same read order share a run; every case is compared).
Spark's Python workers import the stedi-lake wheel (scripts/test.sh installs it).
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest

from conftest import ADVERSARIAL, CLI, FIXTURES, REAL, ROOT, TABLES, run_cli
from test_differential import EDGE_FILES

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


def engine_rows(out, table):
    """A table the CLI wrote, as a multiset of rows (column name -> value), read with pyarrow."""
    import pyarrow.parquet as pq
    t = pq.read_table(out / TABLES[table] / table / "part-00000.parquet")
    return t.schema.names, Counter(tuple(r.values()) for r in t.to_pylist())


def job_tables(session, job, files, mode):
    """The eight tables the job's rules of `mode` compute from the decoded files `files` (a range),
    as {table: (columns, Counter of rows)}: one Spark action for all eight (rows as JSON)."""
    from functools import reduce
    from pyspark.sql import functions as F
    job.landing_views(session, files)
    job.apply_rules(session, job.RULES_SQL[mode])
    tables = {t: job.table_frame(session, t) for t in TABLES}
    columns = {t: df.columns for t, df in tables.items()}
    found = {t: Counter() for t in TABLES}
    frames = [df.select(F.lit(t).alias("t"), F.to_json(F.struct("*")).alias("j")) for t, df in tables.items()]
    for r in reduce(lambda a, b: a.unionAll(b), frames).collect():
        row = json.loads(r["j"])
        found[r["t"]][tuple(row.get(c) for c in columns[r["t"]])] += 1
    return {t: (columns[t], found[t]) for t in TABLES}


def test_job_equals_the_engine_on_every_adversarial_case(spark, bundles, adversarial_outputs):
    """Every case of the adversarial corpus, both modes, the whole job: per-source counts, per-file
    reports and the quarantined records equal the CLI's, and each of the eight tables equals the
    CLI's (same columns, same rows as a multiset). One decode pass covers all cases (files decode
    independently; names are unique across cases, each starts with its case's folder); the rules
    then run over one case's files at a time, once per distinct landing set."""
    _, job = bundles["strict"]
    cases = sorted(p for p in ADVERSARIAL.iterdir() if p.is_dir())
    assert len(cases) >= 50
    chosen, skipped, files = [], {}, {}
    for case in cases:
        found, skip = job.list_landing(spark, str(case))
        files[case.name] = range(len(chosen), len(chosen) + len(found))
        chosen += found
        skipped[case.name] = skip
    assert [n for n, _, _ in chosen] == sorted(n for n, _, _ in chosen), "cases must decode in read order"
    reports, quarantine = job.decode_landing(spark, [str(ADVERSARIAL)], chosen)

    # 1. The landing step: counts, per-file reports and quarantined records, case by case.
    runs = {"strict": [], "rubric": []}
    for case in cases:
        prefix = case.name + "/"
        for mode in runs:
            mine = job.summarize(mode, {}, [r for r in reports if r["name"].startswith(prefix)],
                                 [q for q in quarantine if q["file"].startswith(prefix)], skipped[case.name])
            out = adversarial_outputs[case, mode]
            if out is None:
                # The CLI refuses a run with no landing data at all; the job then has nothing either.
                assert all(mine["sources"][s]["files"] == 0 for s in mine["sources"]), case.name
                continue
            engine = json.loads((out / "summary.json").read_text())
            for source in ("customer", "accelerometer", "step_trainer"):
                for k in COUNTS:
                    assert mine["sources"][source][k] == engine["sources"][source][k], (case.name, source, k)
            assert {k: mine["unrouted"][k] for k in COUNTS} == {k: engine["unrouted"][k] for k in COUNTS}, case.name
            assert mine["files"] == engine["files"], case.name
            assert [q for q in quarantine if q["file"].startswith(prefix)] == engine_quarantine(out), case.name
            runs[mode].append((case.name, out, engine))
    assert sum(map(len, runs.values())) >= 80

    # 2. The job's landing tables of every case (one Spark action): equal to the engine's as
    # multisets, and in read order the case's signature.
    from pyspark.sql import functions as F
    landing = {name: {t: [] for t in job.LANDING} for name in files}
    owner = {i: name for name, r in files.items() for i in r}
    data = spark.table("_decoded").where(F.col("_kind").isin(*job.LANDING))
    landing_columns = {t: job.table_frame(spark, t).columns for t in job.LANDING}
    json_cols = {t: F.to_json(F.struct(*landing_columns[t])) for t in job.LANDING}
    picked = data.select("_kind", "_order", F.coalesce(*[F.when(F.col("_kind") == t, c) for t, c in json_cols.items()]).alias("j"))
    for r in sorted(picked.collect(), key=lambda r: r["_order"]):
        landing[owner[r["_order"] >> 32]][r["_kind"]].append(r["j"])
    groups = {}
    for mode, done in runs.items():
        for name, out, engine in done:
            for table in job.LANDING:
                names, rows = engine_rows(out, table)
                mine = Counter(tuple(json.loads(j).get(c) for c in names) for j in landing[name][table])
                assert landing_columns[table] == names, (name, table, landing_columns[table], names)
                assert mine == rows, (name, mode, table, mine - rows, rows - mine)
            # The rules are a function of the three landing views (their rows, and the read order
            # the strict customer tie-break uses): cases with the same landing rows in the same
            # order share one run of the rules, and each case's tables are compared with it.
            signature = json.dumps([landing[name][t] for t in job.LANDING])
            groups.setdefault((mode, signature), []).append((name, out, engine))

    # 3. The rules: the eight tables once per distinct landing set and mode, in a session tuned for
    # many queries over a few rows (no adaptive re-planning, no code generation, one shuffle
    # partition: 4.6 s -> 2.2 s a query). Same SQL, same results: Spark's interpreted and
    # generated evaluation are one semantics; the whole runs above use code generation.
    spark.table("_decoded").createOrReplaceGlobalTempView("stedi_lake_adversarial")
    session = spark.newSession()
    for key, value in {"spark.sql.adaptive.enabled": "false", "spark.sql.codegen.wholeStage": "false",
                       "spark.sql.codegen.factoryMode": "NO_CODEGEN", "spark.sql.shuffle.partitions": "1"}.items():
        session.conf.set(key, value)
    session.table("global_temp.stedi_lake_adversarial").createOrReplaceTempView("_decoded")
    rows_compared = 0
    for (mode, _), group in groups.items():
        first = group[0][0]
        tables = job_tables(session, job, files[first], mode)
        for name, out, engine in group:
            for table in TABLES:
                names, rows = engine_rows(out, table)
                columns, found = tables[table]
                assert columns == names, (name, mode, table, columns, names)
                assert found == rows, (name, mode, table, found - rows, rows - found)
                assert sum(rows.values()) == engine["tables"][table]["rows"], (name, mode, table)
                rows_compared += sum(rows.values())
    spark.catalog.dropGlobalTempView("stedi_lake_adversarial")
    spark.catalog.clearCache()
    assert rows_compared > 0
    print(f"adversarial: {sum(map(len, runs.values()))} case runs ({len(groups)} distinct landing sets and modes), "
          f"{rows_compared} table rows equal to the engine's")


def assert_rows_equal_the_cli(out, tmp_path, mode):
    """The job's summary.json in `out` (a run over the fixture set in `mode`) names the mode and
    the CLI's table rows. Returns the CLI's summary."""
    cli_out = tmp_path / "cli"
    run_cli(FIXTURES, cli_out, mode)
    engine = json.loads((cli_out / "summary.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["mode"] == mode
    assert {t: v["rows"] for t, v in summary["tables"].items()} == {t: v["rows"] for t, v in engine["tables"].items()}
    return engine


def test_run_local_as_the_bundle_readme_says(bundles, tmp_path):
    """`python3 jobs/run_local.py --landing DIR --out DIR`: its own Spark, the bundle's mode."""
    bundle, _ = bundles["rubric"]
    out = tmp_path / "out"
    res = subprocess.run([sys.executable, str(bundle / "jobs" / "run_local.py"), "--landing", str(FIXTURES),
                          "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    engine = assert_rows_equal_the_cli(out, tmp_path, "rubric")
    for table, rows in ((t, v["rows"]) for t, v in engine["tables"].items()):
        assert f"{table} " in res.stdout and str(rows) in res.stdout


AWSGLUE = ROOT / "target" / "awsglue-dev"


def test_job_as_aws_glue_starts_it(bundles, tmp_path):
    """`jobs/stedi_lake_job.py` as AWS Glue starts it: the deploy file's DefaultArguments plus the
    arguments Glue adds (--JOB_ID, --JOB_RUN_ID, --JOB_NAME, --job-bookmark-option, --TempDir),
    parsed by Glue's own getResolvedOptions (AWS's awsglue library, PyPI awsglue-dev, installed by
    scripts/setup.sh into target/awsglue-dev), the Spark session from SparkSession.builder as on
    Glue. Without awsglue the same command line is refused by argparse, so a run that succeeds
    took the Glue path."""
    assert (AWSGLUE / "awsglue" / "utils.py").exists(), \
        "awsglue-dev missing: scripts/setup.sh installs it into target/awsglue-dev"
    bundle, _ = bundles["strict"]
    deploy = json.loads((bundle / "deploy" / "create-job.json").read_text())
    out = tmp_path / "out"
    arguments = dict(deploy["DefaultArguments"], **{"--landing": str(FIXTURES), "--out": str(out), "--mode": "rubric"})
    argv = [sys.executable, str(bundle / "jobs" / "stedi_lake_job.py"), "--JOB_ID", "j_0123", "--JOB_RUN_ID", "jr_0123",
            "--JOB_NAME", deploy["Name"], "--job-bookmark-option", "job-bookmark-disable", "--TempDir", str(tmp_path / "temp")]
    for k, v in arguments.items():
        argv += [k, v]
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    refused = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode == 2 and "unrecognized arguments: --JOB_ID" in refused.stderr, refused.stderr
    env["PYTHONPATH"] = str(AWSGLUE)
    res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-4000:]
    assert_rows_equal_the_cli(out, tmp_path, "rubric")
    # (Hadoop's local file system also leaves .summary.json.crc beside it.)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        ["curated", "quarantine", "summary.json", "trusted", "typed_landing"]

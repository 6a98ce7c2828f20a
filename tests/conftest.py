"""Shared fixtures for the Python cross-checks: the native CLI, the fixture set, the real data."""
import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = ROOT / "target" / "release" / "stedi-lake"
FIXTURES = ROOT / "fixtures" / "landing"
REAL = ROOT.parent / "shared" / "stedi" / "landing"
# Table -> the folder its files sit in: the engine's typed copies of the landing tables go to
# typed_landing/ (never below a folder named landing, where the landing rule looks).
TABLES = {
    "customer_landing": "typed_landing", "accelerometer_landing": "typed_landing", "step_trainer_landing": "typed_landing",
    "customer_trusted": "trusted", "accelerometer_trusted": "trusted", "step_trainer_trusted": "trusted",
    "customers_curated": "curated", "machine_learning_curated": "curated",
}
DERIVED = [t for t, z in TABLES.items() if z != "typed_landing"]


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


ADVERSARIAL = ROOT / "fixtures" / "adversarial" / "cases"


@pytest.fixture(scope="session")
def adversarial_outputs(tmp_path_factory):
    """The CLI run once per case of the adversarial corpus and mode: {(case folder, mode): output
    folder}, or None where the CLI refused the case for holding no landing data at all."""
    cases = sorted(p for p in ADVERSARIAL.iterdir() if p.is_dir())
    assert len(cases) >= 50
    found = {}
    for case in cases:
        for mode in ("strict", "rubric"):
            out = tmp_path_factory.mktemp("adversarial") / f"{case.name}-{mode}"
            res = subprocess.run([str(CLI), "run", str(case), "--out", str(out), "--mode", mode, "-q"],
                                 capture_output=True, text=True)
            if not (out / "summary.json").exists():
                assert "no STEDI landing data" in res.stderr, res.stderr
                out = None
            found[case, mode] = out
    return found


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


def parquet_tables(out):
    """{table: [its Parquet part files]} of an output folder: every `part-*.parquet` below `out`,
    named by the folder that holds it (a table's folder), whichever zone folder that sits in."""
    found = {}
    for part in sorted(pathlib.Path(out).glob("**/part-*.parquet")):
        found.setdefault(part.parent.name, []).append(part)
    return found


def declared_schema(out, table):
    """[(column, Hive type)] of `table` as the run declares it: the column names of its
    summary.json, the types of its own DDL (`<table>.sql`, the statement Glue/Athena run), which
    must name the same columns in the same order."""
    summary = json.loads((pathlib.Path(out) / "summary.json").read_text())
    names = summary["tables"][table]["columns"]
    names = [c["name"] if isinstance(c, dict) else c for c in names]
    ddl = [p for p in pathlib.Path(out).glob(f"**/{table}.sql")]
    assert len(ddl) == 1, f"{table}: one DDL file expected, found {ddl}"
    cols = re.findall(r"^\s*`([^`]+)`\s+(bigint|double|string)\s*,?\s*$", ddl[0].read_text(), re.M)
    assert [c for c, _ in cols] == names, f"{table}: DDL columns {cols} vs summary.json {names}"
    return cols


def repetitive_readings(src, dst):
    """Copy the landing set `src` to `dst` with every accelerometer reading's x, y and z taken
    from three values, as in the real data (3, 3 and 2 distinct values in 81,273 readings): the
    engine then dictionary-encodes those double columns (`sink::parquet::dictionary_pays`). Lines
    that are not a reading object with three numbers are copied as they are."""
    values = [-1.0, 0.0, 1.0]
    for f in sorted(pathlib.Path(src).rglob("*.json")):
        out = dst / f.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        if "accelerometer" not in f.parts:
            shutil.copyfile(f, out)
            continue
        lines = []
        for i, line in enumerate(f.read_text().splitlines()):
            # Some fixture files end each record with a comma (a framing the engine reads).
            body, comma = (line[:-1], ",") if line.endswith(",") else (line, "")
            try:
                r = json.loads(body)
            except ValueError:
                r = None
            if isinstance(r, dict) and all(type(r.get(k)) in (int, float) for k in "xyz"):
                r.update(x=values[i % 3], y=values[(i // 3) % 3], z=values[(i // 9) % 2])
                line = json.dumps(r) + comma
            lines.append(line)
        out.write_text("\n".join(lines) + "\n")
    return dst


@pytest.fixture(scope="session")
def fixture_tables(cli_outputs, tmp_path_factory):
    """Per run, every Parquet table of a CLI run: {run: {table: {"folder", "file", "rows",
    "schema"}}}, rows and schema from the run's own summary.json and DDL (see `declared_schema`).
    The runs: the fixtures in both modes, and "repetitive", strict over the fixtures with
    three-valued readings (`repetitive_readings`: dictionary-encoded double columns). Each table
    folder must hold exactly one part (readers such as Spark and Athena read every file in it)
    and every table of the summary must have its Parquet file."""
    repetitive = repetitive_readings(FIXTURES, tmp_path_factory.mktemp("repetitive") / "landing")
    runs = {}
    for run, landing, mode in (("strict", FIXTURES, "strict"), ("rubric", FIXTURES, "rubric"),
                               ("repetitive", repetitive, "strict")):
        out = cli_outputs(landing, mode)
        summary = json.loads((out / "summary.json").read_text())
        found = parquet_tables(out)
        assert sorted(found) == sorted(summary["tables"]), f"{run}: Parquet tables vs summary.json"
        runs[run] = {}
        for table, parts in found.items():
            assert len(parts) == 1, f"{run}/{table}: one part file expected, found {parts}"
            runs[run][table] = {"folder": parts[0].parent, "file": parts[0],
                                "rows": summary["tables"][table]["rows"],
                                "schema": declared_schema(out, table)}
    return runs


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One local Spark 3.5 session for the whole test run (interop readers and the Spark rules), with Hive support on a throw-away Derby
    metastore and warehouse under tmp; Spark's own logging down to errors."""
    assert shutil.which("java"), "PySpark needs a Java runtime (Java 17: apt-get install openjdk-17-jre-headless)"
    from pyspark.sql import SparkSession

    tmp = tmp_path_factory.mktemp("spark")
    log4j = tmp / "log4j2.properties"
    log4j.write_text("\n".join([
        "rootLogger.level = error", "rootLogger.appenderRef.stderr.ref = console",
        # PySpark counts as a shell: Spark announces a shell log level unless its loggers have one.
        "logger.spark.name = org.apache.spark", "logger.spark.level = error",
        "appender.console.type = Console", "appender.console.name = console", "appender.console.target = SYSTEM_ERR",
        "appender.console.layout.type = PatternLayout", "appender.console.layout.pattern = %p %c{1}: %m%n", ""]))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = (SparkSession.builder.master("local[2]").appName("stedi-interop")
               .config("spark.driver.extraJavaOptions",
                       f"-Dlog4j2.configurationFile={log4j.as_uri()} -Dderby.system.home={tmp}")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.driver.host", "127.0.0.1")
               .config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
               .config("spark.hadoop.javax.jdo.option.ConnectionURL",
                       f"jdbc:derby:;databaseName={tmp / 'metastore_db'};create=true")
               .config("spark.sql.hive.convertMetastoreParquet", "false")
               .enableHiveSupport()
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()

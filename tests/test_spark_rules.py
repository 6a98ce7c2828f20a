"""The rules in Spark SQL (docs/sql/spark/, the SQL the Glue jobs run) against the engine: both
modes, over the fixture set, the edge-case set of test_differential.py, a generated set with the
generator's data-quality problems, and the real data when present. Spark (3.5 on local[2], one
session for the run) reads the engine's typed landing tables, runs the file statement by statement,
and each of the five derived tables must equal the engine's Parquet as a multiset (EXCEPT ALL both
ways, row counts) with the same column names. test_differential.py holds the DuckDB SQL
(docs/sql/*.sql) to the same engine tables, so the three definitions are tested against each other.
"""
import json
import re
import subprocess

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import CLI, DERIVED, FIXTURES, REAL, ROOT, run_cli
from test_differential import EDGE_FILES

SPARK_SQL = ROOT / "docs" / "sql" / "spark"


def statements(path):
    """The SQL file's statements: comments dropped, split at `;` ending a line."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*$", text, flags=re.M) if s.strip()]


@pytest.fixture(scope="module")
def landing_sets(tmp_path_factory):
    sets = {"fixtures": FIXTURES}
    edge = tmp_path_factory.mktemp("edge") / "landing"
    subprocess.run(["cp", "-r", str(FIXTURES), str(edge)], check=True)
    for rel, lines in EDGE_FILES.items():
        (edge / rel).write_text("\n".join(lines) + "\n")
    sets["edge"] = edge
    generated = tmp_path_factory.mktemp("generated") / "landing"
    subprocess.run([str(CLI), "generate", "--out", str(generated), "--size", "12M", "--seed", "11", "-q"], check=True)
    sets["generated"] = generated
    if REAL.is_dir():
        sets["real"] = REAL
    else:
        print(f"note: {REAL} not found; the real-data case is skipped (it runs where the data exists)")
    return sets


def engine_table(out, table):
    found = sorted(out.glob(f"*/{table}/part-00000.parquet"))
    assert len(found) == 1, (table, found)
    return found[0]


def load_landing(spark, out, tmp):
    """The engine's typed landing tables as Spark views; customer_landing with `rn`, its read order."""
    customers = pq.read_table(engine_table(out, "customer_landing"))
    customers = customers.append_column("rn", pa.array(range(customers.num_rows), pa.int64()))
    pq.write_table(customers, tmp / "customer_landing.parquet")
    spark.read.parquet(str(tmp / "customer_landing.parquet")).createOrReplaceTempView("customer_landing")
    for t in ("accelerometer_landing", "step_trainer_landing"):
        spark.read.parquet(str(engine_table(out, t))).createOrReplaceTempView(t)


@pytest.mark.parametrize("mode", ["strict", "rubric"])
def test_spark_sql_rules_equal_the_engine(spark, landing_sets, tmp_path, mode):
    for name, landing in landing_sets.items():
        out = tmp_path / f"out-{name}"
        run_cli(landing, out, mode)
        summary = json.loads((out / "summary.json").read_text())
        scratch = tmp_path / f"spark-{name}"
        scratch.mkdir()
        load_landing(spark, out, scratch)
        for sql in statements(SPARK_SQL / f"{mode}.sql"):
            spark.sql(sql)
        for table in DERIVED:
            ours = spark.read.parquet(str(engine_table(out, table)))
            theirs = spark.table(table)
            assert theirs.columns == ours.columns, (name, table, theirs.columns, ours.columns)
            rows = summary["tables"][table]["rows"]
            assert theirs.count() == ours.count() == rows, (name, table)
            for a, b, what in ((ours, theirs, "engine rows not in Spark's"), (theirs, ours, "Spark rows not in the engine's")):
                extra = a.exceptAll(b).count()
                assert extra == 0, f"{name}/{mode}/{table}: {extra} {what}"
            print(f"{name}/{mode}/{table}: {rows} rows equal")
        for t in spark.catalog.listTables():
            if t.isTemporary:
                spark.catalog.dropTempView(t.name)

"""Every Parquet output of CLI runs over the fixtures (both modes, and with three-valued readings) opened by the readers of the
ecosystem: PySpark 3.5 (the Spark of AWS Glue 5.0) through its own Parquet reader and through
Hive's Parquet SerDe (parquet-java 1.13, as in EMR Hive), polars, pyarrow and DuckDB.

Each reader must report the schema and the row count the run declares (summary.json and the run's
DDL, see `conftest.declared_schema`), and must decode every column: per column, the non-null
count and the sum of the numeric columns agree with pyarrow's. See docs/interop.md."""
import math

import duckdb
import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

# The runs of `conftest.fixture_tables`: the fixtures in both modes, and strict over three-valued
# readings (their double columns dictionary-encoded).
MODES = ["strict", "rubric", "repetitive"]
# Each reader's names for the three column types the engine writes (Hive names: the DDL's).
TYPE_NAMES = {
    "pyarrow": {"int64": "bigint", "double": "double", "string": "string"},
    "polars": {"Int64": "bigint", "Float64": "double", "String": "string"},
    "duckdb": {"BIGINT": "bigint", "DOUBLE": "double", "VARCHAR": "string"},
    "spark": {"bigint": "bigint", "double": "double", "string": "string"},
}


def hive_types(reader, pairs):
    """[(column, Hive type)] from a reader's (column, own type name); an unexpected type stays
    visible as `?<name>` so the comparison fails on it."""
    return [(c, TYPE_NAMES[reader].get(t, f"?{t}")) for c, t in pairs]


def profile_pyarrow(t):
    table = pq.read_table(t["file"])
    schema = hive_types("pyarrow", [(f.name, str(f.type)) for f in table.schema])
    non_null = {c: len(table) - table[c].null_count for c in table.column_names}
    sums = {c: pc.sum(table[c]).as_py() for c, ty in schema if ty in ("bigint", "double")}
    return schema, table.num_rows, non_null, sums


def profile_polars(t):
    df = pl.read_parquet(t["file"])
    schema = hive_types("polars", [(c, str(d)) for c, d in df.schema.items()])
    non_null = {c: df.height - df[c].null_count() for c in df.columns}
    sums = {c: df[c].sum() for c, ty in schema if ty in ("bigint", "double")}
    return schema, df.height, non_null, sums


def aggregate_sql(schema, source):
    """One query: count(*), count of each column, sum of each numeric column."""
    cols = [f"count(`{c}`)" for c, _ in schema] + [f"sum(`{c}`)" for c, ty in schema if ty != "string"]
    return f"SELECT count(*), {', '.join(cols)} FROM {source}"


def split_aggregate(schema, row):
    n = len(schema)
    numeric = [c for c, ty in schema if ty != "string"]
    return row[0], dict(zip([c for c, _ in schema], row[1:1 + n])), dict(zip(numeric, row[1 + n:]))


def profile_duckdb(t):
    con = duckdb.connect()
    src = f"read_parquet('{t['file']}')"
    schema = hive_types("duckdb", con.execute(f"SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM {src})").fetchall())
    rows, non_null, sums = split_aggregate(schema, con.execute(aggregate_sql(schema, src).replace("`", '"')).fetchone())
    return schema, rows, non_null, sums


def spark_schema(df):
    return hive_types("spark", [(f.name, f.dataType.simpleString()) for f in df.schema.fields])


def profile_spark_native(spark, t):
    df = spark.read.parquet(str(t["folder"]))
    schema = spark_schema(df)
    view = f"native_{id(t)}"
    df.createOrReplaceTempView(view)
    rows, non_null, sums = split_aggregate(schema, spark.sql(aggregate_sql(schema, view)).collect()[0])
    return schema, rows, non_null, sums


def profile_spark_hive(spark, t, name):
    """The table as Glue/EMR users read it: an external Hive table over the folder, read through
    Hive's Parquet SerDe (spark.sql.hive.convertMetastoreParquet=false)."""
    cols = ", ".join(f"`{c}` {ty}" for c, ty in t["schema"])
    spark.sql(f"DROP TABLE IF EXISTS {name}")
    spark.sql(f"CREATE EXTERNAL TABLE {name} ({cols}) STORED AS PARQUET LOCATION '{t['folder'].as_uri()}'")
    schema = spark_schema(spark.table(name))
    query = aggregate_sql(t["schema"], name)
    plan = spark.sql(query)._jdf.queryExecution().executedPlan().toString()
    assert "ParquetHiveSerDe" in plan and "FileScan" not in plan, f"not the Hive SerDe path: {plan}"
    rows, non_null, sums = split_aggregate(t["schema"], spark.sql(query).collect()[0])
    return schema, rows, non_null, sums


@pytest.fixture(scope="module")
def pyarrow_profiles(fixture_tables):
    """pyarrow's per-column non-null counts and sums: what every other reader must agree with."""
    return {(mode, table): profile_pyarrow(t) for mode, tables in fixture_tables.items() for table, t in tables.items()}


def reason(e):
    """One line on why a reader refused a file (a Java error: its root cause)."""
    java = getattr(e, "java_exception", None)
    if java is not None:
        while java.getCause() is not None:
            java = java.getCause()
        return " ".join(f"{java.getClass().getName()}: {java.getMessage()}".split())[:300]
    return f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0][:300]}"


def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


@pytest.mark.parametrize("reader", ["pyarrow", "polars", "duckdb", "spark-native", "spark-hive"])
@pytest.mark.parametrize("mode", MODES)
def test_every_parquet_output_opens_in(reader, mode, fixture_tables, pyarrow_profiles, request):
    spark = request.getfixturevalue("spark") if reader.startswith("spark") else None
    failures = []
    for table, t in sorted(fixture_tables[mode].items()):
        try:
            if reader == "pyarrow":
                got = profile_pyarrow(t)
            elif reader == "polars":
                got = profile_polars(t)
            elif reader == "duckdb":
                got = profile_duckdb(t)
            elif reader == "spark-native":
                got = profile_spark_native(spark, t)
            else:
                got = profile_spark_hive(spark, t, f"{mode}_{table}")
        except Exception as e:  # a reader that refuses the file: record it, try the other tables
            failures.append(f"{table}: {reason(e)}")
            continue
        schema, rows, non_null, sums = got
        _, _, want_non_null, want_sums = pyarrow_profiles[(mode, table)]
        if schema != t["schema"]:
            failures.append(f"{table}: schema {schema} != declared {t['schema']}")
        if rows != t["rows"]:
            failures.append(f"{table}: {rows} rows != {t['rows']} in summary.json")
        if non_null != want_non_null:
            failures.append(f"{table}: non-null counts {non_null} != pyarrow's {want_non_null}")
        if set(sums) != set(want_sums) or not all(close(sums[c], want_sums[c]) for c in want_sums):
            failures.append(f"{table}: sums {sums} != pyarrow's {want_sums}")
    assert not failures, f"{reader} ({mode}):\n" + "\n".join(failures)


def double_encodings(t):
    """{double column: whether its chunks are dictionary-encoded} of a table's file."""
    md = pq.ParquetFile(t["file"]).metadata
    rg = md.row_group(0)
    return {rg.column(i).path_in_schema: "RLE_DICTIONARY" in rg.column(i).encodings
            for i in range(rg.num_columns) if rg.column(i).physical_type == "DOUBLE"}


def test_the_fixture_run_covers_the_readers_concerns(fixture_tables):
    """The checks above only mean something if the run writes double columns and non-empty
    tables, and double columns in both encodings the engine writes: plain (the fixtures'
    continuous readings) and dictionary (the three-valued ones)."""
    for mode, tables in fixture_tables.items():
        doubles = [table for table, t in tables.items() if any(ty == "double" for _, ty in t["schema"])]
        assert len(doubles) >= 3, f"{mode}: tables with double columns: {doubles}"
        assert all(tables[table]["rows"] > 0 for table in doubles), mode
    for table in ("accelerometer_landing", "accelerometer_trusted", "machine_learning_curated"):
        plain = double_encodings(fixture_tables["strict"][table])
        dictionary = double_encodings(fixture_tables["repetitive"][table])
        for c in "xyz":
            assert plain[c] is False, f"{table}.{c}: the fixtures' readings are plain-encoded"
            assert dictionary[c] is True, f"{table}.{c}: three-valued readings are dictionary-encoded"


def test_three_valued_readings_read_back_as_written(fixture_tables):
    """Against what `repetitive_readings` wrote, not against another reader: the dictionary-encoded
    landing readings hold only the three values written, every reading kept, and the rest of each
    row (users, timestamps) is the plain run's."""
    plain = pq.read_table(fixture_tables["strict"]["accelerometer_landing"]["file"])
    dictionary = pq.read_table(fixture_tables["repetitive"]["accelerometer_landing"]["file"])
    assert dictionary.num_rows == plain.num_rows > 0
    for c in "xyz":
        values = set(dictionary[c].drop_null().to_pylist())
        assert values <= {-1.0, 0.0, 1.0} and len(values) >= 2, f"{c}: {values}"
        assert dictionary[c].null_count == plain[c].null_count, c
    assert dictionary["user"].to_pylist() == plain["user"].to_pylist()
    assert dictionary["timestamp"].to_pylist() == plain["timestamp"].to_pylist()

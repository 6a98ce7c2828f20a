"""stedi-lake as one Spark job (AWS Glue 5.0: Spark 3.5, Python 3.11; or any PySpark 3.5):
landing JSON -> the eight tables of the STEDI lakehouse, the same rows as `stedi-lake run`.

Steps, in order, in one Spark session (one job, so the decoded landing data is read once and every
table is computed from the same snapshot):
  1. list the landing files under --landing and apply the engine's landing rule (which paths are
     landing data: `stedi_lake.select_landing`);
  2. decode every file with the engine's own decoder (`stedi_lake.decode_file`, the stedi-lake wheel),
     one file per task: framing, encodings, key spellings, number rules and every quarantine reason
     are the engine's by construction, not a second implementation;
  3. apply the rules of --mode in Spark SQL (docs/sql/spark/<mode>.sql, tested against the engine);
  4. write the eight tables as Snappy Parquet in the Hive layout (<out>/<zone>/<table>/), the
     quarantined records (<out>/quarantine/, JSON lines with file, line, source, reason) and
     <out>/summary.json (tables.<name>.rows, per-source counts, per-file reports).

Arguments: --landing PATH --out PATH [--mode strict|rubric] [--rules-sql FILE]. On Glue they are
job parameters (getResolvedOptions); elsewhere command-line options (argparse).
A landing file is read whole by one task (Spark's binaryFile source): at most 2 GiB per file.
"""
import argparse
import json
import sys

# The rules of each mode in Spark SQL, and the mode this bundle was generated for: filled in by
# `stedi-lake glue` (crate/src/glue/mod.rs); without them, pass --mode and --rules-sql.
RULES_SQL = {}
DEFAULT_MODE = "strict"

LANDING = ("customer_landing", "accelerometer_landing", "step_trainer_landing")
SOURCE_TABLE = {"customer": "customer_landing", "accelerometer": "accelerometer_landing",
                "step_trainer": "step_trainer_landing"}
ZONE = {"customer_landing": "typed_landing", "accelerometer_landing": "typed_landing",
        "step_trainer_landing": "typed_landing", "customer_trusted": "trusted",
        "accelerometer_trusted": "trusted", "step_trainer_trusted": "trusted",
        "customers_curated": "curated", "machine_learning_curated": "curated"}
# Read order of a customer record (the strict "last row read" tie-break): file index * 2^32 + row.
ROW_BITS = 32


def arguments(argv):
    names = ["landing", "out", "mode", "rules_sql"]
    try:
        from awsglue.utils import getResolvedOptions  # only on AWS Glue
    except ImportError:
        p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        p.add_argument("--landing", required=True, help="landing folder (local path or s3://bucket/prefix)")
        p.add_argument("--out", required=True, help="output folder (local path or s3://bucket/prefix)")
        p.add_argument("--mode", choices=["strict", "rubric"], default=None,
                       help=f"rule set (default: {DEFAULT_MODE}, the bundle's)")
        p.add_argument("--rules-sql", dest="rules_sql", help="Spark SQL of the rules (default: the bundle's)")
        return vars(p.parse_args(argv[1:]))
    present = [n for n in names if f"--{n}" in argv]
    args = getResolvedOptions(argv, present)
    return {n: args.get(n) for n in names}


def statements(sql):
    text = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in text.split(";\n") if s.strip().rstrip(";").strip()]


def display_names(root, paths):
    """The engine's name for each file: its path from the landing folder's parent
    (`landing/customer/x.json`), or its file name when --landing is one file."""
    def plain(p):  # file:/a, file:///a -> /a; s3://bucket/key stays
        if p.startswith("file:"):
            p = "/" + p[len("file:"):].lstrip("/")
        return p.rstrip("/")
    root = plain(root)
    parent = root.rsplit("/", 1)[0]
    names = []
    for p in map(plain, paths):
        if p == root:
            names.append(p.rsplit("/", 1)[-1])
        elif p.startswith(root + "/"):
            names.append(p[len(parent) + 1:])
        else:
            names.append(p)
    return names


def decode_partition(order, schemas):
    """mapInArrow function: each (path, content) row decoded by the engine into wide rows."""
    import numpy as np
    import pyarrow as pa
    import stedi_lake

    wide = wide_schema(schemas)

    def run(batches):
        for batch in batches:
            for path, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
                index, name = order[path]
                d = stedi_lake.decode_file(name, content)
                for table in LANDING:
                    t = d[table]
                    if t.num_rows == 0:
                        continue
                    cols = {}
                    for f in wide:
                        if f.name == "_kind":
                            cols[f.name] = pa.repeat(pa.scalar(table, pa.string()), t.num_rows)
                        elif f.name == "_order":
                            cols[f.name] = pa.array(np.arange(t.num_rows, dtype=np.int64) + (index << ROW_BITS))
                        elif f.name in t.column_names:
                            cols[f.name] = t.column(f.name).cast(f.type)
                        else:
                            cols[f.name] = pa.nulls(t.num_rows, f.type)
                    yield from pa.Table.from_pydict(cols, schema=wide).to_batches()
                extra = [("report", json.dumps(d["report"]))] + [("quarantine", json.dumps(q)) for q in d["quarantine"]]
                cols = {f.name: pa.nulls(len(extra), f.type) for f in wide}
                cols["_kind"] = pa.array([k for k, _ in extra], pa.string())
                cols["_order"] = pa.array([index] * len(extra), pa.int64())
                cols["_json"] = pa.array([j for _, j in extra], pa.string())
                yield pa.RecordBatch.from_pydict(cols, schema=wide)
    return run


def wide_schema(schemas):
    import pyarrow as pa
    fields = [pa.field("_kind", pa.string()), pa.field("_order", pa.int64()), pa.field("_json", pa.string())]
    seen = set()
    for table in LANDING:
        for f in schemas[table]:
            if f.name not in seen:
                seen.add(f.name)
                fields.append(pa.field(f.name, f.type, nullable=True))
    return pa.schema(fields)


def main(argv):
    args = arguments(argv)
    mode = args["mode"] or DEFAULT_MODE
    if args.get("rules_sql"):
        with open(args["rules_sql"], encoding="utf-8") as f:
            rules = f.read()
    else:
        rules = RULES_SQL[mode]
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName(f"stedi-lake-{mode}").getOrCreate()
    return run_job(spark, args["landing"], args["out"], mode, rules)


def list_landing(spark, landing):
    """Step 1: the landing files under `landing` by the engine's landing rule, in the engine's
    order: ([(name, path, bytes)] sorted by name, [{"name", "reason"}] skipped). Listed with the
    Hadoop file system (local, S3): a scan would leave out empty files, which the engine reports."""
    import stedi_lake
    jvm = spark.sparkContext._jvm
    root = jvm.org.apache.hadoop.fs.Path(landing.rstrip("/"))
    fs = root.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    found = []
    files = fs.listFiles(root, True)
    while files.hasNext():
        status = files.next()
        found.append((status.getPath().toString(), status.getLen()))
    found.sort()
    names = display_names(landing.rstrip("/"), [p for p, _ in found])
    verdicts = stedi_lake.select_landing(names)
    chosen = sorted((n, p, size) for n, (p, size), v in zip(names, found, verdicts) if v is None)
    skipped = [{"name": n, "reason": v} for n, v in zip(names, verdicts) if v is not None]
    return chosen, skipped


def decode_landing(spark, roots, chosen):
    """Step 2: decode the files `chosen` ([(name, path, bytes)] found under the folders `roots`, in
    read order) with the engine's decoder,
    one file per task, into the views customer_landing (with `rn`, its read order),
    accelerometer_landing and step_trainer_landing (over `_decoded`, the cached decoded rows:
    see landing_views). Returns (per-file reports in read order,
    quarantined records in read order) as the engine's JSON dicts."""
    import stedi_lake
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    order = {p: (i, n) for i, (n, p, _) in enumerate(chosen)}
    empty = stedi_lake.decode_file("landing/customer/empty.json", b"")
    schemas = {t: empty[t].schema for t in LANDING}
    wide = wide_schema(schemas)
    # Spark's scans skip empty files: those are decoded here (nothing to distribute).
    paths = [p for _, p, size in chosen if size > 0]
    empties = [(order[p][0], stedi_lake.decode_file(n, b"")) for n, p, size in chosen if size == 0]
    # Loaded by folder and filtered (a file name may hold glob characters Spark would expand);
    # one file per scan partition (not packed into 128 MB splits), so files decode in parallel
    # without shuffling their bytes.
    packing = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "1")
    try:
        content = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(roots)
                   .where(F.col("path").isin(paths)).select("path", "content"))
        decoded = content.mapInArrow(decode_partition(order, schemas), from_arrow_schema(wide)).cache()
        side = decoded.where(F.col("_kind").isin("report", "quarantine")).select("_kind", "_order", "_json").collect()
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", packing)
    decoded.createOrReplaceTempView("_decoded")
    landing_views(spark)
    reports = [(r["_order"], json.loads(r["_json"])) for r in side if r["_kind"] == "report"]
    reports = [r for _, r in sorted(reports + [(i, d["report"]) for i, d in empties], key=lambda x: x[0])]
    quarantine = [(r["_order"], json.loads(r["_json"])) for r in side if r["_kind"] == "quarantine"]
    quarantine += [(i, q) for i, d in empties for q in d["quarantine"]]
    # Stable sort: a file's records keep their order.
    quarantine = [q for _, q in sorted(quarantine, key=lambda x: x[0])]
    return reports, quarantine


def landing_views(spark, files=None):
    """The views customer_landing (with `rn`), accelerometer_landing and step_trainer_landing over
    the decoded rows (`_decoded`, kept by decode_landing): every file's rows, or only those of
    the files whose read index is in `files` (a range)."""
    from pyspark.sql import functions as F
    import stedi_lake

    empty = stedi_lake.decode_file("landing/customer/empty.json", b"")
    decoded = spark.table("_decoded")
    if files is not None:
        index = F.shiftright(F.col("_order"), ROW_BITS)
        # One task for the few rows of a few files (not one per file of the whole cache).
        decoded = decoded.where((index >= files.start) & (index < files.stop)).coalesce(1)
    for table in LANDING:
        cols = [f.name for f in empty[table].schema]
        view = decoded.where(F.col("_kind") == table)
        if table == "customer_landing":
            view = view.select(*cols, F.col("_order").alias("rn"))
        else:
            view = view.select(*cols)
        view.createOrReplaceTempView(table)


def apply_rules(spark, rules):
    """Step 3: the rules' statements (CREATE TEMPORARY VIEW ...) over the landing views; returns
    the names of the views they defined."""
    for sql in statements(rules):
        spark.sql(sql)
    return [t.name for t in spark.catalog.listTables()
            if t.isTemporary and t.name not in LANDING and t.name != "_decoded"]


def table_frame(spark, table):
    """One of the eight tables as the job writes it: customer_landing without `rn`, deviceId as
    BIGINT (the engine's INT64)."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType

    df = spark.table(table)
    if table == "customer_landing":
        df = df.drop("rn")
    if "deviceId" in df.columns:
        df = df.withColumn("deviceId", F.col("deviceId").cast(LongType()))
    return df


def run_job(spark, landing, out, mode, rules):
    """Every step of the job in `spark`: landing folder -> <out>/<zone>/<table>/, quarantine/,
    summary.json. Returns the summary (a dict)."""
    landing, out = landing.rstrip("/"), out.rstrip("/")
    chosen, skipped = list_landing(spark, landing)
    reports, quarantine = decode_landing(spark, [landing], chosen)

    # 3. The rules of the mode. Every view they define is cached as it is first computed: later
    # tables build on earlier ones (curated on trusted), which Spark would otherwise recompute.
    views = apply_rules(spark, rules)
    for view in views:
        spark.catalog.cacheTable(view)

    # 4. The tables, the quarantine and summary.json.
    rows = {}
    for table, zone in ZONE.items():
        df = table_frame(spark, table)
        df.write.mode("overwrite").option("compression", "snappy").parquet(f"{out}/{zone}/{table}")
        rows[table] = spark.read.parquet(f"{out}/{zone}/{table}").count()
    spark.createDataFrame([(json.dumps(q),) for q in quarantine], "value string").coalesce(1) \
        .write.mode("overwrite").text(f"{out}/quarantine")
    for view in views:
        spark.catalog.uncacheTable(view)
    spark.catalog.clearCache()
    summary = summarize(mode, rows, reports, quarantine, skipped)
    write_text(spark, f"{out}/summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def summarize(mode, rows, reports, quarantine, skipped):
    """summary.json: the engine's per-source counts, summed from the per-file reports."""
    def counts():
        return {"files": 0, "bytes": 0, "records_read": 0, "kept": 0, "quarantined_total": 0, "quarantined": {},
                "coverage": {"text_bytes": 0, "kept_bytes": 0, "quarantined_bytes": 0, "framing_bytes": 0}}
    sources = {s: counts() for s in ("accelerometer", "customer", "step_trainer")}
    unrouted = counts()
    for r in reports:
        c = sources[r["source"]] if r["source"] else unrouted
        c["files"] += 1
        c["bytes"] += r["bytes"]
        c["records_read"] += r["records"]
        c["kept"] += r["kept"]
        c["quarantined_total"] += r["quarantined"]
        for k, v in r["coverage"].items():
            c["coverage"][k] += v
    for q in quarantine:
        c = sources[q["source"]] if q.get("source") else unrouted
        c["quarantined"][q["reason"]] = c["quarantined"].get(q["reason"], 0) + 1
    for c in list(sources.values()) + [unrouted]:
        c["quarantined"] = dict(sorted(c["quarantined"].items()))
    return {"mode": mode, "tables": {t: {"rows": n} for t, n in rows.items()}, "sources": sources,
            "unrouted": unrouted, "files": reports, "skipped": skipped}


def write_text(spark, path, text):
    """One small text file at `path` on any file system Spark writes to (local, S3)."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    p = jvm.org.apache.hadoop.fs.Path(path)
    stream = p.getFileSystem(conf).create(p, True)
    stream.write(bytearray(text.encode("utf-8")))
    stream.close()


if __name__ == "__main__":
    main(sys.argv)

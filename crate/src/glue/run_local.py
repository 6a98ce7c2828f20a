"""Run the stedi-lake Spark job of this bundle on local files with the PySpark of this Python:

    python3 run_local.py --landing DIR --out DIR

(the bundle's mode and rules; --mode and --rules-sql override them).

The same job as on AWS Glue (stedi_lake_job.py, beside this file), on `local[*]`, writing
<out>/<zone>/<table>/ (Snappy Parquet), <out>/quarantine/ and <out>/summary.json. Needs
`pip install pyspark==3.5.* pandas` and the stedi-lake wheel (the engine's decoder), and Java 17.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import stedi_lake_job  # noqa: E402  (beside this file)


def main(argv):
    # Spark's Python workers run this interpreter (the one with pyspark and stedi_lake).
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    args = stedi_lake_job.arguments(argv)
    mode = args["mode"] or stedi_lake_job.DEFAULT_MODE
    if args.get("rules_sql"):
        with open(args["rules_sql"], encoding="utf-8") as f:
            rules = f.read()
    else:
        rules = stedi_lake_job.RULES_SQL[mode]
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[*]").appName(f"stedi-lake-{mode}")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    try:
        summary = stedi_lake_job.run_job(spark, args["landing"], args["out"], mode, rules)
    finally:
        spark.stop()
    for table, t in summary["tables"].items():
        print(f"{table:<26} {t['rows']:>10}")


if __name__ == "__main__":
    main(sys.argv)

"""Benchmark (not a test): the Glue bundle's Spark job (`stedi-lake glue`, run with its
run_local.py on local[N]) against the native CLI on the same generated landing set, both writing
every table as Snappy Parquet; runs alternate so the machine's noise hits both alike. Prints
seconds, MB/s and MB/s per core of each and checks that both report the same table rows. Issue
#11: the throughput per core is what the Glue cost estimate in docs/glue.md starts from.

Usage: python3 bench/glue_vs_engine.py [--size 1G] [--mode strict] [--runs 1] [--cores 2]
       [--driver-memory 12g]
Needs the wheel installed in this Python (scripts/build-python.sh, then pip install), PySpark
3.5, pandas and Java 17. Data and outputs go to a temporary folder, removed at the end.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "target" / "release" / "stedi-lake"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1G")
    ap.add_argument("--mode", default="strict", choices=["strict", "rubric"])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--cores", type=int, default=2)
    ap.add_argument("--driver-memory", default="12g")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="stedi-glue-bench-") as tmp:
        tmp = Path(tmp)
        landing = tmp / "landing"
        subprocess.run([str(CLI), "generate", "--out", str(landing), "--size", a.size, "--seed", "9", "-q"], check=True)
        mb = sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 1e6
        files = sum(1 for p in landing.rglob("*") if p.is_file())
        bundle = tmp / "bundle"
        subprocess.run([str(CLI), "glue", "--mode", a.mode, "--out", str(bundle), "-q"], check=True)
        env = dict(os.environ, PYSPARK_SUBMIT_ARGS=f"--master local[{a.cores}] --driver-memory {a.driver_memory} pyspark-shell")
        times = {"cli": [], "spark": []}
        rows = {}
        for r in range(a.runs):
            out = tmp / f"cli-{r}"
            t = time.perf_counter()
            subprocess.run([str(CLI), "run", str(landing), "--out", str(out), "--mode", a.mode, "--formats", "parquet",
                            "--threads", str(a.cores), "-q"], check=True)
            times["cli"].append(time.perf_counter() - t)
            rows["cli"] = {k: v["rows"] for k, v in json.loads((out / "summary.json").read_text())["tables"].items()}
            out = tmp / f"spark-{r}"
            t = time.perf_counter()
            res = subprocess.run([sys.executable, str(bundle / "jobs" / "run_local.py"), "--landing", str(landing),
                                  "--out", str(out)], env=env, capture_output=True, text=True)
            times["spark"].append(time.perf_counter() - t)
            if res.returncode != 0:
                sys.exit(f"spark job failed:\n{res.stderr[-4000:]}")
            rows["spark"] = {k: v["rows"] for k, v in json.loads((out / "summary.json").read_text())["tables"].items()}
        same = rows["cli"] == rows["spark"]
        print(f"landing: {mb:.1f} MB in {files} files, mode {a.mode}, {a.cores} cores; same table rows: {same}")
        for k in ("cli", "spark"):
            best = min(times[k])
            print(f"{k:<6} best {best:8.2f} s  {mb / best:8.1f} MB/s  {mb / best / a.cores:7.1f} MB/s per core  (runs: "
                  + ", ".join(f"{x:.2f}" for x in times[k]) + ")")
        print(f"spark / cli: {min(times['spark']) / min(times['cli']):.1f}x")
        if not same:
            sys.exit(f"row counts differ: {rows}")


if __name__ == "__main__":
    main()

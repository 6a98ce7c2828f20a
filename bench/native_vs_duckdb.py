"""Benchmark (not a test): the native CLI and the page in headless Chromium against native DuckDB
doing the same work in the same run: landing NDJSON -> the strict (or rubric) rules (DuckDB runs
docs/sql/<mode>.sql, the executable spec) -> all eight tables as Snappy Parquet. Runs alternate
(DuckDB, ours with one thread, ours with every core, the page, ...) so the machine's noise hits all
alike; prints the best and the median of each, the ratios of the medians, peak memory (RSS of
DuckDB's process and of the CLI; the page's wasm memory and its Chromium process tree's PSS), and
checks the page's counts against the CLI's. Issue #13 targets: the CLI <= 0.5x DuckDB's 2-thread
time (strict), the page <= 1.0x.

Usage: python3 bench/native_vs_duckdb.py [--scale 100] [--runs 3] [--mode strict] [--threads 2]
                                         [--data distinct|repeated] [--landing DIR] [--no-browser]
The data (both built from ../shared/stedi/landing, read by path; skips with a message when it is absent):
- `distinct` (the default): bench/scale.py's k distinct copies, with exact xk rows in every table,
  written to a temporary folder removed at the end, or to `--landing DIR`, kept and reused.
- `repeated`: the real files listed k times (the CLI and DuckDB read the same paths again, the page
  a temporary folder of hard links): strict's exact-duplicate rule folds the copies back to one,
  so the derived tables stay x1 (the figures of sessions 9-14 in docs/performance.md).
The page needs pkg/ (scripts/build-web.sh) and node_modules (npm ci). Outputs go to a temporary
folder, removed at the end; DuckDB's
spill is capped at 4 GiB and our CLI refuses a table over --max-rows, so the rubric joins (which
fan out: at x100 the reference machine_learning_curated is beyond both) cannot fill the disk;
compare rubric at --scale 10.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

import scale as scaled

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "stedi" / "landing"
CLI = ROOT / "target" / "release" / "stedi-lake"
SCHEMAS = {
    "customer": "{'customerName':'VARCHAR','email':'VARCHAR','phone':'VARCHAR','birthDay':'VARCHAR',"
                "'serialNumber':'VARCHAR','registrationDate':'BIGINT','lastUpdateDate':'BIGINT',"
                "'shareWithResearchAsOfDate':'BIGINT','shareWithPublicAsOfDate':'BIGINT',"
                "'shareWithFriendsAsOfDate':'BIGINT'}",
    "accelerometer": "{'user':'VARCHAR','timestamp':'BIGINT','x':'DOUBLE','y':'DOUBLE','z':'DOUBLE'}",
    "step_trainer": "{'sensorReadingTime':'BIGINT','serialNumber':'VARCHAR','distanceFromObject':'BIGINT'}",
}
TABLES = ["customer_landing", "accelerometer_landing", "step_trainer_landing", "customer_trusted",
          "accelerometer_trusted", "step_trainer_trusted", "customers_curated", "machine_learning_curated"]


def landing_files(data, scale, source):
    """The files of `source` in the run's landing data (`data`: a folder, or `repeated`)."""
    if data == "repeated":
        return [str(p) for p in sorted((REAL / source).glob("*.json"))] * scale
    return [str(p) for p in sorted((Path(data) / source).glob("*.json"))]


def duckdb_run(data, scale, mode, threads, out):
    """Seconds for DuckDB to read, apply docs/sql/<mode>.sql and write every table as Parquet."""
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET temp_directory = '{out}/.duckdb_tmp'")
    # Bounded: the rubric joins fan out (x100 of the real data needs tens of GB of spill), and a
    # benchmark must not fill the disk. Over the bound DuckDB stops with an error, reported below.
    con.execute("SET max_temp_directory_size = '4GiB'")
    for source, cols in SCHEMAS.items():
        files = landing_files(data, scale, source)
        rel = f"read_json({files!r}, columns={cols}, format='newline_delimited', ignore_errors=true)"
        if source == "customer":  # the rules need the read order (`rn`)
            con.execute(f"CREATE TABLE customer_landing AS SELECT *, row_number() OVER () AS rn FROM {rel}")
        else:
            con.execute(f"CREATE TABLE {source}_landing AS SELECT * FROM {rel}")
    con.execute((ROOT / "docs" / "sql" / f"{mode}.sql").read_text())
    rows = {}
    for table in TABLES:
        con.execute(f"COPY (SELECT * {'EXCLUDE (rn) ' if table == 'customer_landing' else ''}FROM {table}) "
                    f"TO '{out}/{table}.parquet' (FORMAT parquet, COMPRESSION snappy)")
        rows[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    return time.perf_counter() - t, rows


def duckdb_child(data, scale, mode, threads, out):
    """DuckDB in a child process (this script with --duckdb-child), so its peak RSS is its own."""
    proc = subprocess.Popen([sys.executable, __file__, "--duckdb-child", data, str(scale), mode, str(threads), str(out)],
                            stdout=subprocess.PIPE, text=True)
    with proc.stdout:
        text = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if code != 0:
        sys.exit(f"DuckDB run failed (exit code {code})")
    r = json.loads(text)
    PEAK_RSS_MB["duckdb"] = max(PEAK_RSS_MB.get("duckdb", 0), usage.ru_maxrss / 1024)
    return r["took"], r["rows"]


def landing_folder(scale, folder):
    """The real landing files listed `scale` times as hard links (symbolic where the file system refuses)."""
    for src in SCHEMAS:
        (folder / src).mkdir(parents=True)
        for p in sorted((REAL / src).glob("*.json")):
            for i in range(scale):
                dst = folder / src / f"r{i}-{p.name}"
                try:
                    os.link(p, dst)
                except OSError:
                    os.symlink(p.resolve(), dst)


def page_run(folder, expect):
    """The page in headless Chromium (bench/browser.mjs, one run), its counts checked against `expect`."""
    res = subprocess.run(["node", str(ROOT / "bench" / "browser.mjs"), str(folder), "1", "--expect", str(expect)],
                         capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        sys.exit(f"the page run failed: {res.stderr or res.stdout}")
    b = json.loads(next(line for line in res.stdout.splitlines() if line.startswith("BROWSER "))[8:])
    PAGE.append(b)
    return b["best_total_s"]


PAGE = []


def ours_run(data, scale, mode, threads, out):
    t = time.perf_counter()
    inputs = [str(REAL)] * scale if data == "repeated" else [data]
    res = subprocess.run([str(CLI), "run", *inputs, "--out", str(out), "--mode", mode,
                          "--formats", "parquet", "--threads", str(threads), "--json", "--timings"],
                         capture_output=True, text=True)
    took = time.perf_counter() - t
    if res.returncode != 0:
        sys.exit(f"stedi-lake failed: {res.stderr}")
    rows = {k: v["rows"] for k, v in json.loads(res.stdout)["tables"].items()}
    SUMMARY.setdefault("json", res.stdout)
    bench = json.loads(next(line for line in res.stderr.splitlines() if line.startswith("BENCH "))[6:])
    PEAK_RSS_MB[threads] = max(PEAK_RSS_MB.get(threads, 0), bench["peak_rss_mb"])
    PHASES.setdefault(threads, []).append(bench)
    return took, rows


PEAK_RSS_MB = {}
PHASES = {}
SUMMARY = {}


def main():
    if sys.argv[1:2] == ["--duckdb-child"]:
        data, scale, mode, threads, out = sys.argv[2:7]
        took, rows = duckdb_run(data, int(scale), mode, int(threads), out)
        print(json.dumps({"took": took, "rows": rows}))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=100)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", default="strict", choices=["strict", "rubric"])
    ap.add_argument("--threads", type=int, default=2, help="DuckDB's threads and our widest run")
    ap.add_argument("--data", default="distinct", choices=["distinct", "repeated"],
                    help="k distinct copies (bench/scale.py) or the real files k times")
    ap.add_argument("--landing", type=Path, help="distinct: generate into (or reuse) this folder, kept")
    ap.add_argument("--no-browser", action="store_true", help="skip the page in Chromium")
    a = ap.parse_args()
    if a.landing and a.data == "repeated":
        ap.error("--landing is the folder of --data distinct")
    if not REAL.is_dir():
        print(f"skipped: the real data is not at {REAL}")
        return
    if not CLI.exists():
        sys.exit(f"{CLI} missing: cargo build --release")
    browser = not a.no_browser
    if browser and not (ROOT / "pkg" / "stedi_lake_bg.wasm").exists():
        sys.exit("pkg/ missing: bash scripts/build-web.sh (or --no-browser)")
    names = ["duckdb", "ours, 1 thread", f"ours, {a.threads} threads"] + (["the page (Chromium)"] if browser else [])
    runs = {name: [] for name in names}
    rows = {}
    work = Path(tempfile.mkdtemp(prefix="stedi-bench-"))
    try:
        if a.data == "repeated":
            data = "repeated"
            if browser:
                landing_folder(a.scale, work / "landing")
            page_landing = work / "landing"
        else:
            page_landing = a.landing or work / "landing"
            t = time.perf_counter()
            scaled.generate(a.scale, page_landing)
            print(f"the data: {page_landing} (bench/scale.py, {time.perf_counter() - t:.0f} s)", flush=True)
            data = str(page_landing)
        mb = sum(os.path.getsize(f) for s in SCHEMAS for f in landing_files(data, a.scale, s)) / 1e6
        for _ in range(a.runs):
            for name in runs:
                out = work / "out"
                out.mkdir()
                try:
                    if name == "duckdb":
                        took, r = duckdb_child(data, a.scale, a.mode, a.threads, out)
                    elif name.startswith("the page"):
                        (work / "expect.json").write_text(SUMMARY["json"])
                        took, r = page_run(page_landing, work / "expect.json"), None
                    else:
                        took, r = ours_run(data, a.scale, a.mode, 1 if "1 thread" in name else a.threads, out / "o")
                finally:
                    shutil.rmtree(out, ignore_errors=True)
                runs[name].append(took)
                if r is not None:
                    rows.setdefault(name, r)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    what = "k distinct copies (bench/scale.py)" if a.data == "distinct" else "the real files repeated"
    print(f"{a.mode}, real data x{a.scale}, {what} ({mb:.0f} MB of landing NDJSON), best and median of {a.runs}:")
    base = statistics.median(runs["duckdb"])
    for name, ts in runs.items():
        med = statistics.median(ts)
        print(f"  {name:<20} best {min(ts):6.2f} s  median {med:6.2f} s  ({mb / med:5.0f} MB/s)  "
              f"{med / base:4.2f}x DuckDB's {a.threads}-thread median")
    ours = rows["ours, 1 thread"]
    same = all(ours[t] == rows["duckdb"][t] for t in TABLES if not t.endswith("_landing"))
    print(f"  derived table rows equal to DuckDB's: {same}")
    print(f"  DuckDB peak RSS {PEAK_RSS_MB['duckdb']:.0f} MB ({PEAK_RSS_MB['duckdb'] / mb:.2f}x the input)")
    for threads, runs_ in PHASES.items():
        b = min(runs_, key=lambda d: d["total_s"])
        rules = "rules" if threads == 1 else "rules (the landing tables' Parquet written beside)"
        print(f"  ours, {threads} thread(s), best run: read+decode {b['ingest_s']:.2f} s, {rules} {b['zones_s']:.2f} s, "
              f"Parquet {b['parquet_s']:.2f} s, reports {b['reports_s']:.2f} s; peak RSS {PEAK_RSS_MB[threads]:.0f} MB "
              f"({PEAK_RSS_MB[threads] / mb:.2f}x the input)")
    if PAGE:
        wasm = max(p["wasm_mb"] for p in PAGE)
        tree = max(p["tree_mb"] for p in PAGE)
        print(f"  the page: {PAGE[0]['decoders']} decode worker(s), every table's rows and every source's counts equal to "
              f"the CLI's; peak wasm memory {wasm:.0f} MB ({wasm / mb:.2f}x the input), Chromium process tree "
              f"{tree:.0f} MB PSS; the page's main thread used {min(p['main_cpu_s'] for p in PAGE):.2f}-"
              f"{max(p['main_cpu_s'] for p in PAGE):.2f} s of CPU per run")


if __name__ == "__main__":
    main()

"""The Python package (python/, PyO3) against the CLI: the wheel built by scripts/build-python.sh,
installed with one `pip install` into a fresh virtual environment (no site packages of this
machine), runs the pipeline over the fixture set, a generated set with every data-quality problem
the generator makes, and the real data when present, in both modes. Checked against the CLI's
files, which are an independent reading of the same outputs:
- `Run.write(out)` writes the same files, byte for byte, as `stedi-lake run --out`;
- `Run.table(name)` (pyarrow, Arrow C data interface) equals pyarrow's reading of the CLI's
  Parquet file for every table, schema included; `Run.summary`/`Run.quality` equal its JSON files;
- the README's "From Python" example runs as printed (with the `pandas` extra);
- bad arguments and refused folders raise the documented Python exceptions.
"""
import json
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

from conftest import CLI, FIXTURES, REAL, ROOT, TABLES, run_cli

WHEELS = ROOT / "target" / "wheels"


def _wheel():
    found = sorted(WHEELS.glob("stedi_lake-*.whl"))
    if not found:
        subprocess.run(["bash", str(ROOT / "scripts" / "build-python.sh")], check=True)
        found = sorted(WHEELS.glob("stedi_lake-*.whl"))
    assert len(found) == 1, f"expected one wheel in {WHEELS}, found {found}"
    return found[0]


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """A fresh venv with the wheel (and its `pandas` extra) installed by one `pip install`."""
    wheel = _wheel()
    env_dir = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    res = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[pandas]"],
                         capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    # Nothing of this checkout on the path: the installed package only.
    res = subprocess.run([str(py), "-c", "import stedi_lake, sys; print(stedi_lake.__file__)"],
                         capture_output=True, text=True, cwd=env_dir)
    assert res.returncode == 0 and str(env_dir) in res.stdout, res.stdout + res.stderr
    return py


def py_run(venv, code, cwd=None):
    res = subprocess.run([str(venv), "-c", textwrap.dedent(code)], capture_output=True, text=True, cwd=cwd)
    return res


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated landing set (~8 MB) with the generator's data-quality problems."""
    out = tmp_path_factory.mktemp("generated") / "landing"
    subprocess.run([str(CLI), "generate", "--out", str(out), "--size", "8M", "--seed", "7", "-q"], check=True)
    return out


def landing_sets(generated):
    sets = {"fixtures": FIXTURES, "generated": generated}
    if REAL.is_dir():
        sets["real"] = REAL
    else:
        print(f"note: {REAL} not found; the real-data case is skipped (it runs where the data exists)")
    return sets


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("mode", ["strict", "rubric"])
def test_every_output_and_table_equals_the_clis(venv, generated, tmp_path, mode):
    checked = 0
    for name, landing in landing_sets(generated).items():
        cli_out = tmp_path / f"cli-{name}"
        run_cli(landing, cli_out, mode)
        py_out = tmp_path / f"py-{name}"
        res = py_run(venv, f"""
            import json, pathlib, sys
            import pyarrow.parquet as pq
            import stedi_lake
            cli = pathlib.Path({str(cli_out)!r})
            tables = {TABLES!r}
            run = stedi_lake.run([{str(landing)!r}], mode={mode!r})
            assert run.mode == {mode!r} and run.tables == list(tables), (run.mode, run.tables)
            run.write({str(py_out)!r})
            summary = json.loads((cli / "summary.json").read_text())
            assert run.summary == summary, "Run.summary differs from the CLI's summary.json"
            assert run.quality == json.loads((cli / "data_quality.json").read_text())
            for t, folder in tables.items():
                got = run.table(t)
                want = pq.read_table(cli / folder / t / "part-00000.parquet")
                assert got.schema.equals(want.schema), (t, got.schema, want.schema)
                assert got.equals(want), t
                assert got.num_rows == run.rows(t) == summary["tables"][t]["rows"], t
            print("rows", sum(run.rows(t) for t in tables))
        """)
        assert res.returncode == 0, f"{name}: {res.stdout}{res.stderr}"
        assert int(res.stdout.split()[-1]) > 0
        want, got = tree(cli_out), tree(py_out)
        assert sorted(got) == sorted(want), f"{name}: different files"
        differ = [p for p in want if want[p] != got[p]]
        assert not differ, f"{name}: files differ from the CLI's: {differ}"
        checked += len(want)
    assert checked > 0


def test_readme_example_runs_as_printed(venv, tmp_path):
    readme = (ROOT / "README.md").read_text()
    m = re.search(r"<!-- python-example -->\s*```python\n(.*?)```", readme, re.S)
    assert m, "README has no python example marked <!-- python-example -->"
    # The README runs in the project root (fixtures/landing is its sample data).
    res = py_run(venv, m.group(1).replace("out/", str(tmp_path / "out") + "/"), cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (tmp_path / "out" / "curated" / "machine_learning_curated" / "part-00000.parquet").is_file()


def test_errors_are_python_exceptions(venv, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("hello\n")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "mine.txt").write_text("not an output\n")
    res = py_run(venv, f"""
        import stedi_lake
        def raises(exc, f, text):
            try:
                f()
            except exc as e:
                assert text in str(e), (exc, str(e))
                return
            raise AssertionError(f"no {{exc.__name__}} with {{text!r}}")
        raises(ValueError, lambda: stedi_lake.run([{str(FIXTURES)!r}], mode="lenient"), "lenient")
        raises(ValueError, lambda: stedi_lake.run([{str(FIXTURES)!r}], threads=0), "threads=0")
        raises(ValueError, lambda: stedi_lake.run([]), "no paths")
        raises(OSError, lambda: stedi_lake.run([{str(tmp_path / "missing")!r}]), "missing")
        raises(stedi_lake.LakeError, lambda: stedi_lake.run([{str(tmp_path / "notes")!r}]), "no STEDI landing data")
        raises(stedi_lake.LakeError, lambda: stedi_lake.run([{str(FIXTURES)!r}], max_rows=10), "limit of 10 rows")
        run = stedi_lake.run([{str(FIXTURES)!r}])
        raises(ValueError, lambda: run.table("customers"), "customers")
        raises(ValueError, lambda: run.write({str(tmp_path / "o")!r}, formats=["csv"]), "csv")
        raises(stedi_lake.LakeError, lambda: run.write({str(tmp_path / "busy")!r}), "Use overwrite=True")
        raises(stedi_lake.LakeError, lambda: run.write({str(tmp_path / "busy")!r}, overwrite=True), "not a stedi-lake output")
        run.write({str(tmp_path / "o")!r}, formats=["parquet"])
        raises(stedi_lake.LakeError, lambda: run.write({str(tmp_path / "o")!r}), "not empty")
        run.write({str(tmp_path / "o")!r}, overwrite=True)
        # One path as str, bytes or os.PathLike; a format as one str; the error type picklable.
        import os, pathlib, pickle
        for p in ({str(FIXTURES)!r}, os.fsencode({str(FIXTURES)!r}), pathlib.Path({str(FIXTURES)!r})):
            assert stedi_lake.run(p).rows("customer_landing") == run.rows("customer_landing")
        run.write(pathlib.Path({str(tmp_path / "p")!r}), formats="parquet")
        e = pickle.loads(pickle.dumps(stedi_lake.LakeError("x")))
        assert type(e) is stedi_lake.LakeError and stedi_lake.LakeError.__module__ == "stedi_lake"
        print("ok")
    """)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stdout + res.stderr
    assert (tmp_path / "busy" / "mine.txt").read_text() == "not an output\n"
    assert (tmp_path / "o" / "ndjson").is_dir()
    assert (tmp_path / "p" / "curated").is_dir() and not (tmp_path / "p" / "ndjson").exists()


def test_concurrent_writes_to_one_folder_never_leave_it_incomplete(venv, tmp_path):
    """Threads writing the same folder: each call succeeds or raises, and the folder is always one
    complete output (each call writes into its own temporary tree, swapped in whole)."""
    res = py_run(venv, f"""
        import pathlib, threading
        import stedi_lake
        run = stedi_lake.run({str(FIXTURES)!r})
        ref = pathlib.Path({str(tmp_path / "ref")!r})
        run.write(ref)
        want = {{p.relative_to(ref): p.read_bytes() for p in ref.rglob("*") if p.is_file()}}
        out = pathlib.Path({str(tmp_path / "same")!r})
        ok = 0
        for trial in range(8):
            results = []
            def go():
                try:
                    run.write(out, overwrite=True)
                    results.append("ok")
                except (OSError, stedi_lake.LakeError) as e:
                    results.append(type(e).__name__)
            threads = [threading.Thread(target=go) for _ in range(4)]
            [t.start() for t in threads]
            [t.join() for t in threads]
            got = {{p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}}
            assert got == want, (trial, results, len(got), len(want))
            ok += results.count("ok")
        left = [p.name for p in out.parent.iterdir() if "stedi-lake-tmp" in p.name]
        assert not left, left
        print(ok)
    """)
    assert res.returncode == 0, res.stdout + res.stderr
    assert int(res.stdout.strip()) >= 8

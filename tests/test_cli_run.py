"""The CLI's `run` as a data engineer uses it: repeated runs into one folder, a hostile file system,
file names that try to forge terminal lines, and joins that would fill a disk (issues #9 and #10).
Counts are checked against independent figures: files and bytes on disk, the first run's tables."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import CLI, FIXTURES, datasets


def run(*args, timeout=120):
    assert CLI.exists(), f"{CLI} missing: build it with `cargo build --release`"
    return subprocess.run([str(CLI), "run", *map(str, args)], capture_output=True, text=True, timeout=timeout)


def summary(out):
    return json.loads((out / "summary.json").read_text())


def rows(out):
    return {t: v["rows"] for t, v in summary(out)["tables"].items()}


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def landing(tmp_path):
    root = tmp_path / "L"
    shutil.copytree(FIXTURES, root)
    return root


def test_output_inside_the_input_is_never_read_and_a_rerun_needs_overwrite(landing):
    out = landing / "out"
    first = run(landing, "--out", out, "--mode", "rubric")
    assert first.returncode == 0, first.stderr
    before = rows(out)
    # Run again into the same folder: refused (exit 2), and the message names --overwrite.
    again = run(landing, "--out", out, "--mode", "rubric")
    assert again.returncode == 2, again.stderr
    assert "--overwrite" in again.stderr and "not empty" in again.stderr
    assert rows(out) == before, "a refused run leaves the folder as it was"
    # With --overwrite: the output folder inside the input is skipped (and said so), counts equal.
    third = run(landing, "--out", out, "--mode", "rubric", "--overwrite")
    assert third.returncode == 0, third.stderr
    assert "output folder" in third.stderr
    assert rows(out) == before
    assert any(s["name"].endswith("L/out") for s in summary(out)["skipped"])
    # No temporary or old tree is left beside it.
    assert sorted(p.name for p in landing.iterdir()) == ["accelerometer", "customer", "out", "step_trainer"]


def test_overwrite_replaces_the_whole_tree_and_refuses_foreign_folders(landing, tmp_path):
    out = tmp_path / "out"
    assert run(landing, "--out", out).returncode == 0
    written = files_under(out)
    # A stale part and a stale NDJSON copy, as an earlier run or a person may leave them.
    stale = out / "trusted" / "customer_trusted" / "part-00001.parquet"
    stale.write_bytes((out / "trusted" / "customer_trusted" / "part-00000.parquet").read_bytes())
    res = run(landing, "--out", out, "--overwrite", "--formats", "parquet")
    assert res.returncode == 0, res.stderr
    assert not stale.exists()
    assert not (out / "ndjson").exists(), "the earlier run's NDJSON copies are gone"
    assert set(files_under(out)) == {f for f in written if not f.startswith("ndjson/")}
    # A folder stedi-lake did not write is never replaced.
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("precious")
    res = run(landing, "--out", home, "--overwrite")
    assert res.returncode == 2 and "not a stedi-lake output" in res.stderr, res.stderr
    assert (home / "thesis.tex").read_text() == "precious"
    # An output folder that holds the input is refused too (replacing it would delete landing data).
    res = run(out / "typed_landing", "--out", out, "--overwrite")
    assert res.returncode == 2 and "holds the input" in res.stderr, res.stderr


def test_overwrite_never_deletes_what_stedi_lake_did_not_write(landing, tmp_path):
    # A planted (or copied) marker does not make a folder ours.
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    (home / "Documents" / "x").write_text("precious")
    (home / "_stedi-lake.json").write_text("{}")
    res = run(landing, "--out", home, "--overwrite")
    assert res.returncode == 2 and "not written by stedi-lake" in res.stderr, res.stderr
    assert (home / "Documents" / "x").read_text() == "precious"
    # A real output with a foreign file beside its tables: refused, the file stays.
    out = tmp_path / "out"
    assert run(landing, "--out", out).returncode == 0
    (out / "notes").mkdir()
    (out / "notes" / "mine.txt").write_text("mine")
    res = run(landing, "--out", out, "--overwrite")
    assert res.returncode == 2 and "notes/mine.txt" in res.stderr, res.stderr
    assert (out / "notes" / "mine.txt").read_text() == "mine"


def test_landing_reached_through_a_symlink_into_the_output_is_never_read(landing, tmp_path):
    out = tmp_path / "out"
    assert run(landing, "--out", out).returncode == 0
    # A link inside the input pointing into the output's table folder.
    os.symlink(out / "trusted", landing / "accelerometer" / "more")
    res = run(landing, "--out", out, "--overwrite")
    assert res.returncode == 0, res.stderr
    s = summary(out)
    assert s["sources"]["accelerometer"]["files"] == 2, "only the two real accelerometer files"
    assert any("reached through a symlink" in k["reason"] or "written by stedi-lake" in k["reason"] for k in s["skipped"])


def test_a_failed_run_leaves_the_previous_output_untouched(landing, tmp_path):
    out = tmp_path / "out"
    assert run(landing, "--out", out, "--mode", "rubric").returncode == 0
    before = {f: (out / f).read_bytes() for f in files_under(out)}
    res = run(landing, "--out", out, "--mode", "rubric", "--overwrite", "--max-rows", "100")
    assert res.returncode == 1, res.stderr
    assert {f: (out / f).read_bytes() for f in files_under(out)} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_row_limit_names_the_table_the_count_and_the_rule(landing, tmp_path):
    out = tmp_path / "out"
    full = run(landing, "--out", out, "--mode", "rubric")
    assert full.returncode == 0
    ml = rows(out)["machine_learning_curated"]
    limit = ml - 1
    res = run(landing, "--out", tmp_path / "out2", "--mode", "rubric", "--max-rows", limit)
    assert res.returncode == 1
    assert f"machine_learning_curated would have {ml} rows" in res.stderr, res.stderr
    assert "join_same_timestamp" in res.stderr and f"limit of {limit}" in res.stderr
    assert not (tmp_path / "out2").exists(), "nothing written"
    # At the limit it runs.
    assert run(landing, "--out", tmp_path / "out3", "--mode", "rubric", "--max-rows", ml).returncode == 0


def test_strict_refuses_an_owner_reading_join_that_fans_out(tmp_path):
    """Strict's ML join pairs every distinct step reading of an owner with every distinct phone
    reading of that owner at the same instant: n x m rows from n + m records. Bounded too."""
    t0, n, m = 1655564000000, 60, 50
    land = tmp_path / "landing"
    for d in ("customer", "accelerometer", "step_trainer"):
        (land / d).mkdir(parents=True)
    (land / "customer" / "c.json").write_text(json.dumps({
        "customerName": "A", "email": "a@x.test", "phone": "1", "birthDay": "1990-01-01", "serialNumber": "S1",
        "registrationDate": t0, "lastUpdateDate": t0, "shareWithResearchAsOfDate": t0}) + "\n")
    (land / "accelerometer" / "a.json").write_text("".join(
        json.dumps({"user": "a@x.test", "timestamp": t0 + 5, "x": float(x), "y": 0.0, "z": 0.0}) + "\n" for x in range(m)))
    (land / "step_trainer" / "s.json").write_text("".join(
        json.dumps({"sensorReadingTime": t0 + 5, "serialNumber": "S1", "distanceFromObject": d}) + "\n" for d in range(n)))
    res = run(land, "--out", tmp_path / "out", "--max-rows", n * m - 1)
    assert res.returncode == 1, res.stderr
    assert f"machine_learning_curated would have {n * m} rows" in res.stderr, res.stderr
    assert "join_owner_reading" in res.stderr
    assert not (tmp_path / "out").exists(), "nothing written"
    assert run(land, "--out", tmp_path / "ok", "--max-rows", n * m).returncode == 0
    assert rows(tmp_path / "ok")["machine_learning_curated"] == n * m


@pytest.mark.parametrize("landing_set", datasets())
@pytest.mark.parametrize("mode", ["strict", "rubric"])
def test_every_output_is_the_same_bytes_whatever_the_number_of_threads(landing_set, mode, tmp_path):
    """Files are decoded by a work queue of threads and merged in file order, tables written by
    several writers: the bytes must not depend on it. The landing set is listed three times so
    that there are more files than threads and the merge order matters."""
    paths = [landing_set] * 3
    trees = {}
    for threads in (1, 3, 8):
        out = tmp_path / f"t{threads}"
        res = run(*paths, "--out", out, "--mode", mode, "--threads", threads)
        assert res.returncode == 0, res.stderr
        trees[threads] = {f: (out / f).read_bytes() for f in files_under(out)}
    assert len(trees[1]) >= 20
    assert trees[3] == trees[1] and trees[8] == trees[1]
    # And the files really were read three times: an independent count of lines on disk.
    lines = sum(p.read_bytes().count(b"\n") for p in landing_set.rglob("*.json"))
    read = sum(c["records_read"] for c in summary(tmp_path / "t3")["sources"].values())
    assert read >= 3 * lines * 0.99, (read, lines)


def test_only_regular_files_are_read_and_bookkeeping_is_listed(landing, tmp_path):
    acc = landing / "accelerometer"
    os.mkfifo(acc / "pipe.json")  # reading it would block for ever
    os.symlink("/dev/urandom", acc / "random.json")  # would never end
    os.symlink("/dev/zero", acc / "zero.json")
    (acc / "_SUCCESS").write_text("")
    (acc / "_temporary").mkdir()
    (acc / "_temporary" / "part-0.json").write_text('{"user":"x@y","timestamp":1}\n')
    (acc / ".part-0.json.crc").write_bytes(b"\x00\x01")
    out = tmp_path / "out"
    res = run(landing, "--out", out, timeout=60)
    assert res.returncode == 0, res.stderr
    reasons = {s["name"]: s["reason"] for s in summary(out)["skipped"]}
    for name in ["pipe.json", "random.json", "zero.json"]:
        assert "not a regular file" in reasons[f"L/accelerometer/{name}"]
    assert "bookkeeping" in reasons["L/accelerometer/_SUCCESS"]
    assert "bookkeeping" in reasons["L/accelerometer/_temporary/part-0.json"]
    assert "hidden" in reasons["L/accelerometer/.part-0.json.crc"]
    # The files read are exactly the fixture files: their bytes on disk equal the bytes read.
    disk = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    s = summary(out)
    assert sum(f["bytes"] for f in s["files"]) == disk
    assert s["covered"] and s["accounted"]


def test_file_names_cannot_forge_terminal_lines(tmp_path):
    root = tmp_path / "L" / "accelerometer"
    root.mkdir(parents=True)
    (root / "a.json").write_text('{"user":"a@x.test","timestamp":1655564001000,"x":1.0,"y":0.0,"z":0.0}\n')
    forged = "x\nstedi-lake: every record accounted for\x1b[2K\x1b[1A.json"
    (root / forged).write_bytes(b"\x00\x01binary\n")
    res = run(tmp_path / "L", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stderr and "\x1b" not in res.stdout
    assert not any(l.startswith("stedi-lake: every record") for l in res.stderr.splitlines())
    assert "\\u{a}" in res.stderr and "\\u{1b}" in res.stderr


def test_every_byte_on_disk_is_accounted_for_per_file(tmp_path):
    """The issue's Firehose example: arrays one per line, then an NDJSON line → 4 records kept; and
    per file, kept + quarantined + framing bytes = the file's size on disk."""
    acc = tmp_path / "L" / "accelerometer"
    acc.mkdir(parents=True)
    r = lambda t: '{"user":"a@x.test","timestamp":%d,"x":1.0,"y":0.0,"z":0.0}' % t
    (acc / "batch.json").write_text(f"[{r(1655564001000)},{r(1655564002000)}]\n[{r(1655564003000)}]\n{r(1655564004000)}\n")
    (acc / "bad.json").write_text(f'[\n  {r(1655564005000)},\n  {{"user": "a@x.test"", "timestamp": 1}},\n  {r(1655564006000)}\n]\n')
    res = run(tmp_path / "L", "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    s = summary(tmp_path / "out")
    files = {f["name"]: f for f in s["files"]}
    assert files["L/accelerometer/batch.json"]["kept"] == 4
    assert (files["L/accelerometer/bad.json"]["kept"], files["L/accelerometer/bad.json"]["quarantined"]) == (2, 1)
    for name, f in files.items():
        c = f["coverage"]
        size = (tmp_path / name).stat().st_size
        assert c["text_bytes"] == size == c["kept_bytes"] + c["quarantined_bytes"] + c["framing_bytes"], name
    assert s["covered"] and s["accounted"]


def test_no_landing_data_is_an_error_that_says_what_was_found(tmp_path):
    (tmp_path / "L").mkdir()
    (tmp_path / "L" / "notes.csv").write_text("a,b\n1,2\n")
    res = run(tmp_path / "L", "--out", tmp_path / "out")
    assert res.returncode == 1
    assert "no STEDI landing data" in res.stderr and "notes.csv" in res.stderr
    assert not (tmp_path / "out").exists()

"""The CLI behaves like the Unix tools beside it (issue #14 item 2): a closed stdout pipe ends it as
it ends `cat` (no panic, the outputs in place), `run --json` prints the written summary.json as one
JSON document, `--quiet` prints nothing but errors, a progress bar appears on stderr only when
stderr is a terminal (a pseudo-terminal here) and `--help` documents exit codes that the commands
really return. References are independent: `cat` under the same closed pipe, the summary.json file
on disk, the generator's own line counts."""
import fcntl
import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import termios
import threading

import pytest

from conftest import CLI, FIXTURES

PANIC = "panicked"


def cli(*args, **kw):
    assert CLI.exists(), f"{CLI} missing: build it with `cargo build --release`"
    kw.setdefault("timeout", 300)
    return subprocess.run([str(CLI), *map(str, args)], **kw)


def with_closed_stdout(args, env=None):
    """Run `args` with stdout a pipe whose reading end is already closed (the moment after
    `| head -1` has exited): the first write fails with EPIPE. Returns (returncode, stderr)."""
    r, w = os.pipe()
    os.close(r)
    try:
        res = subprocess.run(list(map(str, args)), stdout=w, stderr=subprocess.PIPE, timeout=300, env=env)
    finally:
        os.close(w)
    return res.returncode, res.stderr.decode(errors="replace")


def cat_with_closed_stdout():
    """What `cat` does in the same place: the convention to match."""
    return with_closed_stdout(["cat", FIXTURES / "customer" / "customer-42.json"])


def on_pty(args):
    """Run `args` with stderr on a pseudo-terminal (120 columns) and stdout a pipe.
    Returns (returncode, stdout bytes, bytes the terminal received)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    proc = subprocess.Popen(list(map(str, args)), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    seen = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every copy of the terminal's other end is closed
                break
            if not data:
                break
            seen.append(data)

    reader = threading.Thread(target=drain)
    reader.start()
    out, _ = proc.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    return proc.returncode, out, b"".join(seen)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 20 MB landing set from the generator (long enough for the bar to draw) and its stats line."""
    root = tmp_path_factory.mktemp("big") / "landing"
    res = cli("generate", "--seed", "7", "--size", "20M", "--out", root, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return root, res.stdout


@pytest.fixture
def landing(tmp_path):
    """The fixtures plus two files that give a notice on stderr: a Spark marker (skipped by name)
    and a text file (read, and rejected as not landing data)."""
    root = tmp_path / "L"
    shutil.copytree(FIXTURES, root)
    (root / "_SUCCESS").write_text("")
    (root / "README.md").write_text("not landing data\n")
    return root


# ---- a closed pipe -----------------------------------------------------------------------------

def test_a_closed_pipe_ends_run_as_it_ends_cat_with_the_outputs_in_place(landing, tmp_path):
    cat_status, cat_err = cat_with_closed_stdout()
    assert cat_status == -signal.SIGPIPE and cat_err == ""
    out = tmp_path / "out"
    status, err = with_closed_stdout([CLI, "run", landing, "--out", out])
    assert status == cat_status, err
    assert PANIC not in err and "Broken pipe" not in err
    # The report is written after the tree is swapped in: the run's work is not lost.
    assert json.loads((out / "summary.json").read_text())["accounted"]
    assert not [p for p in tmp_path.iterdir() if "stedi-lake-tmp" in p.name]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]], ids=" ".join)
def test_a_closed_pipe_ends_help_as_it_ends_cat(args):
    status, err = with_closed_stdout([CLI, *args])
    assert status == cat_with_closed_stdout()[0] and err == ""


def test_a_closed_pipe_ends_generate_and_json_quietly(tmp_path, landing):
    status, err = with_closed_stdout([CLI, "generate", "--size", "50K", "--out", tmp_path / "g"])
    assert status == -signal.SIGPIPE and PANIC not in err
    assert (tmp_path / "g" / "customer").is_dir()
    status, err = with_closed_stdout([CLI, "run", landing, "--out", tmp_path / "o", "--json"])
    assert status == -signal.SIGPIPE and PANIC not in err
    assert (tmp_path / "o" / "summary.json").is_file()


@pytest.mark.parametrize("cmd", ["run {landing} --out {out} | head -1",
                                 "run {landing} --out {out} --json | head -c 10",
                                 "--help | head -1"])
def test_head_in_a_pipeline_exits_as_with_cat(cmd, landing, tmp_path):
    """`| head` as typed in a shell, with pipefail: whether the pipe is already closed when the
    report is written is a race, so the status is head's (0) or SIGPIPE's (141), never 134 (abort)."""
    line = f"{CLI} " + cmd.format(landing=landing, out=tmp_path / "out")
    res = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, timeout=300)
    assert res.returncode in (0, 128 + signal.SIGPIPE), res.stderr
    assert PANIC not in res.stderr and "Broken pipe" not in res.stderr
    assert res.stdout.strip()
    if "run" in cmd:
        assert (tmp_path / "out" / "summary.json").is_file()


def test_a_closed_pipe_ends_presign_quietly(s3_endpoint):
    boto3 = pytest.importorskip("boto3")
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, aws_access_key_id="AKIDHABITS", aws_secret_access_key="x",
                      region_name="us-east-1")
    s3.create_bucket(Bucket="habits-pipe")
    s3.put_object(Bucket="habits-pipe", Key="p/landing/customer/c.json", Body=b'{"email":"a@b.c"}\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "AWS_ACCESS_KEY_ID": "AKIDHABITS",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "us-east-1"}
    args = [CLI, "presign", "s3://habits-pipe/p", "--endpoint", s3_endpoint, "--path-style"]
    ok = subprocess.run(list(map(str, args)), capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0 and json.loads(ok.stdout)["landing"], ok.stderr
    status, err = with_closed_stdout(args, env=env)
    assert status == -signal.SIGPIPE and PANIC not in err and err == ""


# ---- --json and --quiet ------------------------------------------------------------------------

def test_json_prints_the_written_summary_as_one_document(landing, tmp_path):
    out = tmp_path / "out"
    res = cli("run", landing, "--out", out, "--json", "--timings", capture_output=True)
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)  # the whole of stdout: one JSON document, nothing else
    written = (out / "summary.json").read_bytes()
    assert doc == json.loads(written)
    assert res.stdout.rstrip(b"\n") == written.rstrip(b"\n")
    # Human messages stay on stderr: the notices, the timings and the BENCH line.
    err = res.stderr.decode()
    assert "skipped L/_SUCCESS" in err and "L/README.md: not STEDI landing data" in err
    assert "timings:" in err and "BENCH {" in err
    assert [s["name"] for s in doc["skipped"]] == ["L/_SUCCESS"]


def test_the_human_tables_stay_the_default(landing, tmp_path):
    res = cli("run", landing, "--out", tmp_path / "out", capture_output=True, text=True)
    assert res.returncode == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert res.stdout.startswith("source")
    for table, t in summary["tables"].items():
        assert any(line.split()[:3] == [table, t["zone"], str(t["rows"])] for line in res.stdout.splitlines())


def test_quiet_prints_nothing_but_errors(landing, tmp_path):
    res = cli("run", landing, "--out", tmp_path / "out", "--quiet", capture_output=True, text=True)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")  # notices are not errors
    assert (tmp_path / "out" / "summary.json").is_file()
    # Quarantined records under --fail-on-quarantine: the exit code and one line saying why.
    res = cli("-q", "run", landing, "--out", tmp_path / "out2", "--fail-on-quarantine", capture_output=True, text=True)
    assert res.returncode == 3 and res.stdout == ""
    assert res.stderr.count("\n") == 1 and "quarantined" in res.stderr
    # An error is still said, and says what was found when the notices it rests on were held back.
    res = cli("run", landing, "--out", tmp_path / "out", "--quiet", capture_output=True, text=True)
    assert res.returncode == 2 and res.stdout == "" and "not empty" in res.stderr
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "notes.csv").write_text("a,b\n")
    res = cli("run", tmp_path / "none", "--out", tmp_path / "out3", "--quiet", capture_output=True, text=True)
    assert res.returncode == 1 and res.stdout == ""
    assert "no STEDI landing data" in res.stderr and "none/notes.csv: not STEDI landing data" in res.stderr
    # generate --quiet: the files, no stats line.
    res = cli("generate", "--size", "50K", "--out", tmp_path / "g", "--quiet", capture_output=True, text=True)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["accelerometer", "customer", "step_trainer"]


def test_json_with_quiet_prints_the_json_only(landing, tmp_path):
    res = cli("run", landing, "--out", tmp_path / "out", "--json", "--quiet", capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == ""
    assert json.loads(res.stdout) == json.loads((tmp_path / "out" / "summary.json").read_text())


# ---- progress ----------------------------------------------------------------------------------

def progress_lines(term):
    """The bar's frames: indicatif redraws a line with a carriage return and erase-line."""
    return term.count(b"\x1b[2K")


def test_progress_on_a_terminal_only(big, tmp_path):
    root, gen_stats = big
    status, out, term = on_pty([CLI, "run", root, "--out", tmp_path / "tty"])
    assert status == 0, term.decode(errors="replace")
    text = term.decode(errors="replace")
    assert "reading" in text and "MB/s" in text and "/5 files" in text and "MB/" in text, text[:2000]
    assert progress_lines(term) > 0
    # The bar never reaches stdout, which still holds the tables alone.
    assert out.startswith(b"source") and b"\x1b" not in out and b"reading" not in out
    # Updated per chunk, not per record: far fewer frames than the records read (the generator's
    # count: its lines plus the malformed ones it wrote).
    records = sum(s["records_read"] for s in json.loads((tmp_path / "tty" / "summary.json").read_text())["sources"].values())
    m = re.search(r": (\d+) customer, (\d+) accelerometer, (\d+) step_trainer lines \((\d+) malformed\)", gen_stats)
    assert records == sum(map(int, m.groups())) > 100_000
    assert progress_lines(term) < 1000

    # Not a terminal: no bar, no escapes.
    res = cli("run", root, "--out", tmp_path / "pipe", capture_output=True)
    assert res.returncode == 0
    assert res.stderr == b"", res.stderr[:500]
    # On a terminal but turned off, or --quiet: nothing.
    for flag, name in (("--no-progress", "off"), ("--quiet", "quiet")):
        status, out, term = on_pty([CLI, "run", root, "--out", tmp_path / name, flag])
        assert status == 0 and term == b"", term[:500]


def test_progress_does_not_hide_notices(landing, tmp_path):
    status, _, term = on_pty([CLI, "run", landing, "--out", tmp_path / "out"])
    assert status == 0
    assert b"skipped L/_SUCCESS" in term and b"L/README.md: not STEDI landing data" in term


# ---- --help --------------------------------------------------------------------------------------

def help_exit_codes(text):
    """{code: description} from a help text's 'Exit codes:' block."""
    block = text.split("Exit codes:", 1)[1]
    codes = {}
    for line in block.splitlines()[1:]:
        parts = line.split(None, 1)
        if len(parts) == 2 and parts[0].isdigit():
            codes[int(parts[0])] = parts[1]
    return codes


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["run", "--help"], ["help", "run"]], ids=" ".join)
def test_help_gives_examples_and_exit_codes(args):
    res = cli(*args, capture_output=True, text=True)
    assert res.returncode == 0 and res.stderr == ""
    assert "Examples:" in res.stdout and "stedi-lake run " in res.stdout
    assert sorted(help_exit_codes(res.stdout)) == [0, 1, 2, 3, 141]


def test_the_documented_exit_codes_are_the_real_ones(landing, tmp_path):
    codes = help_exit_codes(cli("--help", capture_output=True, text=True).stdout)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.csv").write_text("a,b\n")
    cases = {
        0: ["run", landing, "--out", tmp_path / "a"],
        1: ["run", empty, "--out", tmp_path / "b"],            # no STEDI landing data
        2: ["run", landing, "--out", tmp_path / "a"],          # a non-empty --out
        3: ["run", landing, "--out", tmp_path / "c", "--fail-on-quarantine"],
    }
    words = {1: "no STEDI landing data", 2: "non-empty --out", 3: "quarantined"}
    for code, args in cases.items():
        res = cli(*args, capture_output=True, text=True)
        assert res.returncode == code, (code, res.stderr)
        assert code == 0 or words[code] in codes[code]
    res = cli("run", "--out", tmp_path / "d", capture_output=True, text=True)  # no landing path: clap's usage error
    assert res.returncode == 2 and "Usage" in res.stderr
    assert "SIGPIPE" in codes[141]

"""`stedi-lake run --location/--database` with hostile values: refused before anything is written
(exit 2, one line on stderr naming the option, the value escaped), and good values reach the DDL
exactly. The rules themselves are unit-tested in crate/src/ddl.rs; this checks the CLI wiring."""
import re
import subprocess

import pytest

from conftest import CLI, FIXTURES

HOSTILE_LOCATIONS = [
    "x'; DROP TABLE t; --",
    "s3://my-bucket/x'; DROP TABLE t; --",
    "s3://my-bucket/p'q",
    "s3://my-bucket/a`b",
    "s3://my-bucket/p\nLOCATION 's3://evil/'",
    "s3://my-bucket/p\x1b[31mred",
    "S3://Bad_Bucket",
    "http://b/p",
    "s3://b",
    "s3://bucket..x/p",
    "s3://192.168.1.1/p",
    "s3://my-bucket//p",
    "s3://my-bucket/a?b",
    "",
]
HOSTILE_DATABASES = [
    "x`; DROP DATABASE y; --",
    "x'; DROP TABLE t; --",
    "stedi`.`t",
    "db\nx",
    "db\x1b[2J",
    "Stedi",
    "1db",
    "my-db",
    "a" * 256,
    "",
]


def run(tmp_path, *args):
    assert CLI.exists(), f"{CLI} missing: build it with `cargo build --release`"
    out = tmp_path / "out"
    res = subprocess.run([str(CLI), "run", str(FIXTURES), "--out", str(out), *args],
                         capture_output=True, text=True)
    return res, out


def assert_refused(res, out, option):
    assert res.returncode == 2, f"exit {res.returncode}, stderr: {res.stderr!r}"
    err = res.stderr.strip()
    assert option in err, f"the message names {option}: {err!r}"
    # One line of printable text: the value is echoed escaped, never with a raw control character.
    assert "\n" not in err and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", err), repr(err)
    written = [p for p in out.rglob("*") if p.is_file()] if out.exists() else []
    assert written == [], f"nothing is written for a refused value: {written[:5]}"


@pytest.mark.parametrize("location", HOSTILE_LOCATIONS)
def test_hostile_location_is_refused(tmp_path, location):
    res, out = run(tmp_path, "--location", location)
    assert_refused(res, out, "--location")


@pytest.mark.parametrize("database", HOSTILE_DATABASES)
def test_hostile_database_is_refused(tmp_path, database):
    res, out = run(tmp_path, "--database", database)
    assert_refused(res, out, "--database")


@pytest.mark.parametrize("location,base", [
    ("s3://my-bucket/stedi/", "s3://my-bucket/stedi"),
    ("s3://a.b-c/x/y", "s3://a.b-c/x/y"),
    ("s3://my-bucket", "s3://my-bucket"),
])
def test_good_values_reach_the_ddl_exactly(tmp_path, location, base):
    res, out = run(tmp_path, "--location", location, "--database", "lake_2", "--formats", "parquet")
    assert res.returncode == 0, res.stderr
    ddl = (out / "ddl" / "all_tables.sql").read_text()
    assert ddl.startswith("CREATE DATABASE IF NOT EXISTS `lake_2`;\n"), ddl[:200]
    assert ddl.count("CREATE EXTERNAL TABLE IF NOT EXISTS `lake_2`.") == 8
    # Every LOCATION is the given prefix + the table's folder, as a plain quoted literal.
    locations = re.findall(r"^LOCATION '([^'\\]*)'$", ddl, flags=re.M)
    assert sorted(locations) == sorted([
        f"{base}/landing/customer/", f"{base}/landing/accelerometer/", f"{base}/landing/step_trainer/",
        f"{base}/trusted/customer_trusted/", f"{base}/trusted/accelerometer_trusted/",
        f"{base}/trusted/step_trainer_trusted/", f"{base}/curated/customers_curated/",
        f"{base}/curated/machine_learning_curated/",
    ])
    one = (out / "ddl" / "customer_trusted.sql").read_text()
    assert f"LOCATION '{base}/trusted/customer_trusted/'" in one

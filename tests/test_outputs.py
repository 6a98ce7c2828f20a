"""The CLI's outputs read back by independent readers (pyarrow, Python's json): schema, row counts,
the Hive layout, DDL, and the record accounting in summary.json."""
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DERIVED, FIXTURES, TABLES, datasets

S, I, F = pa.string(), pa.int64(), pa.float64()
CUSTOMER = [("customerName", S), ("email", S), ("phone", S), ("birthDay", S), ("serialNumber", S),
            ("registrationDate", I), ("lastUpdateDate", I), ("shareWithResearchAsOfDate", I),
            ("shareWithPublicAsOfDate", I), ("shareWithFriendsAsOfDate", I)]
ACCEL = [("user", S), ("timestamp", I), ("x", F), ("y", F), ("z", F)]
STEP = [("sensorReadingTime", I), ("serialNumber", S), ("distanceFromObject", I)]
SCHEMAS = {
    "customer_landing": CUSTOMER, "customer_trusted": CUSTOMER, "customers_curated": CUSTOMER,
    "accelerometer_landing": ACCEL, "accelerometer_trusted": ACCEL,
    "step_trainer_landing": STEP, "step_trainer_trusted": STEP,
}
# Strict's ML table: no email, and deviceId (an opaque number) where the serial number was.
ML = {"rubric": STEP + ACCEL,
      "strict": [("sensorReadingTime", I), ("deviceId", I), ("distanceFromObject", I)] + [c for c in ACCEL if c[0] != "user"]}


@pytest.mark.parametrize("mode", ["strict", "rubric"])
@pytest.mark.parametrize("landing", datasets())
def test_parquet_and_ndjson_read_back(landing, mode, cli_outputs):
    out = cli_outputs(landing, mode)
    summary = json.loads((out / "summary.json").read_text())
    for table, zone in TABLES.items():
        f = pq.ParquetFile(out / zone / table / "part-00000.parquet")
        want = ML[mode] if table == "machine_learning_curated" else SCHEMAS[table]
        got = [(fld.name, fld.type) for fld in f.schema_arrow]
        assert got == want, f"{table} schema"
        assert f.metadata.num_rows == summary["tables"][table]["rows"]
        assert all(f.metadata.row_group(0).column(i).compression == "SNAPPY" for i in range(len(want)))
        lines = (out / "ndjson" / zone / table / "part-00000.json").read_text().splitlines()
        assert len(lines) == f.metadata.num_rows
        if lines:
            first = json.loads(lines[0])
            assert list(first) == [c for c, _ in want]
            assert first == f.read_row_group(0).slice(0, 1).to_pylist()[0]
    ddl = (out / "ddl" / "all_tables.sql").read_text()
    assert ddl.count("CREATE EXTERNAL TABLE") == 8
    ml_ddl = (out / "ddl" / "machine_learning_curated.sql").read_text()
    assert ("`user` string" in ml_ddl) == (mode == "rubric")
    assert ("`serialNumber` string" in ml_ddl) == (mode == "rubric")
    assert ("`deviceId` bigint" in ml_ddl) == (mode == "strict")


@pytest.mark.parametrize("landing", datasets())
def test_every_landing_record_is_accounted_for(landing, cli_outputs):
    out = cli_outputs(landing, "strict")
    s = json.loads((out / "summary.json").read_text())
    assert s["accounted"] is True
    lines = 0
    for source, c in s["sources"].items():
        assert c["records_read"] == c["kept"] + c["quarantined_total"] == c["kept"] + sum(c["quarantined"].values())
        assert c["kept"] == s["tables"][f"{source}_landing"]["rows"]
        lines += c["records_read"]
    # Every non-blank line of the landing files is one record read (the fixtures are NDJSON).
    raw = sum(1 for p in landing.rglob("*.json") for l in p.read_bytes().splitlines() if l.strip())
    assert lines + s["unrouted"]["records_read"] == raw
    for flow in s["rules"]:
        removed = sum(r["removed"] for r in flow["rules"])
        added = sum(r["added"] for r in flow["rules"])
        assert flow["rows_in"] - removed + added == flow["rows_out"] == s["tables"][flow["table"]]["rows"]


def test_quarantined_fixture_lines_name_file_line_and_reason(cli_outputs):
    out = cli_outputs(FIXTURES, "strict")
    q = [json.loads(l) for l in (out / "quarantine.ndjson").read_text().splitlines()]
    assert len(q) == 9
    for rec in q:
        text = (FIXTURES.parent / rec["file"]).read_text().splitlines()[rec["line"] - 1]
        assert text.strip().rstrip(",").startswith(rec["raw"][:50])
        assert rec["reason"] in {"malformed_json", "missing_required", "wrong_type"}
    dq = json.loads((out / "data_quality.json").read_text())
    assert dq["quarantined"]["total"] == 9
    for key in ("shared_serials", "duplicate_emails"):
        assert dq[key]["list"], f"the fixture exercises {key}"
    assert dq["readings_without_owner"]["ambiguous_owner"] > 0 and dq["readings_before_consent"]["step_trainer"] > 0

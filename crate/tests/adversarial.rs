//! The adversarial corpus (`fixtures/adversarial/cases.json`, written by `make.py`): every case is
//! run through the whole pipeline in both modes; its expected handling (kept / quarantined by
//! reason per source, unrouted, rejected files, table rows, data-quality flags) must hold, the
//! accounting identity must balance, and nothing may panic.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

use serde_json::Value;
use stedi_lake::{Lake, Mode, Output, RunOptions};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/adversarial");

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Feed one case's files (and any generated input) into a lake.
fn load(case: &Value, dir: &Path) -> Lake {
    let mut lake = Lake::new();
    for p in files_under(dir) {
        let name = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        lake.add_file(&name, None, &std::fs::read(&p).unwrap());
    }
    if case["generate"] == "long_line_100mb" {
        // Streamed in 1 MiB chunks, as the CLI and the page do: never held whole by the engine.
        lake.open_file("accelerometer/long.json", None);
        lake.feed(br#"{"user":"ada@test.com","timestamp":1655564000000,"x":1,"y":1,"z":1}"#);
        lake.feed(b"\n{\"user\":\"ada@test.com\",\"note\":\"");
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            lake.feed(&chunk);
        }
        lake.feed(b"\"}\n{\"user\":\"ada@test.com\",\"timestamp\":1655564000001}\n");
        lake.close_file();
    }
    lake
}

fn get<'a>(v: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(v, |v, k| &v[k])
}

#[test]
fn every_adversarial_case_is_handled_as_written() {
    let cases: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(format!("{ROOT}/cases.json")).unwrap()).unwrap();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let dir = PathBuf::from(format!("{ROOT}/cases/{name}"));
        for mode in [Mode::Strict, Mode::Rubric] {
            let mut lake = load(case, &dir);
            lake.run(RunOptions {
                mode,
                ..Default::default()
            }).unwrap();
            let summary = serde_json::to_value(lake.summary().unwrap()).unwrap();
            let ctx = format!("case {name} ({}): {}", mode.name(), case["handling"]);
            assert_eq!(summary["accounted"], true, "{ctx}");
            let expect = &case["expect"];
            for source in ["customer", "accelerometer", "step_trainer"] {
                let got = &summary["sources"][source];
                let want = &expect[source];
                assert_eq!(got["kept"], want["kept"], "{ctx}: {source} kept");
                let mut got_q = got["quarantined"].as_object().unwrap().clone();
                got_q.retain(|_, n| n.as_u64() != Some(0));
                assert_eq!(
                    &Value::Object(got_q),
                    &want["quarantined"],
                    "{ctx}: {source} quarantined"
                );
            }
            assert_eq!(
                summary["unrouted"]["records_read"], expect["unrouted"],
                "{ctx}: unrouted"
            );
            let rejected = summary["files"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| !f["error"].is_null())
                .count();
            assert_eq!(
                rejected as u64,
                expect["rejected_files"].as_u64().unwrap(),
                "{ctx}: rejected files"
            );
            if mode == Mode::Strict {
                for (table, rows) in case["tables"].as_object().into_iter().flatten() {
                    assert_eq!(&summary["tables"][table]["rows"], rows, "{ctx}: {table} rows");
                }
                let dq = serde_json::to_value(lake.quality().unwrap()).unwrap();
                for (key, want) in case["dq"].as_object().into_iter().flatten() {
                    if key == "customer_name" {
                        let rows: Value =
                            serde_json::from_str(&lake.rows_json("customer_landing", 0, 1).unwrap()).unwrap();
                        assert_eq!(&rows[0]["customerName"], want, "{ctx}: stored verbatim");
                    } else {
                        assert_eq!(get(&dq, key), want, "{ctx}: data quality {key}");
                    }
                }
            }
            // Every output can be produced (no panics on odd values).
            for o in Output::all() {
                lake.output(&o.path())
                    .unwrap_or_else(|e| panic!("{ctx}: {}: {e}", o.path()));
            }
        }
    }
}

#[test]
fn quarantined_records_name_file_line_and_reason() {
    let dir = PathBuf::from(format!("{ROOT}/cases/truncated_json"));
    let mut lake = load(&Value::Null, &dir);
    lake.run(RunOptions::default()).unwrap();
    let q = &lake.ingest_report().quarantine;
    assert_eq!(q.len(), 1);
    assert_eq!((q[0].file.as_str(), q[0].line), ("accelerometer/a.json", 2));
    assert!(
        q[0].raw.starts_with("{\"user\":\"ada@test.com\",\"timestamp\":16555"),
        "{}",
        q[0].raw
    );
}

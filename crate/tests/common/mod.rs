//! Shared by the native golden test and the in-browser wasm test: the fixture landing set (compiled
//! in) and the digest of a full run, so both targets are compared with the same golden file.

use sha2::{Digest, Sha256};
use stedi_lake::{Lake, Mode, Output, RunOptions};

pub const FIXTURES: &[(&str, &[u8])] = &[
    (
        "landing/customer/customer-42.json",
        include_bytes!("../../../fixtures/landing/customer/customer-42.json"),
    ),
    (
        "landing/accelerometer/accelerometer-42-0.json",
        include_bytes!("../../../fixtures/landing/accelerometer/accelerometer-42-0.json"),
    ),
    (
        "landing/accelerometer/accelerometer-42-1.json",
        include_bytes!("../../../fixtures/landing/accelerometer/accelerometer-42-1.json"),
    ),
    (
        "landing/step_trainer/step_trainer-42-0.json",
        include_bytes!("../../../fixtures/landing/step_trainer/step_trainer-42-0.json"),
    ),
    (
        "landing/step_trainer/step_trainer-42-1.json",
        include_bytes!("../../../fixtures/landing/step_trainer/step_trainer-42-1.json"),
    ),
];

/// The golden file: per mode, each table's rows and the SHA-256 of every table output.
pub const GOLDEN: &str = include_str!("../../../fixtures/expected/golden.json");

/// Run both modes over the fixtures, fed in `chunk`-byte pieces; returns the golden JSON text.
pub fn golden_of_run(chunk: usize) -> String {
    let mut modes = serde_json::Map::new();
    for mode in [Mode::Strict, Mode::Rubric] {
        let mut lake = Lake::new();
        for (name, bytes) in FIXTURES {
            lake.open_file(name, None);
            for c in bytes.chunks(chunk) {
                lake.feed(c);
            }
            lake.close_file();
        }
        lake.run(RunOptions {
            mode,
            ..Default::default()
        })
        .unwrap();
        let summary = lake.summary().unwrap();
        assert!(summary.covered, "every byte accounted for");
        assert!(summary.accounted, "every record accounted for");
        let rows: serde_json::Map<String, serde_json::Value> = summary
            .tables
            .iter()
            .map(|(t, s)| (t.to_string(), s.rows.into()))
            .collect();
        let mut digests = serde_json::Map::new();
        for o in Output::all() {
            // Tables, the reports and the marker: nothing a restructuring could change unnoticed.
            if matches!(
                o,
                Output::Parquet(_)
                    | Output::Ndjson(_)
                    | Output::Quarantine
                    | Output::Summary
                    | Output::Quality
                    | Output::Marker
            ) {
                let bytes = lake.output(&o.path()).unwrap();
                let hex: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
                digests.insert(o.path(), hex.into());
            }
        }
        let mut m = serde_json::Map::new();
        m.insert("rows".into(), rows.into());
        m.insert("sha256".into(), digests.into());
        modes.insert(mode.name().into(), m.into());
    }
    serde_json::to_string_pretty(&modes).unwrap() + "\n"
}

/// A landing set whose records sit at the size limit, framed every way the splitter accepts
/// (CRLF, leading blanks, the `},` style, arrays): the outcome must not depend on where chunk
/// boundaries fall, including inside the framing around a 1 MiB record.
pub fn framing_set() -> Vec<(&'static str, Vec<u8>)> {
    use stedi_lake::ingest::split::MAX_RECORD_BYTES;
    let customer = |name_len: usize| {
        let head =
            r#"{"email":"big@x.test","serialNumber":"S1","shareWithResearchAsOfDate":1655564000000,"customerName":""#;
        let mut r = head.as_bytes().to_vec();
        r.extend(std::iter::repeat_n(b'n', name_len));
        r.extend_from_slice(b"\"}");
        r
    };
    let fill = |total: usize| customer(total - customer(0).len());
    let at_limit = fill(MAX_RECORD_BYTES);
    let over = fill(MAX_RECORD_BYTES + 1);
    let mut lines = Vec::new();
    lines.extend_from_slice(b"  ");
    lines.extend_from_slice(&at_limit);
    lines.extend_from_slice(b" ,\r\n\t");
    lines.extend_from_slice(&over);
    lines.extend_from_slice(b"},\r\n");
    lines.extend_from_slice(br#"{"email":"small@x.test","customerName":"S"}"#);
    lines.extend_from_slice(b"\r\n");
    let mut array = b"[\r\n  ".to_vec();
    array.extend_from_slice(&at_limit);
    array.extend_from_slice(b" ,\r\n  ");
    array.extend_from_slice(&over);
    array.extend_from_slice(b"\r\n]\r\n");
    let r = |t: u64| format!(r#"{{"user":"big@x.test","timestamp":{t},"x":1.0,"y":0.0,"z":0.0}}"#);
    let firehose = format!(
        "[{},{}]\n[{}]\n{}\n",
        r(1655564001000),
        r(1655564002000),
        r(1655564003000),
        r(1655564004000)
    );
    vec![
        ("landing/customer/lines.json", lines),
        ("landing/customer/array.json", array),
        ("landing/accelerometer/firehose.json", firehose.into_bytes()),
    ]
}

/// `summary.json` of a strict run over [`framing_set`] fed in `chunk`-byte pieces.
pub fn framing_summary(chunk: usize) -> String {
    let mut lake = Lake::new();
    for (name, bytes) in framing_set() {
        lake.open_file(name, None);
        for c in bytes.chunks(chunk) {
            lake.feed(c);
        }
        lake.close_file();
    }
    lake.run(RunOptions::default()).unwrap();
    let s = lake.summary().unwrap();
    assert!(s.covered && s.accounted);
    String::from_utf8(lake.output("summary.json").unwrap()).unwrap()
}

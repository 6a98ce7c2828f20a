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
        }).unwrap();
        let summary = lake.summary().unwrap();
        assert!(summary.accounted, "every record accounted for");
        let rows: serde_json::Map<String, serde_json::Value> = summary
            .tables
            .iter()
            .map(|(t, s)| (t.to_string(), s.rows.into()))
            .collect();
        let mut digests = serde_json::Map::new();
        for o in Output::all() {
            if matches!(o, Output::Parquet(_) | Output::Ndjson(_) | Output::Quarantine) {
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

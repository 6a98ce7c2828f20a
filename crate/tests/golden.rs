//! Native half of the "same input, same output" check: a run over the fixtures must produce
//! exactly `fixtures/expected/golden.json` (row counts and SHA-256 of every Parquet/NDJSON output),
//! whatever the chunk size. The wasm test (`web.rs`) checks the browser against the same file.
//! Regenerate after an intended change with `UPDATE_GOLDEN=1 cargo test --test golden`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

#[test]
fn fixtures_run_matches_golden_file_for_any_chunk_size() {
    let whole = common::golden_of_run(usize::MAX);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/expected/golden.json");
        std::fs::write(path, &whole).unwrap();
        eprintln!("wrote {path}; run the test again to check it");
        return;
    }
    assert_eq!(
        whole,
        common::GOLDEN,
        "outputs changed: if intended, UPDATE_GOLDEN=1 cargo test --test golden"
    );
    for chunk in [7, 4096] {
        assert_eq!(common::golden_of_run(chunk), whole, "chunk size {chunk}");
    }
}

/// Files read by three independent ingests, handed over as bytes (`export`/`import`, what the
/// page's decode workers send) and appended in file order, give exactly the same outputs as one
/// ingest over all files: the core of multi-worker ingest.
#[test]
fn ingests_exported_and_appended_match_one() {
    use stedi_lake::ingest::Ingest;
    use stedi_lake::{Lake, Mode, RunOptions};
    let mut a = Ingest::new();
    for (i, share) in [&common::FIXTURES[..1], &common::FIXTURES[1..3], &common::FIXTURES[3..]]
        .into_iter()
        .enumerate()
    {
        let mut part = Ingest::new();
        for (name, bytes) in share {
            part.add_file(name, None, bytes);
        }
        if i == 0 {
            a = part;
        } else {
            a.append(&Ingest::import(&part.export()).unwrap());
        }
    }
    let mut whole = Lake::new();
    for (name, bytes) in common::FIXTURES {
        whole.add_file(name, None, bytes);
    }
    assert_eq!(a.report, *whole.ingest_report());
    let mut merged = Lake::from_ingest(a);
    for mode in [Mode::Strict, Mode::Rubric] {
        merged
            .run(RunOptions {
                mode,
                ..Default::default()
            })
            .unwrap();
        whole
            .run(RunOptions {
                mode,
                ..Default::default()
            })
            .unwrap();
        for o in stedi_lake::Output::all() {
            assert_eq!(
                merged.output(&o.path()).unwrap(),
                whole.output(&o.path()).unwrap(),
                "{}",
                o.path()
            );
        }
    }
}

/// The size limit applies to a record's text alone, whatever the chunking: boundaries inside the
/// CRLF / blanks / `},` around a record of exactly 1 MiB, and inside the record, change nothing.
#[test]
fn limits_and_framing_do_not_depend_on_chunking() {
    use stedi_lake::ingest::split::MAX_RECORD_BYTES as M;
    let whole = common::framing_summary(usize::MAX);
    let s: serde_json::Value = serde_json::from_str(&whole).unwrap();
    // lines: at the limit kept, one byte over too_long, the small one kept; array: the same two;
    // firehose: 4 readings over three framings.
    assert_eq!(s["sources"]["customer"]["kept"], 3, "{whole}");
    assert_eq!(s["sources"]["customer"]["quarantined"]["too_long"], 2, "{whole}");
    assert_eq!(s["sources"]["accelerometer"]["kept"], 4, "{whole}");
    for chunk in [7, 4096, M - 1, M, M + 1, M + 2, M + 3, M + 4, 4 << 20] {
        assert_eq!(common::framing_summary(chunk), whole, "chunk size {chunk}");
    }
}

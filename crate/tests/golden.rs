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

//! Browser half (wasm-bindgen-test in headless Chromium): the full pipeline over the fixtures,
//! inside the browser, gives byte-identical outputs to native (the shared golden file), and the
//! JS-facing API reports errors as JS `Error`s with the CLI's messages.
#![cfg(target_arch = "wasm32")]

mod common;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn pipeline_in_browser_matches_native_golden() {
    assert_eq!(common::golden_of_run(64 * 1024), common::GOLDEN);
}

#[wasm_bindgen_test]
fn limits_and_framing_in_browser_match_native_for_any_chunking() {
    // The page feeds 4 MiB chunks; the outcome must not depend on where they fall.
    let whole = common::framing_summary(usize::MAX);
    for chunk in [4 << 20, (1 << 20) + 2, 4096] {
        assert_eq!(common::framing_summary(chunk), whole, "chunk size {chunk}");
    }
}

#[wasm_bindgen_test]
fn js_api_runs_and_reports_errors() {
    use stedi_lake::wasm::Lake;
    let mut lake = Lake::new();
    for (name, bytes) in common::FIXTURES {
        let report: serde_json::Value = serde_json::from_str(&lake.add_file(name, bytes, None).unwrap()).unwrap();
        assert!(report["kept"].as_u64().unwrap() > 0, "{report}");
    }
    let summary: serde_json::Value = serde_json::from_str(&lake.run("strict", None, None).unwrap()).unwrap();
    let golden: serde_json::Value = serde_json::from_str(common::GOLDEN).unwrap();
    assert_eq!(
        summary["tables"]["machine_learning_curated"]["rows"],
        golden["strict"]["rows"]["machine_learning_curated"]
    );
    let parquet = lake
        .output("curated/machine_learning_curated/part-00000.parquet")
        .unwrap();
    assert_eq!(&parquet[..4], b"PAR1");
    let rows: serde_json::Value = serde_json::from_str(&lake.rows("customer_trusted", 0, 3).unwrap()).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 3);
    assert!(lake.run("fast", None, None).is_err());
    assert!(lake.output("nope.parquet").is_err());
    assert!(Lake::memory_bytes() > 0.0);
}

#[wasm_bindgen_test]
fn write_output_hands_over_the_bytes_of_output_in_pieces() {
    use std::cell::RefCell;
    use std::fmt::Write;
    use std::rc::Rc;
    use stedi_lake::wasm::Lake;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;

    // Enough distinct readings for a multi-MiB Parquet file (several pieces).
    let mut text = String::new();
    for i in 0..150_000u64 {
        let f = i as f64;
        writeln!(
            text,
            r#"{{"user":"u{}@x.test","timestamp":{},"x":{},"y":{},"z":{}}}"#,
            i % 50,
            1_655_564_000_000 + i,
            (f * 0.37).sin(),
            (f * 0.11).cos(),
            f / 7.0
        )
        .unwrap();
    }
    let mut lake = Lake::new();
    lake.add_file("accelerometer/a.json", text.as_bytes(), None).unwrap();
    lake.run("strict", None, None).unwrap();
    let path = "typed_landing/accelerometer_landing/part-00000.parquet";
    let whole = lake.output(path).unwrap();
    let pieces = Rc::new(RefCell::new(Vec::<Vec<u8>>::new()));
    let into = pieces.clone();
    let sink =
        Closure::<dyn FnMut(js_sys::Uint8Array)>::new(move |p: js_sys::Uint8Array| into.borrow_mut().push(p.to_vec()));
    let n = lake.write_output(path, sink.as_ref().unchecked_ref()).unwrap();
    let pieces = pieces.borrow();
    assert!(pieces.len() >= 2, "{} piece(s) of {} bytes", pieces.len(), whole.len());
    assert!(pieces.iter().all(|p| !p.is_empty() && p.len() <= 1 << 20));
    assert_eq!(n as usize, whole.len());
    assert_eq!(pieces.concat(), whole);
    // An unknown path, and a sink that throws: both are errors, not partial outputs.
    assert!(lake
        .write_output("nope.parquet", sink.as_ref().unchecked_ref())
        .is_err());
    let failing =
        Closure::<dyn FnMut(js_sys::Uint8Array) -> Result<(), JsValue>>::new(|_| Err(JsValue::from_str("disk full")));
    let err = lake.write_output(path, failing.as_ref().unchecked_ref()).unwrap_err();
    assert_eq!(err.as_string().as_deref(), Some("disk full"));
}

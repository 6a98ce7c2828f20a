//! Structure-aware fuzzing of framing (issue #9): the input is not a file but the decisions of the
//! property test's generator (`crate/tests/coverage.rs`, included below): which records (valid
//! customer / accelerometer / step_trainer objects in any key case, or ones with a known fault),
//! which framing (NDJSON, `},`, one-line / pretty / glued arrays, blanks, CRLF, BOM, UTF-16), which
//! junk lines and damaged elements, which chunk sizes. The engine must read exactly what the
//! generator wrote: records kept and quarantined (by line and reason), kept rows' values, kept /
//! quarantined / text bytes, every file's coverage balanced, the same report fed whole.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code)]
#[path = "../../crate/tests/coverage.rs"]
mod coverage;

fuzz_target!(|data: &[u8]| {
    let files = coverage::generate(&mut coverage::ByteChoices(data));
    if let Err(e) = coverage::check(&files, false) {
        panic!("the engine disagrees with the generator: {e}");
    }
});

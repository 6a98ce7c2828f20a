//! Fuzz the whole pipeline: the input is cut into three landing files (customer, accelerometer,
//! step_trainer) at two positions taken from its first bytes, run in both modes, and every output
//! is produced. Must never panic; `covered` and `accounted` must hold (every byte of every file in
//! a kept record, a quarantined record or framing; every record and rule balanced), and every
//! file's coverage must balance.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stedi_lake::{Lake, Mode, Output, RunOptions};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let rest = &data[2..];
    let a = (data[0] as usize * rest.len()) / 256;
    let b = a + ((data[1] as usize * (rest.len() - a)) / 256);
    let files = [
        ("customer/c.json", &rest[..a]),
        ("accelerometer/a.json", &rest[a..b]),
        ("step_trainer/s.json", &rest[b..]),
    ];
    for mode in [Mode::Strict, Mode::Rubric] {
        let mut lake = Lake::new();
        for (name, bytes) in files {
            lake.add_file(name, None, bytes);
        }
        // A run may refuse (e.g. a join over the row limit) with an error, never a panic.
        if lake
            .run(RunOptions {
                mode,
                ..Default::default()
            })
            .is_err()
        {
            continue;
        }
        let summary = lake.summary().unwrap();
        assert!(summary.covered, "coverage must balance");
        assert!(summary.accounted, "accounting must balance");
        for (f, (_, bytes)) in summary.files.iter().zip(files) {
            assert!(f.coverage.balances(), "{f:?}");
            assert_eq!(f.bytes, bytes.len() as u64, "{f:?}");
        }
        for o in Output::all() {
            lake.output(&o.path()).unwrap();
        }
    }
});

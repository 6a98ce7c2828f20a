//! Fuzz the record decoder: any bytes, fed in chunks of a size taken from the input, through the
//! splitter, the routing and every source's decoder. Must never panic, and must account for every
//! record (read = kept + quarantined) whatever the chunking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stedi_lake::ingest::Ingest;
use stedi_lake::Source;

fuzz_target!(|data: &[u8]| {
    let (chunk, bytes) = match data.split_first() {
        Some((c, rest)) => (*c as usize + 1, rest),
        None => return,
    };
    for source in [None, Some(Source::Customer), Some(Source::Accelerometer), Some(Source::StepTrainer)] {
        let mut whole = Ingest::new();
        whole.add_file("fuzz.json", source, bytes);
        let mut chunked = Ingest::new();
        chunked.open("fuzz.json", source);
        for c in bytes.chunks(chunk) {
            chunked.feed(c);
        }
        chunked.close();
        assert_eq!(whole.report, chunked.report, "chunking changed the result");
        for c in whole.report.sources.values().chain([&whole.report.unrouted]) {
            assert_eq!(c.records_read, c.kept + c.quarantined_total);
        }
    }
});

//! Fuzz the record decoder: any bytes, fed in chunks of a size taken from the input, through the
//! sniffer, the splitter, the routing and every source's decoder. Must never panic; must give the
//! same report whatever the chunking; must account for every record (read = kept + quarantined)
//! and for every byte (issue #9): per file, text = kept + quarantined + framing bytes, a UTF-8
//! file's text is all its bytes and a file rejected whole is all quarantined; summed over the
//! sources and `unrouted`, the same holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stedi_lake::ingest::{Coverage, Ingest};
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
        let rep = &whole.report;
        let mut total = Coverage::default();
        for c in rep.sources.values().chain([&rep.unrouted]) {
            assert_eq!(c.records_read, c.kept + c.quarantined_total);
            total.add(&c.coverage);
        }
        let f = &rep.files[0];
        let cov = f.coverage;
        assert!(cov.balances(), "file coverage does not balance: {cov:?}");
        assert_eq!(f.bytes, bytes.len() as u64);
        assert_eq!(f.records, f.kept + f.quarantined);
        match f.encoding {
            "utf-8" => assert_eq!(cov.text_bytes, f.bytes, "a UTF-8 file's text is all its bytes"),
            "binary" => assert_eq!((cov.quarantined_bytes, f.quarantined), (f.bytes, 1), "rejected whole"),
            _ => {}
        }
        assert!(total.balances(), "coverage summed over the sources does not balance: {total:?}");
        assert_eq!(total, cov, "the sources' coverage is not the file's");
    }
});

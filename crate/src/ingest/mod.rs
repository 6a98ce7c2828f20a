//! Ingest: landing files in, typed landing tables + an account of every record out.
//!
//! Flow per file: [`Ingest::open`] (name, optional source) → [`Ingest::feed`] chunks → [`Ingest::close`].
//! The [`split::Splitter`] cuts records out of the chunks, [`route`] picks the file's source (from
//! its folder/file name, else from the first record's keys), and [`record::decode_into`] appends
//! each record to the [`Landing`] tables or rejects it. Rejected records are quarantined: counted
//! by source and reason, and (the first [`QUARANTINE_SAMPLE_LIMIT`]) kept with file, line and text.

pub mod record;
pub mod route;
pub mod split;
pub mod transfer;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Landing, Source};
pub use record::{Reason, Rejection};
use split::{Piece, Splitter};

/// How many quarantined records are kept in full; beyond that they are only counted.
pub const QUARANTINE_SAMPLE_LIMIT: usize = 10_000;
/// Records buffered while a file's source is still unknown (before a record with telling keys).
const ROUTING_LOOKAHEAD: usize = 1_000;

/// One quarantined record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quarantined {
    pub file: String,
    pub line: u64,
    /// `None` when the file could not be routed.
    pub source: Option<&'static str>,
    pub reason: Reason,
    pub detail: String,
    /// The record's text, cut to a few hundred bytes, invalid UTF-8 replaced.
    pub raw: String,
}

/// What happened to one landing file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileReport {
    pub name: String,
    pub source: Option<&'static str>,
    /// `given`, `path` (folder or file name) or `keys` (first record's keys); `none` if unrouted.
    pub routed_by: &'static str,
    pub bytes: u64,
    pub records: u64,
    pub kept: u64,
    pub quarantined: u64,
    /// Set when the whole file was rejected (e.g. not STEDI data).
    pub error: Option<String>,
}

/// Per-source record accounting: `records_read = kept + quarantined_total`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct SourceCounts {
    pub files: u64,
    pub bytes: u64,
    pub records_read: u64,
    pub kept: u64,
    pub quarantined_total: u64,
    pub quarantined: BTreeMap<&'static str, u64>,
}

/// The account of everything ingested so far.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IngestReport {
    pub sources: BTreeMap<&'static str, SourceCounts>,
    /// Records of files that could not be routed to a source (all quarantined as `unrouted`).
    pub unrouted: SourceCounts,
    pub files: Vec<FileReport>,
    pub quarantine: Vec<Quarantined>,
    /// Quarantined records beyond the sample limit (counted above, not listed).
    pub quarantine_not_listed: u64,
}

/// Where a file would be routed, judged from its name and its first bytes (for listing files
/// before a run). Returns the source and how it was decided (`path`, `keys` or `none`).
pub fn sniff(name: &str, head: &[u8]) -> (Option<Source>, &'static str) {
    if let Some(s) = route::by_path(name) {
        return (Some(s), "path");
    }
    let mut found = None;
    let mut splitter = Splitter::new();
    splitter.feed(head, &mut |piece| {
        if let (None, Piece::Record { bytes, .. }) = (found, piece) {
            found = record::source_by_keys(bytes).ok().flatten();
        }
    });
    (found, if found.is_some() { "keys" } else { "none" })
}

/// The file currently being read.
struct OpenFile {
    report: FileReport,
    /// The routed source (mirrors `report.source`).
    source: Option<Source>,
    splitter: Splitter,
    /// Records waiting for the file's source to be known.
    pending: Vec<(u64, Vec<u8>)>,
    /// The file's first bytes, held until [`MAGIC_BYTES`] have arrived.
    head: Vec<u8>,
    /// The head has been checked (and passed to the splitter unless rejected).
    sniffed: bool,
    /// The file was rejected whole (binary); further chunks are skipped.
    rejected: bool,
}

/// Bytes needed to recognise a compressed file.
const MAGIC_BYTES: usize = 4;

/// What kind of compressed data a file starts with, if any. (Other binary bytes need no special
/// case: they fail JSON decoding record by record.)
fn binary_kind(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("gzip-compressed data")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("a zip archive")
    } else {
        None
    }
}

/// Accumulates landing files into [`Landing`] tables.
pub struct Ingest {
    pub landing: Landing,
    pub report: IngestReport,
    open: Option<OpenFile>,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest::new()
    }
}

impl Ingest {
    pub fn new() -> Self {
        let mut report = IngestReport::default();
        for s in Source::ALL {
            report.sources.insert(s.name(), SourceCounts::default());
        }
        Ingest {
            landing: Landing::default(),
            report,
            open: None,
        }
    }

    /// Start reading a file. `source` overrides routing; otherwise the name, then the keys decide.
    /// A file still open is closed first.
    pub fn open(&mut self, name: &str, source: Option<Source>) {
        self.close();
        let (source, routed_by) = match source {
            Some(s) => (Some(s), "given"),
            None => match route::by_path(name) {
                Some(s) => (Some(s), "path"),
                None => (None, "none"),
            },
        };
        self.open = Some(OpenFile {
            report: FileReport {
                name: name.to_owned(),
                source: source.map(Source::name),
                routed_by,
                bytes: 0,
                records: 0,
                kept: 0,
                quarantined: 0,
                error: None,
            },
            source,
            splitter: Splitter::new(),
            pending: Vec::new(),
            head: Vec::new(),
            sniffed: false,
            rejected: false,
        });
    }

    /// Feed the next chunk of the open file.
    pub fn feed(&mut self, chunk: &[u8]) {
        let Some(mut file) = self.open.take() else {
            return;
        };
        file.report.bytes += chunk.len() as u64;
        if !file.sniffed {
            // Hold the first bytes until the file's kind can be told, whatever the chunking.
            file.head.extend_from_slice(chunk);
            if file.head.len() >= MAGIC_BYTES {
                self.start_body(&mut file);
            }
        } else if !file.rejected {
            self.split(&mut file, chunk);
        }
        self.open = Some(file);
    }

    /// Decide from the file's first bytes whether it is text; reject it whole if not.
    fn start_body(&mut self, file: &mut OpenFile) {
        file.sniffed = true;
        let head = std::mem::take(&mut file.head);
        if let Some(kind) = binary_kind(&head) {
            file.report.error = Some(format!(
                "{kind}: not NDJSON text; decompress or export it as JSON first"
            ));
            let rej = Rejection {
                reason: Reason::Binary,
                detail: format!("{kind} file rejected whole"),
            };
            // Only the magic bytes as the raw text: the head's length depends on the chunking.
            self.quarantine(
                &mut file.report,
                file.source,
                1,
                &head[..head.len().min(MAGIC_BYTES)],
                rej,
            );
            file.rejected = true;
        } else {
            self.split(file, &head);
        }
    }

    fn split(&mut self, file: &mut OpenFile, bytes: &[u8]) {
        let mut splitter = std::mem::take(&mut file.splitter);
        splitter.feed(bytes, &mut |piece| self.take_piece(file, piece));
        file.splitter = splitter;
    }

    /// Finish the open file and return its report.
    pub fn close(&mut self) -> Option<&FileReport> {
        let mut file = self.open.take()?;
        if !file.sniffed {
            self.start_body(&mut file);
        }
        let mut splitter = std::mem::take(&mut file.splitter);
        if !file.rejected {
            splitter.finish(&mut |piece| self.take_piece(&mut file, piece));
        }
        if file.report.source.is_none() && !file.rejected {
            // No record told us the source: the whole file is unrouted.
            file.report.error = Some(if file.report.records == 0 && file.pending.is_empty() {
                "empty file: no records".to_owned()
            } else {
                "not STEDI landing data: neither its folder/file name nor its records' keys match customer, accelerometer or step_trainer".to_owned()
            });
            for (line, bytes) in std::mem::take(&mut file.pending) {
                let rej = Rejection {
                    reason: Reason::Unrouted,
                    detail: "file not routed to a source".into(),
                };
                self.quarantine(&mut file.report, None, line, &bytes, rej);
            }
        }
        let counts = match file.source {
            Some(s) => self.report.sources.get_mut(s.name()).expect("all sources present"),
            None => &mut self.report.unrouted,
        };
        // Kept records are counted per file while reading and added here (quarantined ones as they come).
        counts.records_read += file.report.kept;
        counts.kept += file.report.kept;
        counts.files += 1;
        counts.bytes += file.report.bytes;
        self.report.files.push(file.report);
        self.report.files.last()
    }

    /// Append everything another `Ingest` read (e.g. in another worker), as if its files had been
    /// read after ours: rows (ids re-mapped), counts, file reports and quarantine.
    pub fn append(&mut self, other: &Ingest) {
        self.close();
        self.landing.append(&other.landing);
        let (mine, theirs) = (&mut self.report, &other.report);
        for (name, c) in mine
            .sources
            .iter_mut()
            .map(|(n, c)| (*n, c))
            .chain([("", &mut mine.unrouted)])
        {
            let o = if name.is_empty() {
                &theirs.unrouted
            } else {
                &theirs.sources[name]
            };
            c.files += o.files;
            c.bytes += o.bytes;
            c.records_read += o.records_read;
            c.kept += o.kept;
            c.quarantined_total += o.quarantined_total;
            for (reason, n) in &o.quarantined {
                *c.quarantined.entry(reason).or_default() += n;
            }
        }
        mine.files.extend(theirs.files.iter().cloned());
        let room = QUARANTINE_SAMPLE_LIMIT.saturating_sub(mine.quarantine.len());
        mine.quarantine.extend(theirs.quarantine.iter().take(room).cloned());
        mine.quarantine_not_listed +=
            theirs.quarantine_not_listed + theirs.quarantine.len().saturating_sub(room) as u64;
    }

    /// Convenience: read a whole file held in memory.
    pub fn add_file(&mut self, name: &str, source: Option<Source>, bytes: &[u8]) -> &FileReport {
        self.open(name, source);
        // Chunked like a streamed read, so the in-memory path exercises the same code.
        for chunk in bytes.chunks(1 << 20) {
            self.feed(chunk);
        }
        self.close().expect("file was open")
    }

    fn take_piece(&mut self, file: &mut OpenFile, piece: Piece<'_>) {
        let (line, bytes) = match piece {
            Piece::Record { line, bytes } => (line, bytes),
            Piece::TooLong { line, bytes, head } => {
                let rej = Rejection {
                    reason: Reason::TooLong,
                    detail: format!(
                        "record of {bytes} bytes exceeds the {} byte limit",
                        split::MAX_RECORD_BYTES
                    ),
                };
                self.quarantine(&mut file.report, file.source, line, head, rej);
                return;
            }
            Piece::Truncated { line, head } => {
                let rej = Rejection {
                    reason: Reason::Truncated,
                    detail: "file ends inside this record".into(),
                };
                self.quarantine(&mut file.report, file.source, line, head, rej);
                return;
            }
        };
        match file.source {
            Some(source) => self.decode(file, source, line, bytes),
            None => {
                // Still routing: the first record with telling keys decides the whole file.
                match record::source_by_keys(bytes) {
                    Ok(Some(source)) => {
                        file.source = Some(source);
                        file.report.source = Some(source.name());
                        file.report.routed_by = "keys";
                        for (l, b) in std::mem::take(&mut file.pending) {
                            self.decode(file, source, l, &b);
                        }
                        self.decode(file, source, line, bytes);
                    }
                    Ok(None) | Err(_) if file.pending.len() < ROUTING_LOOKAHEAD => {
                        file.pending.push((line, bytes.to_vec()));
                    }
                    _ => {
                        let rej = Rejection {
                            reason: Reason::Unrouted,
                            detail: "file not routed to a source".into(),
                        };
                        self.quarantine(&mut file.report, None, line, bytes, rej);
                    }
                }
            }
        }
    }

    fn decode(&mut self, file: &mut OpenFile, source: Source, line: u64, bytes: &[u8]) {
        match record::decode_into(source, bytes, &mut self.landing) {
            Ok(()) => {
                file.report.records += 1;
                file.report.kept += 1;
            }
            Err(rej) => self.quarantine(&mut file.report, Some(source), line, bytes, rej),
        }
    }

    fn quarantine(&mut self, file: &mut FileReport, source: Option<Source>, line: u64, raw: &[u8], rej: Rejection) {
        file.records += 1;
        file.quarantined += 1;
        let counts = match source {
            Some(s) => self.report.sources.get_mut(s.name()).expect("all sources present"),
            None => &mut self.report.unrouted,
        };
        counts.records_read += 1;
        counts.quarantined_total += 1;
        *counts.quarantined.entry(rej.reason.as_str()).or_default() += 1;
        if self.report.quarantine.len() < QUARANTINE_SAMPLE_LIMIT {
            self.report.quarantine.push(Quarantined {
                file: file.name.clone(),
                line,
                source: source.map(Source::name),
                reason: rej.reason,
                detail: rej.detail,
                raw: String::from_utf8_lossy(split::snippet(raw)).into_owned(),
            });
        } else {
            self.report.quarantine_not_listed += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_is_kept_or_quarantined_with_file_and_line() {
        let mut ing = Ingest::new();
        ing.add_file(
            "landing/accelerometer/a.json",
            None,
            b"{\"user\":\"a@x\",\"timestamp\":1,\"x\":1,\"y\":2,\"z\":3}\nnot json\n{\"user\":\"a@x\"}\n",
        );
        let c = &ing.report.sources["accelerometer"];
        assert_eq!((c.records_read, c.kept, c.quarantined_total), (3, 1, 2));
        assert_eq!(c.quarantined["malformed_json"], 1);
        assert_eq!(c.quarantined["missing_required"], 1);
        let q = &ing.report.quarantine;
        assert_eq!(
            (q[0].file.as_str(), q[0].line, q[0].reason),
            ("landing/accelerometer/a.json", 2, Reason::MalformedJson)
        );
        assert_eq!(
            (q[1].line, q[1].reason, q[1].raw.as_str()),
            (3, Reason::MissingRequired, "{\"user\":\"a@x\"}")
        );
        assert_eq!(ing.landing.accelerometer.len(), 1);
    }

    #[test]
    fn a_file_without_telling_name_is_routed_by_keys_even_after_bad_lines() {
        let mut ing = Ingest::new();
        let r = ing.add_file(
            "upload.json",
            None,
            b"garbage\n{\"sensorReadingTime\":5,\"serialNumber\":\"s\",\"distanceFromObject\":1}\n",
        );
        assert_eq!(
            (r.source, r.routed_by, r.kept, r.quarantined),
            (Some("step_trainer"), "keys", 1, 1)
        );
        assert_eq!(ing.report.sources["step_trainer"].quarantined["malformed_json"], 1);
    }

    #[test]
    fn a_non_stedi_file_is_rejected_with_a_message_and_its_records_counted() {
        let mut ing = Ingest::new();
        let r = ing.add_file("notes.csv", None, b"a,b,c\n1,2,3\n").clone();
        assert_eq!(r.source, None);
        assert!(
            r.error.as_deref().unwrap().starts_with("not STEDI landing data"),
            "{r:?}"
        );
        assert_eq!(ing.report.unrouted.records_read, 2);
        assert_eq!(ing.report.unrouted.quarantined["unrouted"], 2);
    }

    #[test]
    fn compressed_files_are_rejected_whole_whatever_the_chunking() {
        let gz = [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, b'\n', 0x00, b'\n', 0xff];
        for size in 1..=gz.len() {
            let mut ing = Ingest::new();
            ing.open("accelerometer/a.json.gz", None);
            for c in gz.chunks(size) {
                ing.feed(c);
            }
            let r = ing.close().unwrap().clone();
            assert_eq!((r.records, r.quarantined), (1, 1), "chunk size {size}");
            assert_eq!(
                ing.report.quarantine[0].raw, "\u{1f}\u{fffd}\u{8}\0",
                "the magic bytes, lossily decoded"
            );
            assert!(r.error.unwrap().starts_with("gzip-compressed data"));
            assert_eq!(ing.report.sources["accelerometer"].quarantined["binary"], 1);
        }
        // Three bytes that are not a magic number still decode as text.
        let mut ing = Ingest::new();
        ing.add_file("accelerometer/a.json", None, b"{}\n");
        assert_eq!(ing.report.sources["accelerometer"].quarantined["missing_required"], 1);
    }

    #[test]
    fn sniff_routes_like_ingest() {
        assert_eq!(sniff("x/step_trainer/a.json", b""), (Some(Source::StepTrainer), "path"));
        assert_eq!(
            sniff("a.json", b"\xEF\xBB\xBF{\"user\":\"u\",\"timestamp\":1}\n{\"us"),
            (Some(Source::Accelerometer), "keys")
        );
        assert_eq!(sniff("a.csv", b"a,b\n1,2\n"), (None, "none"));
    }

    #[test]
    fn chunk_boundaries_do_not_change_the_result() {
        let data =
            b"{\"email\":\"a@x\",\"customerName\":\"A\"}\r\n{\"email\":\"b@x\",\"customerName\":\"B\"},\n{\"email\":";
        let whole = {
            let mut ing = Ingest::new();
            ing.add_file("customer/c.json", None, data);
            ing.report
        };
        for size in 1..data.len() {
            let mut ing = Ingest::new();
            ing.open("customer/c.json", None);
            for c in data.chunks(size) {
                ing.feed(c);
            }
            ing.close();
            assert_eq!(ing.report, whole, "chunk size {size}");
        }
        assert_eq!(whole.sources["customer"].kept, 2);
        assert_eq!(whole.sources["customer"].quarantined["malformed_json"], 1);
    }
}

//! Ingest: landing files in, typed landing tables + an account of every record out.
//!
//! Flow per file: [`Ingest::open`] (name, optional source) → [`Ingest::feed`] chunks → [`Ingest::close`].
//! The file's first bytes are sniffed ([`text::sniff`]): binary files (compressed, Parquet, images,
//! NUL bytes, UTF-16/32 without a byte-order mark) are rejected whole; UTF-16 with a BOM is decoded
//! to UTF-8 as it streams. The [`split::Splitter`] cuts records out of the text, [`route`] picks
//! the file's source (from its folder/file name, else from its first records' keys, looking ahead
//! at most [`ROUTING_LOOKAHEAD_BYTES`]), and [`record::decode_into`] appends each record to the
//! [`Landing`] tables or rejects it. Rejected records are quarantined: counted by source and
//! reason, and (the first [`QUARANTINE_SAMPLE_LIMIT`]) kept with file, line and text.
//!
//! Coverage: every byte of every file is accounted for, per file, as [`Coverage`]: bytes of kept
//! records + bytes of quarantined records + framing (blanks, separators, brackets, a BOM) = the
//! file's text bytes. A file rejected whole counts all its bytes as quarantined.

mod fast;
pub mod record;
pub mod route;
pub mod select;
pub mod split;
pub mod text;
pub mod transfer;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Landing, Source};
pub use record::{Reason, Rejection};
pub use route::{sniff, RoutedBy};
use split::{Piece, Splitter};
pub use text::Encoding;

/// How many quarantined records are kept in full; beyond that they are only counted.
pub const QUARANTINE_SAMPLE_LIMIT: usize = 10_000;
/// Bytes of records buffered while a file's source is still unknown (before a record with telling
/// keys). Past it, the file is not STEDI landing data: it is rejected, its records `unrouted`.
pub const ROUTING_LOOKAHEAD_BYTES: usize = 4 << 20;

/// Where a file's bytes went: `text_bytes = kept_bytes + quarantined_bytes + framing_bytes`.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Coverage {
    /// Bytes of text read: the file's bytes, or for a UTF-16 file its text decoded to UTF-8.
    pub text_bytes: u64,
    /// Bytes of the records kept (their text, trimmed).
    pub kept_bytes: u64,
    /// Bytes of the records quarantined (a file rejected whole: all its bytes).
    pub quarantined_bytes: u64,
    /// Blanks, line breaks, `[` `]`, separators, trailing commas and byte-order marks.
    pub framing_bytes: u64,
}

impl Coverage {
    /// Whether every byte is in a record or framing.
    pub fn balances(&self) -> bool {
        self.text_bytes == self.kept_bytes + self.quarantined_bytes + self.framing_bytes
    }

    /// Add another file's (or source's) coverage.
    pub fn add(&mut self, o: &Coverage) {
        self.text_bytes += o.text_bytes;
        self.kept_bytes += o.kept_bytes;
        self.quarantined_bytes += o.quarantined_bytes;
        self.framing_bytes += o.framing_bytes;
    }
}

/// One quarantined record.
#[derive(Debug, Clone, Serialize, PartialEq, serde::Deserialize)]
pub struct Quarantined {
    /// The file's name as given to [`Ingest::open`].
    pub file: String,
    /// 1-based line the record starts on (1 for a file rejected whole).
    pub line: u64,
    /// `None` when the file could not be routed.
    pub source: Option<Source>,
    /// Why, as a class.
    pub reason: Reason,
    /// Why, in words (for a decoding error: serde's message, with the column inside the record).
    pub detail: String,
    /// The record's text, cut to a few hundred bytes, invalid UTF-8 replaced.
    pub raw: String,
}

/// What happened to one landing file.
#[derive(Debug, Clone, Serialize, PartialEq, serde::Deserialize)]
pub struct FileReport {
    /// The name (path) as given to [`Ingest::open`].
    pub name: String,
    /// The source its records were read as; `None`: not routed (every record `unrouted`).
    pub source: Option<Source>,
    /// How the source was decided (`route.rs`).
    pub routed_by: RoutedBy,
    /// Bytes fed, as stored (before any UTF-16 decoding).
    pub bytes: u64,
    /// The text encoding read: `utf-8`, `utf-16le` or `utf-16be` (decoded), or `binary` (rejected).
    pub encoding: Encoding,
    /// Records read: `kept + quarantined`.
    pub records: u64,
    /// Records decoded into the landing tables.
    pub kept: u64,
    /// Records quarantined (a file rejected whole: 1).
    pub quarantined: u64,
    /// Where every byte went.
    pub coverage: Coverage,
    /// Set when the whole file was rejected (e.g. not STEDI data).
    pub error: Option<String>,
}

/// Per-source record accounting: `records_read = kept + quarantined_total`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, serde::Deserialize)]
pub struct SourceCounts {
    /// Files read as this source.
    pub files: u64,
    /// Their bytes, as stored.
    pub bytes: u64,
    /// Records read.
    pub records_read: u64,
    /// Records kept (rows of the source's landing table).
    pub kept: u64,
    /// Records quarantined, all reasons.
    pub quarantined_total: u64,
    /// Records quarantined, per reason (reasons that occurred only).
    pub quarantined: BTreeMap<Reason, u64>,
    /// The files' coverage, summed.
    pub coverage: Coverage,
}

/// A key that no source defines, seen in kept records of one source (schema drift).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct UnknownKey {
    /// Kept records holding it.
    pub count: u64,
    /// Where it was first seen: the file's name as given.
    pub first_file: String,
    /// The 1-based line of that file where its record starts.
    pub first_line: u64,
}

/// Distinct unknown keys listed per source: the alphabetically first ones; occurrences of the
/// others are only counted (a hostile file could hold a new key in every record). Keeping the
/// first keys in name order, not the first met, makes the list a function of what was read, not
/// of the order: a set decoded in several parts and merged lists exactly what one pass lists.
pub const UNKNOWN_KEYS_LISTED: usize = 1_000;

/// Keys that no source defines, per source, in kept records.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct SchemaDrift {
    /// Key (as written) → how often and where first; the [`UNKNOWN_KEYS_LISTED`]
    /// alphabetically first keys seen.
    pub keys: BTreeMap<String, UnknownKey>,
    /// Occurrences of the keys that are not listed.
    pub not_listed: u64,
}

impl SchemaDrift {
    fn note(&mut self, key: String, file: &str, line: u64) {
        if let Some(k) = self.keys.get_mut(&key) {
            k.count += 1;
            return;
        }
        self.insert(
            key,
            UnknownKey {
                count: 1,
                first_file: file.to_owned(),
                first_line: line,
            },
        );
    }

    /// List `key` if it is among the first [`UNKNOWN_KEYS_LISTED`] by name (dropping the last
    /// listed one into `not_listed` when the list is full), else count it as not listed. Once the
    /// list is full its last key only moves down, so a key dropped or refused is never listed
    /// later: the result is the first keys of everything seen, whatever the order.
    fn insert(&mut self, key: String, k: UnknownKey) {
        if self.keys.len() < UNKNOWN_KEYS_LISTED {
            self.keys.insert(key, k);
        } else if self.keys.last_key_value().is_some_and(|(last, _)| key < *last) {
            self.keys.insert(key, k);
            let (_, dropped) = self.keys.pop_last().expect("the list is full");
            self.not_listed += dropped.count;
        } else {
            self.not_listed += k.count;
        }
    }

    /// Add another ingest's drift (read after ours): the same result as one pass over both.
    pub fn append(&mut self, o: &SchemaDrift) {
        for (k, v) in &o.keys {
            if let Some(mine) = self.keys.get_mut(k) {
                mine.count += v.count; // ours was met first
            } else {
                self.insert(k.clone(), v.clone());
            }
        }
        self.not_listed += o.not_listed;
    }
}

/// The account of everything ingested so far.
#[derive(Debug, Clone, Default, Serialize, PartialEq, serde::Deserialize)]
pub struct IngestReport {
    /// Keys of kept records that no source defines, per source name.
    pub schema_drift: BTreeMap<Source, SchemaDrift>,
    /// Per source (all three, even when no file had it): files, bytes and records.
    pub sources: BTreeMap<Source, SourceCounts>,
    /// Records of files that could not be routed to a source (all quarantined as `unrouted`).
    pub unrouted: SourceCounts,
    /// Every file closed so far, in read order.
    pub files: Vec<FileReport>,
    /// The first [`QUARANTINE_SAMPLE_LIMIT`] quarantined records, in read order.
    pub quarantine: Vec<Quarantined>,
    /// Quarantined records beyond the sample limit (counted above, not listed).
    pub quarantine_not_listed: u64,
}

/// How a file's text reaches the splitter.
enum Reader {
    /// Still collecting the first [`text::SNIFF_BYTES`] bytes.
    Sniffing(Vec<u8>),
    Utf8,
    Utf16(text::Utf16Decoder),
    /// Rejected whole: further bytes are counted, not read.
    Rejected,
}

/// The file currently being read.
struct OpenFile {
    report: FileReport,
    /// The routed source (mirrors `report.source`).
    source: Option<Source>,
    reader: Reader,
    splitter: Splitter,
    /// Pieces waiting for the file's source to be known (in file order), and their bytes.
    pending: Vec<Pending>,
    pending_bytes: usize,
    /// No record told the source within the look-ahead: every record is `unrouted`.
    unroutable: bool,
}

/// A piece read before the file's source is known.
enum Pending {
    /// A record, to decode once the source is known.
    Record(u64, Vec<u8>),
    /// A piece already rejected (damaged, too long, truncated): its line, first bytes, length.
    Rejected(u64, Vec<u8>, u64, Rejection),
}

/// Accumulates landing files into [`Landing`] tables.
pub struct Ingest {
    /// The landing tables decoded so far.
    pub landing: Landing,
    /// The account of every file and record read so far.
    pub report: IngestReport,
    open: Option<OpenFile>,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest::new()
    }
}

impl Ingest {
    /// An empty ingest.
    pub fn new() -> Self {
        let mut report = IngestReport::default();
        for s in Source::ALL {
            report.sources.insert(s, SourceCounts::default());
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
        let (source, routed_by) = route::on_open(name, source);
        self.open = Some(OpenFile {
            report: FileReport {
                name: name.to_owned(),
                source,
                routed_by,
                bytes: 0,
                encoding: Encoding::Utf8,
                records: 0,
                kept: 0,
                quarantined: 0,
                coverage: Coverage::default(),
                error: None,
            },
            source,
            reader: Reader::Sniffing(Vec::new()),
            splitter: Splitter::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            unroutable: false,
        });
    }

    /// Feed the next chunk of the open file.
    pub fn feed(&mut self, chunk: &[u8]) {
        let Some(mut file) = self.open.take() else {
            return;
        };
        file.report.bytes += chunk.len() as u64;
        self.read(&mut file, chunk, false);
        self.open = Some(file);
    }

    /// Pass bytes through the file's reader (`last`: the file ends after them).
    fn read(&mut self, file: &mut OpenFile, chunk: &[u8], last: bool) {
        match &mut file.reader {
            Reader::Sniffing(head) => {
                // Hold the first bytes until the file's kind can be told, whatever the chunking.
                let room = text::SNIFF_BYTES - head.len();
                head.extend_from_slice(&chunk[..room.min(chunk.len())]);
                if head.len() == text::SNIFF_BYTES || last {
                    let head = std::mem::take(head);
                    self.start_text(file, &head, last && chunk.len() <= room);
                    if chunk.len() > room {
                        self.read(file, &chunk[room..], last);
                    }
                }
            }
            Reader::Utf8 => {
                file.report.coverage.text_bytes += chunk.len() as u64;
                self.split(file, chunk);
            }
            Reader::Utf16(d) => {
                let mut d = std::mem::replace(d, text::Utf16Decoder::new(false));
                let utf8 = d.decode(chunk, last);
                file.report.coverage.text_bytes += utf8.len() as u64;
                self.split(file, utf8);
                file.reader = Reader::Utf16(d);
            }
            Reader::Rejected => {}
        }
    }

    /// Decide from the file's first bytes how to read it; reject it whole if it is not text.
    fn start_text(&mut self, file: &mut OpenFile, head: &[u8], last: bool) {
        let kind = text::sniff(head);
        file.report.encoding = kind.encoding();
        match kind {
            text::Kind::Utf8 { bom } => {
                let bom = bom.min(head.len());
                file.reader = Reader::Utf8;
                file.report.coverage.text_bytes += bom as u64;
                file.report.coverage.framing_bytes += bom as u64;
                self.read(file, &head[bom..], last);
            }
            text::Kind::Utf16 { big_endian } => {
                file.reader = Reader::Utf16(text::Utf16Decoder::new(big_endian));
                self.read(file, &head[2..], last);
            }
            text::Kind::Binary(what) => {
                file.reader = Reader::Rejected;
                file.report.error = Some(format!(
                    "{what}: not JSON text; the whole file is rejected (export or decompress it as UTF-8 JSON first)"
                ));
                let rej = Rejection {
                    reason: Reason::Binary,
                    detail: format!("{what}: file rejected whole"),
                };
                // Only the first bytes as the raw text: the head's length depends on the file.
                self.quarantine(&mut file.report, file.source, 1, &head[..head.len().min(4)], 0, rej);
            }
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
        if matches!(file.reader, Reader::Sniffing(_)) || matches!(file.reader, Reader::Utf16(_)) {
            self.read(&mut file, &[], true);
        }
        let mut splitter = std::mem::take(&mut file.splitter);
        if !matches!(file.reader, Reader::Rejected) {
            splitter.finish(&mut |piece| self.take_piece(&mut file, piece));
        }
        file.report.coverage.framing_bytes += splitter.framing_bytes();
        if matches!(file.reader, Reader::Rejected) {
            // Rejected whole: every byte is in the one quarantined "record".
            let c = &mut file.report.coverage;
            c.text_bytes = file.report.bytes;
            c.quarantined_bytes = file.report.bytes;
            c.kept_bytes = 0;
            c.framing_bytes = 0;
            let counts = self.counts(file.source);
            counts.coverage.quarantined_bytes += file.report.bytes;
        }
        if file.report.source.is_none() && !matches!(file.reader, Reader::Rejected) {
            // No record told us the source: the whole file is unrouted.
            file.report.error = Some(if file.report.records == 0 && file.pending.is_empty() {
                "no records: the file is empty or holds only blanks and brackets".to_owned()
            } else {
                "not STEDI landing data: neither its folder/file name nor its records' keys match customer, accelerometer or step_trainer".to_owned()
            });
            self.unroute_pending(&mut file);
        }
        let bytes = file.report.bytes;
        let (kept, coverage) = (file.report.kept, file.report.coverage);
        let counts = self.counts(file.source);
        // Kept records are counted per file while reading and added here (quarantined ones as they come).
        counts.records_read += kept;
        counts.kept += kept;
        counts.files += 1;
        counts.bytes += bytes;
        counts.coverage.text_bytes += coverage.text_bytes;
        counts.coverage.kept_bytes += coverage.kept_bytes;
        counts.coverage.framing_bytes += coverage.framing_bytes;
        self.report.files.push(file.report);
        self.report.files.last()
    }

    fn counts(&mut self, source: Option<Source>) -> &mut SourceCounts {
        match source {
            Some(s) => self.report.sources.get_mut(&s).expect("all sources present"),
            None => &mut self.report.unrouted,
        }
    }

    /// Quarantine every piece waiting for a source: records as `unrouted`, rejected pieces with
    /// their own reason, all under no source.
    fn unroute_pending(&mut self, file: &mut OpenFile) {
        for p in std::mem::take(&mut file.pending) {
            match p {
                Pending::Record(line, bytes) => {
                    let rej = Rejection {
                        reason: Reason::Unrouted,
                        detail: "file not routed to a source".into(),
                    };
                    self.quarantine(&mut file.report, None, line, &bytes, bytes.len() as u64, rej);
                }
                Pending::Rejected(line, head, len, rej) => {
                    self.quarantine(&mut file.report, None, line, &head, len, rej)
                }
            }
        }
        file.pending_bytes = 0;
    }

    /// The file's source is now known: decode or quarantine every piece that waited for it.
    fn route_pending(&mut self, file: &mut OpenFile, source: Source) {
        for p in std::mem::take(&mut file.pending) {
            match p {
                Pending::Record(line, bytes) => self.decode(file, source, line, &bytes),
                Pending::Rejected(line, head, len, rej) => {
                    self.quarantine(&mut file.report, Some(source), line, &head, len, rej)
                }
            }
        }
        file.pending_bytes = 0;
    }

    /// A piece rejected by the splitter: quarantined under the file's source, or held until the
    /// source is known.
    fn reject_piece(&mut self, file: &mut OpenFile, line: u64, head: &[u8], len: u64, rej: Rejection) {
        if file.source.is_some() || file.unroutable {
            let source = if file.unroutable { None } else { file.source };
            self.quarantine(&mut file.report, source, line, head, len, rej);
            return;
        }
        // Counted against the look-ahead by what is held (the first bytes and the reason).
        file.pending_bytes += head.len() + rej.detail.len();
        file.pending.push(Pending::Rejected(line, head.to_vec(), len, rej));
        if file.pending_bytes > ROUTING_LOOKAHEAD_BYTES {
            file.unroutable = true;
            self.unroute_pending(file);
        }
    }

    /// Append everything another `Ingest` read (e.g. in another worker), as if its files had been
    /// read after ours: rows (ids re-mapped), counts, file reports and quarantine.
    pub fn append(&mut self, other: &Ingest) {
        self.close();
        self.landing.append(&other.landing);
        let (mine, theirs) = (&mut self.report, &other.report);
        for (source, c) in mine
            .sources
            .iter_mut()
            .map(|(s, c)| (Some(*s), c))
            .chain([(None, &mut mine.unrouted)])
        {
            let o = match source {
                Some(s) => &theirs.sources[&s],
                None => &theirs.unrouted,
            };
            c.files += o.files;
            c.bytes += o.bytes;
            c.records_read += o.records_read;
            c.kept += o.kept;
            c.quarantined_total += o.quarantined_total;
            for (reason, n) in &o.quarantined {
                *c.quarantined.entry(*reason).or_default() += n;
            }
            c.coverage.add(&o.coverage);
        }
        for (src, d) in &theirs.schema_drift {
            mine.schema_drift.entry(*src).or_default().append(d);
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
        let len = piece.len();
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
                self.reject_piece(file, line, head, len, rej);
                return;
            }
            Piece::Truncated { line, head, .. } => {
                let rej = Rejection {
                    reason: Reason::Truncated,
                    detail: "file ends inside this record".into(),
                };
                self.reject_piece(file, line, head, len, rej);
                return;
            }
            Piece::Damaged { line, head, .. } => {
                let rej = Rejection {
                    reason: Reason::MalformedJson,
                    detail: "JSON syntax error inside an array element; reading resumed at the next element".into(),
                };
                self.reject_piece(file, line, head, len, rej);
                return;
            }
        };
        match file.source {
            Some(source) => self.decode(file, source, line, bytes),
            None if file.unroutable => {
                let rej = Rejection {
                    reason: Reason::Unrouted,
                    detail: "file not routed to a source".into(),
                };
                self.quarantine(&mut file.report, None, line, bytes, len, rej);
            }
            None => {
                // Still routing: the first record with telling keys decides the whole file.
                match route::by_keys(bytes) {
                    Ok(Some(source)) => {
                        file.source = Some(source);
                        file.report.source = Some(source);
                        file.report.routed_by = RoutedBy::Keys;
                        self.route_pending(file, source);
                        self.decode(file, source, line, bytes);
                    }
                    Ok(None) | Err(_) if file.pending_bytes + bytes.len() <= ROUTING_LOOKAHEAD_BYTES => {
                        file.pending_bytes += bytes.len();
                        file.pending.push(Pending::Record(line, bytes.to_vec()));
                    }
                    _ => {
                        // The look-ahead is spent: this file is not STEDI landing data.
                        file.unroutable = true;
                        self.unroute_pending(file);
                        let rej = Rejection {
                            reason: Reason::Unrouted,
                            detail: "file not routed to a source".into(),
                        };
                        self.quarantine(&mut file.report, None, line, bytes, len, rej);
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
                file.report.coverage.kept_bytes += bytes.len() as u64;
                let unknown = record::take_unknown_keys();
                if !unknown.is_empty() {
                    let drift = self.report.schema_drift.entry(source).or_default();
                    for k in unknown {
                        drift.note(k, &file.report.name, line);
                    }
                }
            }
            Err(rej) => self.quarantine(&mut file.report, Some(source), line, bytes, bytes.len() as u64, rej),
        }
    }

    /// Count one quarantined record of `len` bytes (its `raw` text may be only its beginning).
    fn quarantine(
        &mut self,
        file: &mut FileReport,
        source: Option<Source>,
        line: u64,
        raw: &[u8],
        len: u64,
        rej: Rejection,
    ) {
        file.records += 1;
        file.quarantined += 1;
        file.coverage.quarantined_bytes += len;
        let counts = self.counts(source);
        counts.records_read += 1;
        counts.quarantined_total += 1;
        counts.coverage.quarantined_bytes += len;
        *counts.quarantined.entry(rej.reason).or_default() += 1;
        if self.report.quarantine.len() < QUARANTINE_SAMPLE_LIMIT {
            self.report.quarantine.push(Quarantined {
                file: file.name.clone(),
                line,
                source,
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
        let c = &ing.report.sources[&Source::Accelerometer];
        assert_eq!((c.records_read, c.kept, c.quarantined_total), (3, 1, 2));
        assert_eq!(c.quarantined[&Reason::MalformedJson], 1);
        assert_eq!(c.quarantined[&Reason::MissingRequired], 1);
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
            (Some(Source::StepTrainer), RoutedBy::Keys, 1, 1)
        );
        assert_eq!(
            ing.report.sources[&Source::StepTrainer].quarantined[&Reason::MalformedJson],
            1
        );
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
        assert_eq!(ing.report.unrouted.quarantined[&Reason::Unrouted], 2);
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
            assert_eq!(
                ing.report.sources[&Source::Accelerometer].quarantined[&Reason::Binary],
                1
            );
        }
        // Three bytes that are not a magic number still decode as text.
        let mut ing = Ingest::new();
        ing.add_file("accelerometer/a.json", None, b"{}\n");
        assert_eq!(
            ing.report.sources[&Source::Accelerometer].quarantined[&Reason::MissingRequired],
            1
        );
    }

    #[test]
    fn sniff_routes_like_ingest() {
        assert_eq!(
            sniff("x/step_trainer/a.json", b""),
            (Some(Source::StepTrainer), RoutedBy::Path)
        );
        assert_eq!(
            sniff("a.json", b"\xEF\xBB\xBF{\"user\":\"u\",\"timestamp\":1}\n{\"us"),
            (Some(Source::Accelerometer), RoutedBy::Keys)
        );
        assert_eq!(sniff("a.csv", b"a,b\n1,2\n"), (None, RoutedBy::None));
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
        assert_eq!(whole.sources[&Source::Customer].kept, 2);
        assert_eq!(whole.sources[&Source::Customer].quarantined[&Reason::MalformedJson], 1);
    }

    #[test]
    fn schema_drift_lists_the_same_keys_however_the_files_are_split_and_merged() {
        // Four step_trainer files, 1,450 distinct unknown keys in all, met in different orders
        // (some keys in several files): over the listing cap, so which keys are listed matters.
        let file = |keys: Vec<usize>| -> String {
            keys.iter()
                .map(|k| format!("{{\"sensorReadingTime\":1,\"serialNumber\":\"s\",\"u{k:04}\":1}}\n"))
                .collect()
        };
        let files = [
            file((0..600).rev().collect()),
            file((900..1450).collect()),
            file((300..1000).step_by(2).collect()),
            file((0..1450).step_by(7).rev().collect()),
        ];
        let read = |range: std::ops::Range<usize>| {
            let mut ing = Ingest::new();
            for (i, f) in files[range.clone()].iter().enumerate() {
                ing.add_file(&format!("step_trainer/{}.json", range.start + i), None, f.as_bytes());
            }
            ing
        };
        let one = read(0..4).report.schema_drift[&Source::StepTrainer].clone();
        let occurrences: u64 = files.iter().map(|f| f.lines().count() as u64).sum();
        assert_eq!(one.keys.len(), UNKNOWN_KEYS_LISTED);
        assert_eq!(one.keys.keys().next().map(String::as_str), Some("u0000"));
        assert_eq!(
            one.keys.values().map(|k| k.count).sum::<u64>() + one.not_listed,
            occurrences
        );
        // u0007 is met first in file 0 (line 593: keys run 599 down to 0).
        assert_eq!(
            (one.keys["u0007"].first_file.as_str(), one.keys["u0007"].first_line),
            ("step_trainer/0.json", 593)
        );
        for cuts in [vec![1], vec![2], vec![3], vec![1, 2, 3], vec![1, 3]] {
            let mut bounds = vec![0];
            bounds.extend(cuts.iter().copied());
            bounds.push(4);
            let mut merged = read(bounds[0]..bounds[1]);
            for w in bounds[1..].windows(2) {
                merged.append(&read(w[0]..w[1]));
            }
            assert_eq!(merged.report.schema_drift[&Source::StepTrainer], one, "cuts {cuts:?}");
        }
    }
}

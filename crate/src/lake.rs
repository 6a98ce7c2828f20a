//! The lake: the one entry point the CLI and the wasm bindings share.
//!
//! Files go in through [`Lake::open_file`]/[`Lake::feed`]/[`Lake::close_file`] (or
//! [`Lake::add_file`]); [`Lake::run`] applies the zone rules; every output (Parquet, NDJSON, DDL,
//! `summary.json`, the data-quality report, the quarantine list) is then produced on demand by
//! path with [`Lake::write_output`], so nothing is encoded before somebody asks for it.
//!
//! The facade only: the outputs' names and paths are `output.rs`, `summary.json`'s shape is
//! `summary.rs`, the page's previews and chart queries are `explore.rs`, errors are `error.rs`.

use std::fmt;
use std::io::Write;

use serde::Serialize;

use crate::ddl::{self, DdlOptions};
pub use crate::error::{Error, Result};
use crate::ingest::{FileReport, Ingest, IngestReport};
use crate::model::Source;
pub use crate::output::Output;
use crate::quality::{self, QualityReport};
use crate::rules::{self, Derived, Facts, Mode};
use crate::sink;
pub use crate::summary::{SkippedFile, Summary, TableSummaries, TableSummary};
use crate::tables::{TableId, TableView};

/// Options of a run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Which rule set.
    pub mode: Mode,
    /// Where the DDL points.
    pub ddl: DdlOptions,
    /// The most rows one derived table may have; `None`: [`default_max_rows`] of the landing rows.
    pub max_rows: Option<u64>,
}

/// The default row limit per derived table: 50 × the landing rows, at least 1 million and at
/// most 200 million. The rubric joins fan out (shared timestamps multiply rows), and so does
/// strict's machine-learning join where one owner has several distinct readings at one instant;
/// unbounded, they would fill memory and disk.
pub fn default_max_rows(landing_rows: u64) -> u64 {
    landing_rows.saturating_mul(50).clamp(1_000_000, 200_000_000)
}

/// The outcome of [`Lake::run`].
pub struct RunResult {
    /// The options it ran with.
    pub options: RunOptions,
    /// The five derived tables as landing row indices, and each table's rule counts.
    pub derived: Derived,
    /// What the strict rules found (for the data-quality report, in both modes).
    pub facts: Facts,
}

/// Landing files in, tables and reports out: the state of one pipeline (see the module comment).
/// New input after a run drops the run's results ([`Error::NotRun`] until the next run).
#[derive(Default)]
pub struct Lake {
    pub(crate) ingest: Ingest,
    result: Option<RunResult>,
    skipped: Vec<SkippedFile>,
}

impl Lake {
    /// An empty lake: no files, no results.
    pub fn new() -> Lake {
        Lake {
            ingest: Ingest::new(),
            result: None,
            skipped: Vec::new(),
        }
    }

    /// A lake over what an [`Ingest`] has read (e.g. several ingests appended together).
    pub fn from_ingest(ingest: Ingest) -> Lake {
        Lake {
            ingest,
            result: None,
            skipped: Vec::new(),
        }
    }

    /// Start reading file `name` (its path, used for routing and in reports), closing the open
    /// one; `source` forces its source instead of routing (see [`Ingest::open`]).
    pub fn open_file(&mut self, name: &str, source: Option<Source>) {
        self.result = None;
        self.ingest.open(name, source);
    }

    /// Record a path that the caller decided not to read (listed in `summary.json`).
    pub fn note_skipped(&mut self, name: &str, reason: &str) {
        self.skipped.push(SkippedFile {
            name: name.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// The next bytes of the open file (chunks of any size); ignored when no file is open.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.ingest.feed(chunk);
    }

    /// Finish the open file; its report, or `None` when no file was open.
    pub fn close_file(&mut self) -> Option<&FileReport> {
        self.ingest.close()
    }

    /// Read a whole file held in memory ([`Lake::open_file`], [`Lake::feed`], [`Lake::close_file`]).
    pub fn add_file(&mut self, name: &str, source: Option<Source>, bytes: &[u8]) -> &FileReport {
        self.result = None;
        self.ingest.add_file(name, source, bytes)
    }

    /// Everything read so far as bytes, for another lake's [`Lake::append_exported`] (a decode
    /// worker's share of the files). Closes the open file.
    pub fn export_ingest(&mut self) -> Vec<u8> {
        self.ingest.export()
    }

    /// Add a share decoded elsewhere, as if its files had been read next (call in file order).
    /// Errors: [`Error::Import`] when the bytes are not an export of this build (nothing is added).
    pub fn append_exported(&mut self, bytes: &[u8]) -> Result<()> {
        let other = Ingest::import(bytes)?;
        self.ingest.append(&other);
        self.result = None;
        Ok(())
    }

    /// How many landing chunks table `id` has for [`Lake::landing_chunk`]: with `full_only`, only
    /// those of [`crate::chunked::CHUNK_ROWS`] rows (final while files are still read: rows are
    /// only ever appended); else all, the last one possibly short. 0 for tables not in
    /// [`sink::landing_chunks::TABLES`].
    pub fn landing_chunk_count(&self, id: TableId, full_only: bool) -> usize {
        let l = &self.ingest.landing;
        if full_only {
            sink::landing_chunks::full_chunks(l, id)
        } else {
            sink::landing_chunks::chunk_count(l, id)
        }
    }

    /// Chunk `k` of landing table `id`, for a [`sink::landing_chunks::LandingWriter`] elsewhere.
    /// Errors: [`Error::Write`] when the table has no chunk `k`.
    pub fn landing_chunk(&self, id: TableId, k: usize) -> Result<Vec<u8>> {
        if k >= self.landing_chunk_count(id, false) {
            return Err(Error::Write(format!("{} has no landing chunk {k}", id.name())));
        }
        Ok(sink::landing_chunks::export_chunk(&self.ingest.landing, id, k))
    }

    /// Landing table `id`'s rows from chunk `from_chunk` on as a Parquet file of their own, for a
    /// [`sink::landing_chunks::LandingWriter`] sent chunks `0..from_chunk` to finish with
    /// ([`sink::landing_chunks::write_tail`]). Errors: [`Error::Write`] for another table, a
    /// chunk that does not start a row group, or one at or past the last chunk.
    pub fn landing_tail(&self, id: TableId, from_chunk: usize) -> Result<Vec<u8>> {
        sink::landing_chunks::write_tail(&self.ingest.landing, id, from_chunk).map_err(|e| Error::Write(e.to_string()))
    }

    /// The interned emails from id `emails_from` on and serial numbers from `serials_from` on,
    /// for [`sink::landing_chunks::LandingWriter::add_strings`]; [`Lake::landing_string_counts`]
    /// says how many there are.
    pub fn landing_strings(&self, emails_from: usize, serials_from: usize) -> Vec<u8> {
        sink::landing_chunks::strings(&self.ingest.landing, emails_from, serials_from)
    }

    /// (emails, serial numbers) interned so far.
    pub fn landing_string_counts(&self) -> (usize, usize) {
        (self.ingest.landing.emails.len(), self.ingest.landing.serials.len())
    }

    /// The account of everything read so far (files, per-source counts, quarantine).
    pub fn ingest_report(&self) -> &IngestReport {
        &self.ingest.report
    }

    /// Apply the zone rules to everything ingested so far. Errors: [`Error::TooManyRows`] when a
    /// derived table would exceed `options.max_rows` (then there are no results).
    pub fn run(&mut self, options: RunOptions) -> Result<&RunResult> {
        let max_rows = self.start_run(&options);
        let ruled = rules::run(&self.ingest.landing, options.mode, max_rows);
        self.finish_run(options, ruled)
    }

    /// [`Lake::run`], with `beside` running on another thread meanwhile and, when the rules
    /// succeed, `after` on this one once they are done; both are given the landing tables (which
    /// need no rule: they can be written while the rules run). Returns the run's outcome, what
    /// `beside` returned and what `after` returned (`None` when the rules failed). Native only
    /// in practice: it starts a thread.
    pub fn run_beside<R: Send, S>(
        &mut self,
        options: RunOptions,
        beside: impl FnOnce(LandingTables<'_>) -> R + Send,
        after: impl FnOnce(LandingTables<'_>) -> S,
    ) -> (Result<&RunResult>, R, Option<S>) {
        let max_rows = self.start_run(&options);
        let l = &self.ingest.landing;
        let (ruled, side, then) = std::thread::scope(|s| {
            let side = s.spawn(|| beside(LandingTables { landing: l }));
            let ruled = rules::run(l, options.mode, max_rows);
            let then = ruled.is_ok().then(|| after(LandingTables { landing: l }));
            (ruled, side.join().expect("the thread beside the rules panicked"), then)
        });
        (self.finish_run(options, ruled), side, then)
    }

    /// Close the open file, drop the last results; the row limit of the run.
    fn start_run(&mut self, options: &RunOptions) -> u64 {
        self.ingest.close();
        self.result = None;
        let l = &self.ingest.landing;
        let landing_rows = Source::ALL.iter().map(|&s| l.rows(s) as u64).sum();
        options.max_rows.unwrap_or_else(|| default_max_rows(landing_rows))
    }

    /// Keep the rules' outcome as the run's results.
    fn finish_run(
        &mut self,
        options: RunOptions,
        ruled: std::result::Result<(Derived, Facts), rules::RowLimit>,
    ) -> Result<&RunResult> {
        let (derived, facts) = ruled.map_err(Error::TooManyRows)?;
        Ok(self.result.insert(RunResult {
            options,
            derived,
            facts,
        }))
    }

    pub(crate) fn done(&self) -> Result<&RunResult> {
        self.result.as_ref().ok_or(Error::NotRun)
    }

    /// One table of the last run. Errors: [`Error::NotRun`].
    pub fn table(&self, id: TableId) -> Result<TableView<'_>> {
        let r = self.done()?;
        Ok(TableView::new(id, r.options.mode, &self.ingest.landing, &r.derived))
    }

    /// Rows of table `id` (without building its view: no device ids computed). Errors:
    /// [`Error::NotRun`].
    pub fn row_count(&self, id: TableId) -> Result<u64> {
        let r = self.done()?;
        Ok(crate::tables::Rows::of(id, &self.ingest.landing, &r.derived).len() as u64)
    }

    /// `summary.json` of the last run, with the `covered` and `accounted` checks computed now.
    /// Errors: [`Error::NotRun`].
    pub fn summary(&self) -> Result<Summary<'_>> {
        Ok(crate::summary::build(&self.ingest, self.done()?, &self.skipped))
    }

    /// `data_quality.json` of the last run ([`quality::report`]). Errors: [`Error::NotRun`].
    pub fn quality(&self) -> Result<QualityReport> {
        let r = self.done()?;
        Ok(quality::report(&self.ingest.landing, &self.ingest.report, &r.facts))
    }

    /// Write one output to `out`. Errors: [`Error::NotRun`], [`Error::Write`] (the sink or `out` failed).
    pub fn write_output<W: Write + Send>(&self, output: Output, out: W) -> Result<()> {
        match output {
            Output::Parquet(t) => sink::parquet::write(&self.table(t)?, out).map_err(|e| Error::Write(e.to_string())),
            text => self.write_text_output(text, out),
        }
    }

    /// [`Lake::write_output`] for the outputs that are text (every one but Parquet), into any
    /// writer (`Send` or not: the wasm bindings hand the pieces to a JS function as they fill).
    /// Errors: as [`Lake::write_output`]; [`Error::Write`] for a Parquet output.
    pub fn write_text_output<W: Write>(&self, output: Output, mut out: W) -> Result<()> {
        let r = self.done()?;
        let werr = |e: &dyn fmt::Display| Error::Write(e.to_string());
        match output {
            Output::Parquet(t) => Err(Error::Write(format!("{} as Parquet is not text", t.name()))),
            Output::Ndjson(t) => sink::ndjson::write(&self.table(t)?, out).map_err(|e| werr(&e)),
            Output::Ddl(t) => out
                .write_all(ddl::create_table(t, r.options.mode, &r.options.ddl).as_bytes())
                .map_err(|e| werr(&e)),
            Output::DdlAll => out
                .write_all(ddl::all(r.options.mode, &r.options.ddl).as_bytes())
                .map_err(|e| werr(&e)),
            Output::Summary => write_json(&self.summary()?, out),
            Output::Quality => write_json(&self.quality()?, out),
            Output::Marker => {
                let outputs: Vec<String> = Output::all().into_iter().map(Output::path).collect();
                let marker = serde_json::json!({
                    "written_by": "stedi-lake",
                    "version": env!("CARGO_PKG_VERSION"),
                    "mode": r.options.mode.name(),
                    "outputs": outputs,
                    "note": "This folder is a stedi-lake output: stedi-lake never reads it as landing data, and `run --overwrite` may replace it whole.",
                });
                write_json(&marker, out)
            }
            Output::Quarantine => {
                for q in &self.ingest.report.quarantine {
                    serde_json::to_writer(&mut out, q).map_err(|e| werr(&e))?;
                    out.write_all(b"\n").map_err(|e| werr(&e))?;
                }
                Ok(())
            }
        }
    }

    /// One output as bytes, by its path ([`Output::path`]). Errors: [`Error::UnknownOutput`],
    /// [`Error::NotRun`], [`Error::Write`].
    pub fn output(&self, path: &str) -> Result<Vec<u8>> {
        let o = Output::parse(path).ok_or_else(|| Error::UnknownOutput(path.to_owned()))?;
        let mut v = Vec::new();
        self.write_output(o, &mut v)?;
        Ok(v)
    }
}

/// The landing tables of a lake, which need no rule: [`Lake::run_beside`] writes them while the
/// rules run. Their files are the ones [`Lake::write_output`] writes after the run.
pub struct LandingTables<'a> {
    landing: &'a crate::model::Landing,
}

impl LandingTables<'_> {
    /// Rows of landing table `id` (0 for a derived table).
    pub fn rows(&self, id: TableId) -> usize {
        crate::tables::Rows::landing(id, self.landing).map_or(0, |r| r.len())
    }

    /// Write landing table `id` as Parquet to `out`. Errors: [`Error::Write`] (a derived table,
    /// or the sink or `out` failed).
    pub fn write_parquet<W: Write + Send>(&self, id: TableId, out: W) -> Result<()> {
        let view = TableView::landing(id, self.landing)
            .ok_or_else(|| Error::Write(format!("{} is not a landing table", id.name())))?;
        sink::parquet::write(&view, out).map_err(|e| Error::Write(e.to_string()))
    }
}

fn write_json<T: Serialize, W: Write>(v: &T, mut out: W) -> Result<()> {
    serde_json::to_writer_pretty(&mut out, v).map_err(|e| Error::Write(e.to_string()))?;
    out.write_all(b"\n").map_err(|e| Error::Write(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `summary.tables` keeps pipeline order in JSON, and each table's main input is the one its
    /// rule flow (computed by the rules, not by `TableId::inputs`) says it read.
    #[test]
    fn summary_tables_in_pipeline_order_with_their_inputs() {
        let mut lake = Lake::new();
        lake.add_file(
            "customer/c.json",
            None,
            br#"{"customerName":"A","email":"a@x.test","phone":"1","birthDay":"1990-01-01","serialNumber":"S1","registrationDate":1,"lastUpdateDate":1,"shareWithResearchAsOfDate":1,"shareWithPublicAsOfDate":1,"shareWithFriendsAsOfDate":1}"#,
        );
        for mode in [Mode::Strict, Mode::Rubric] {
            lake.run(RunOptions {
                mode,
                ..Default::default()
            })
            .unwrap();
            let summary = lake.summary().unwrap();
            let json: serde_json::Value = serde_json::from_str(&serde_json::to_string(&summary).unwrap()).unwrap();
            let text = serde_json::to_string(&summary.tables).unwrap(); // as written, not re-parsed (a Value sorts keys)
            let positions: Vec<usize> = TableId::ALL
                .iter()
                .map(|t| text.find(&format!("\"{}\":", t.name())).unwrap())
                .collect();
            assert!(positions.windows(2).all(|w| w[0] < w[1]), "{text}");
            for flow in summary.rules {
                assert_eq!(
                    json["tables"][flow.table.name()]["from"][0],
                    flow.from.name(),
                    "{mode:?} {:?}",
                    flow.table
                );
            }
            assert_eq!(json["tables"]["customer_landing"]["from"], serde_json::json!([]));
            assert_eq!(
                json["tables"]["machine_learning_curated"]["from"],
                serde_json::json!(["step_trainer_trusted", "accelerometer_trusted"])
            );
        }
    }
}

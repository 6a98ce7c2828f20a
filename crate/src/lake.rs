//! The lake: the one entry point the CLI and the wasm bindings share.
//!
//! Files go in through [`Lake::open_file`]/[`Lake::feed`]/[`Lake::close_file`] (or
//! [`Lake::add_file`]); [`Lake::run`] applies the zone rules; every output (Parquet, NDJSON, DDL,
//! `summary.json`, the data-quality report, the quarantine list) is then produced on demand by
//! path with [`Lake::write_output`], so nothing is encoded before somebody asks for it.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;

use serde::Serialize;

use crate::ddl::{self, DdlOptions};
use crate::ingest::{FileReport, Ingest, IngestReport, SourceCounts};
use crate::model::Source;
use crate::quality::{self, QualityReport};
use crate::sink;
use crate::tables::{TableId, TableView, Zone};
use crate::zones::{self, Derived, Facts, Flow, Mode};

/// Everything that can go wrong in a lake call; its `Display` is the message shown to users (CLI
/// and JS alike).
#[derive(Debug)]
pub enum Error {
    NotRun,
    UnknownOutput(String),
    UnknownTable(String),
    Write(String),
    /// A derived table would exceed the row limit (nothing was built).
    TooManyRows(crate::zones::rubric::RowLimit),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotRun => write!(f, "no results yet: run the pipeline first"),
            Error::UnknownOutput(p) => write!(f, "no output named '{p}' (see the list of outputs)"),
            Error::UnknownTable(t) => write!(f, "no table named '{t}'"),
            Error::Write(e) => write!(f, "could not write output: {e}"),
            Error::TooManyRows(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

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
/// most 200 million. The rubric joins fan out (shared timestamps multiply rows) and would
/// otherwise fill memory and disk; strict tables never exceed their inputs.
pub fn default_max_rows(landing_rows: u64) -> u64 {
    landing_rows.saturating_mul(50).clamp(1_000_000, 200_000_000)
}

/// The outcome of [`Lake::run`].
pub struct RunResult {
    pub options: RunOptions,
    pub derived: Derived,
    pub facts: Facts,
}

/// One output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Parquet(TableId),
    Ndjson(TableId),
    Ddl(TableId),
    DdlAll,
    Summary,
    Quality,
    Quarantine,
    /// `_stedi-lake.json`: marks a folder as a stedi-lake output (see `ingest::select`).
    Marker,
}

impl Output {
    /// Every output, in a stable order.
    pub fn all() -> Vec<Output> {
        let mut v = Vec::new();
        v.extend(TableId::ALL.map(Output::Parquet));
        v.extend(TableId::ALL.map(Output::Ndjson));
        v.extend(TableId::ALL.map(Output::Ddl));
        v.extend([
            Output::DdlAll,
            Output::Summary,
            Output::Quality,
            Output::Quarantine,
            Output::Marker,
        ]);
        v
    }

    /// The folder of a table's files: `<zone>/<table>`, except that the engine's typed copies of
    /// the landing tables go to `typed_landing/<table>`: never below a folder named `landing`,
    /// where the landing rule (`ingest::select`) looks for landing data.
    pub fn table_folder(t: TableId) -> String {
        match t.zone() {
            Zone::Landing => format!("typed_landing/{}", t.name()),
            zone => format!("{}/{}", zone.name(), t.name()),
        }
    }

    /// The output's path in the Hive layout.
    pub fn path(self) -> String {
        match self {
            Output::Parquet(t) => format!("{}/part-00000.parquet", Output::table_folder(t)),
            Output::Ndjson(t) => format!("ndjson/{}/part-00000.json", Output::table_folder(t)),
            Output::Ddl(t) => format!("ddl/{}.sql", t.name()),
            Output::DdlAll => "ddl/all_tables.sql".into(),
            Output::Summary => "summary.json".into(),
            Output::Quality => "data_quality.json".into(),
            Output::Quarantine => "quarantine.ndjson".into(),
            Output::Marker => crate::ingest::select::OUTPUT_MARKER.into(),
        }
    }

    pub fn parse(path: &str) -> Option<Output> {
        Output::all().into_iter().find(|o| o.path() == path)
    }

    /// The MIME type to serve or upload it with.
    pub fn content_type(self) -> &'static str {
        match self {
            Output::Parquet(_) => "application/vnd.apache.parquet",
            Output::Ndjson(_) | Output::Quarantine => "application/x-ndjson",
            Output::Ddl(_) | Output::DdlAll => "application/sql",
            Output::Summary | Output::Quality | Output::Marker => "application/json",
        }
    }
}

/// `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub mode: Mode,
    /// Every table, keyed by name, in pipeline order (landing, trusted, curated).
    pub tables: TableSummaries,
    /// Per source: files, bytes, records read = kept + quarantined (by reason).
    pub sources: &'a BTreeMap<Source, SourceCounts>,
    /// Records of files that matched no source.
    pub unrouted: &'a SourceCounts,
    /// Per derived table: rows in, what each rule removed or a join added, rows out.
    pub rules: &'a [Flow],
    /// `true` when every byte of every file is in a kept record, a quarantined record or framing
    /// (`files[].coverage`; see `docs/reliability.md`).
    pub covered: bool,
    /// `true` when every file is covered and every source and every rule balances (see
    /// `docs/semantics.md`).
    pub accounted: bool,
    pub files: &'a [FileReport],
    /// Paths under the inputs that were not read, and why.
    pub skipped: &'a [SkippedFile],
}

/// One table in `summary.json`.
#[derive(Debug, Serialize)]
pub struct TableSummary {
    /// `landing`, `trusted` or `curated`.
    pub zone: Zone,
    /// The tables it is derived from, main input first (`TableId::inputs`).
    pub from: &'static [TableId],
    pub rows: u64,
    pub columns: Vec<&'static str>,
    /// Its output paths (Hive layout): `parquet`, `ndjson`, `ddl`.
    pub paths: BTreeMap<&'static str, String>,
}

/// `summary.tables`: one entry per table in `TableId::ALL` (pipeline) order, serialized as a JSON
/// object keyed by table name (keys in that order).
#[derive(Debug)]
pub struct TableSummaries(Vec<(TableId, TableSummary)>);

impl TableSummaries {
    /// The entry of one table.
    pub fn get(&self, id: TableId) -> &TableSummary {
        &self
            .0
            .iter()
            .find(|(t, _)| *t == id)
            .expect("every table has an entry")
            .1
    }

    /// `(table name, entry)` in pipeline order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &TableSummary)> {
        self.0.iter().map(|(id, t)| (id.name(), t))
    }
}

impl Serialize for TableSummaries {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(id, t)| (id.name(), t)))
    }
}

/// A path under the inputs that was not read, and why (see `ingest::select`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SkippedFile {
    /// The path as shown to the user (relative to the input's parent).
    pub name: String,
    /// Why it was not read.
    pub reason: String,
}

#[derive(Default)]
pub struct Lake {
    ingest: Ingest,
    result: Option<RunResult>,
    skipped: Vec<SkippedFile>,
}

impl Lake {
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

    pub fn feed(&mut self, chunk: &[u8]) {
        self.ingest.feed(chunk);
    }

    pub fn close_file(&mut self) -> Option<&FileReport> {
        self.ingest.close()
    }

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
    pub fn append_exported(&mut self, bytes: &[u8]) -> Result<(), String> {
        let other = Ingest::import(bytes)?;
        self.ingest.append(&other);
        self.result = None;
        Ok(())
    }

    pub fn ingest_report(&self) -> &IngestReport {
        &self.ingest.report
    }

    /// Apply the zone rules to everything ingested so far. Errors: [`Error::TooManyRows`] when a
    /// derived table would exceed `options.max_rows` (then there are no results).
    pub fn run(&mut self, options: RunOptions) -> Result<&RunResult, Error> {
        self.ingest.close();
        self.result = None;
        let l = &self.ingest.landing;
        let landing_rows = Source::ALL.iter().map(|&s| l.rows(s) as u64).sum();
        let max_rows = options.max_rows.unwrap_or_else(|| default_max_rows(landing_rows));
        let (derived, facts) = zones::run(l, options.mode, max_rows).map_err(Error::TooManyRows)?;
        Ok(self.result.insert(RunResult {
            options,
            derived,
            facts,
        }))
    }

    fn done(&self) -> Result<&RunResult, Error> {
        self.result.as_ref().ok_or(Error::NotRun)
    }

    pub fn table(&self, id: TableId) -> Result<TableView<'_>, Error> {
        let r = self.done()?;
        Ok(TableView::new(id, r.options.mode, &self.ingest.landing, &r.derived))
    }

    pub fn summary(&self) -> Result<Summary<'_>, Error> {
        let r = self.done()?;
        let mut tables = TableSummaries(Vec::with_capacity(TableId::ALL.len()));
        for id in TableId::ALL {
            let view = self.table(id)?;
            tables.0.push((
                id,
                TableSummary {
                    zone: id.zone(),
                    from: id.inputs(),
                    rows: view.rows.len() as u64,
                    columns: view.columns().iter().map(|c| c.name).collect(),
                    paths: BTreeMap::from([
                        ("parquet", Output::Parquet(id).path()),
                        ("ndjson", Output::Ndjson(id).path()),
                        ("ddl", Output::Ddl(id).path()),
                    ]),
                },
            ));
        }
        let rep = &self.ingest.report;
        let sources_balance = rep.sources.values().chain([&rep.unrouted]).all(|c| {
            c.records_read == c.kept + c.quarantined_total && c.quarantined_total == c.quarantined.values().sum::<u64>()
        });
        let landing_matches = Source::ALL
            .iter()
            .all(|&s| rep.sources[&s].kept == self.ingest.landing.rows(s) as u64);
        let covered = rep.files.iter().all(|f| f.coverage.balances())
            && rep
                .sources
                .values()
                .chain([&rep.unrouted])
                .all(|c| c.coverage.balances());
        let accounted = covered && sources_balance && landing_matches && r.derived.flows.iter().all(Flow::balances);
        Ok(Summary {
            mode: r.options.mode,
            tables,
            sources: &rep.sources,
            unrouted: &rep.unrouted,
            rules: &r.derived.flows,
            covered,
            accounted,
            files: &rep.files,
            skipped: &self.skipped,
        })
    }

    pub fn quality(&self) -> Result<QualityReport, Error> {
        let r = self.done()?;
        Ok(quality::report(&self.ingest.landing, &self.ingest.report, &r.facts))
    }

    /// Write one output to `out`.
    pub fn write_output<W: Write + Send>(&self, output: Output, mut out: W) -> Result<(), Error> {
        let r = self.done()?;
        let werr = |e: &dyn fmt::Display| Error::Write(e.to_string());
        match output {
            Output::Parquet(t) => sink::parquet::write(&self.table(t)?, out).map_err(|e| werr(&e)),
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

    /// One output as bytes, by path.
    pub fn output(&self, path: &str) -> Result<Vec<u8>, Error> {
        let o = Output::parse(path).ok_or_else(|| Error::UnknownOutput(path.to_owned()))?;
        let mut v = Vec::new();
        self.write_output(o, &mut v)?;
        Ok(v)
    }

    /// Rows `offset..offset+limit` of a table as a JSON array of objects (for previews).
    pub fn rows_json(&self, table: &str, offset: usize, limit: usize) -> Result<String, Error> {
        let id = TableId::parse(table).ok_or_else(|| Error::UnknownTable(table.to_owned()))?;
        let view = self.table(id)?;
        let cols = view.columns();
        let end = (offset + limit).min(view.rows.len());
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = (offset.min(end)..end)
            .map(|k| {
                cols.iter()
                    .enumerate()
                    .map(|(c, col)| {
                        let v = match view.value(k, c) {
                            crate::tables::Value::Null => serde_json::Value::Null,
                            crate::tables::Value::Str(s) => s.into(),
                            crate::tables::Value::I64(i) => i.into(),
                            crate::tables::Value::F64(f) => f.into(),
                        };
                        (col.name.to_owned(), v)
                    })
                    .collect()
            })
            .collect();
        Ok(serde_json::to_string(&rows).expect("rows serialize"))
    }
}

/// One accelerometer reading in a chart: timestamp (epoch ms), x, y, z.
pub type AccelerometerPoint = (i64, Option<f64>, Option<f64>, Option<f64>);

/// One customer's trusted readings over time (for the page's chart).
#[derive(Debug, Serialize, Default)]
pub struct CustomerSeries {
    pub email: String,
    /// Accelerometer: timestamp, x, y, z (sorted by time).
    pub accelerometer: Vec<AccelerometerPoint>,
    /// Step trainer: sensorReadingTime, distanceFromObject (sorted by time).
    pub step_trainer: Vec<(i64, Option<i64>)>,
}

impl Lake {
    /// Emails of `customers_curated` without repeats, those with the most trusted readings first.
    pub fn curated_emails(&self) -> Result<Vec<&str>, Error> {
        let r = self.done()?;
        let l = &self.ingest.landing;
        let mut readings = vec![0u32; l.emails.len()];
        for &i in &r.derived.accelerometer_trusted {
            readings[l.accelerometer.user[i as usize] as usize] += 1;
        }
        let mut seen = rustc_hash::FxHashSet::default();
        let mut emails: Vec<u32> = r
            .derived
            .customers_curated
            .iter()
            .map(|&i| l.customers[i as usize].email)
            .filter(|e| seen.insert(*e))
            .collect();
        emails.sort_by_key(|&e| std::cmp::Reverse(readings[e as usize])); // stable: ties keep table order
        Ok(emails.into_iter().map(|e| l.emails.get(e)).collect())
    }

    /// The trusted accelerometer and step-trainer readings of one customer. Step readings are the
    /// owner's (strict) or those of the customer's serial number (rubric).
    pub fn customer_series(&self, email: &str) -> Result<CustomerSeries, Error> {
        let r = self.done()?;
        let l = &self.ingest.landing;
        let Some(id) = l.emails.lookup(email) else {
            return Ok(CustomerSeries {
                email: email.into(),
                ..Default::default()
            });
        };
        let a = &l.accelerometer;
        let mut rows: Vec<u32> = r
            .derived
            .accelerometer_trusted
            .iter()
            .copied()
            .filter(|&i| a.user[i as usize] == id)
            .collect();
        rows.dedup(); // rubric repeats a reading once per matching customer row, consecutively
        let mut accelerometer: Vec<_> = rows
            .iter()
            .map(|&i| {
                (
                    a.timestamp[i as usize],
                    a.x[i as usize],
                    a.y[i as usize],
                    a.z[i as usize],
                )
            })
            .collect();
        accelerometer.sort_by_key(|p| p.0);
        let s = &l.step_trainer;
        let serials: Vec<u32> = l
            .customers
            .iter()
            .filter(|c| c.email == id)
            .filter_map(|c| c.serial_number)
            .collect();
        let st = &r.derived.step_trainer_trusted;
        let mut step_trainer: Vec<_> = st
            .iter()
            .enumerate()
            .filter(|&(k, &i)| match r.derived.step_owner.get(k) {
                Some(&owner) => owner == id,
                None => serials.contains(&s.serial_number[i as usize]),
            })
            .map(|(_, &i)| (s.sensor_reading_time[i as usize], s.distance_from_object[i as usize]))
            .collect();
        step_trainer.sort_by_key(|p| p.0);
        Ok(CustomerSeries {
            email: email.into(),
            accelerometer,
            step_trainer,
        })
    }
}

fn write_json<T: Serialize, W: Write>(v: &T, mut out: W) -> Result<(), Error> {
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

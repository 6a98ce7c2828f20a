//! `summary.json`: what a run read and made, and whether every byte and every record is accounted
//! for. Built from the ingest report and the rules' flows; the CLI prints it, the page renders it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::catalog::{TableId, Zone};
use crate::ingest::{FileReport, Ingest, SourceCounts};
use crate::lake::RunResult;
use crate::model::Source;
use crate::output::Output;
use crate::rules::{Flow, Mode};
use crate::tables::Rows;

/// `summary.json`.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    /// The rule set that ran.
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
    /// Every file read, in read order.
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
    /// Rows in the table.
    pub rows: u64,
    /// Column names, in output order (only the ML table's differ between modes).
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

/// `summary.json` of a run over `ingest`: tables, per-source accounting, rule flows, coverage and
/// the `covered`/`accounted` verdicts (`docs/reliability.md`).
pub(crate) fn build<'a>(ingest: &'a Ingest, run: &'a RunResult, skipped: &'a [SkippedFile]) -> Summary<'a> {
    let mut tables = TableSummaries(Vec::with_capacity(TableId::ALL.len()));
    for id in TableId::ALL {
        let rows = Rows::of(id, &ingest.landing, &run.derived);
        tables.0.push((
            id,
            TableSummary {
                zone: id.zone(),
                from: id.inputs(),
                rows: rows.len() as u64,
                columns: id.columns(run.options.mode).iter().map(|c| c.name).collect(),
                paths: BTreeMap::from([
                    ("parquet", Output::Parquet(id).path()),
                    ("ndjson", Output::Ndjson(id).path()),
                    ("ddl", Output::Ddl(id).path()),
                ]),
            },
        ));
    }
    let rep = &ingest.report;
    let sources_balance = rep.sources.values().chain([&rep.unrouted]).all(|c| {
        c.records_read == c.kept + c.quarantined_total && c.quarantined_total == c.quarantined.values().sum::<u64>()
    });
    let landing_matches = Source::ALL
        .iter()
        .all(|&s| rep.sources[&s].kept == ingest.landing.rows(s) as u64);
    let covered = rep.files.iter().all(|f| f.coverage.balances())
        && rep
            .sources
            .values()
            .chain([&rep.unrouted])
            .all(|c| c.coverage.balances());
    let accounted = covered && sources_balance && landing_matches && run.derived.flows.iter().all(Flow::balances);
    Summary {
        mode: run.options.mode,
        tables,
        sources: &rep.sources,
        unrouted: &rep.unrouted,
        rules: &run.derived.flows,
        covered,
        accounted,
        files: &rep.files,
        skipped,
    }
}

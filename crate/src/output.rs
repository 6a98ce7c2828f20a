//! The output catalogue: every file a run produces, its path in the Hive layout and its MIME type.
//! The one place output paths are made; the CLI, the page, presign and the marker read them here.
//! Writing an output is the facade's job (`Lake::write_output`).

use crate::catalog::{TableId, Zone};

/// One output file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A table as Snappy Parquet: `<table folder>/part-00000.parquet`.
    Parquet(TableId),
    /// A table as NDJSON: `ndjson/<table folder>/part-00000.json`.
    Ndjson(TableId),
    /// A table's Glue/Athena `CREATE EXTERNAL TABLE`: `ddl/<table>.sql`.
    Ddl(TableId),
    /// Every table's DDL in one file: `ddl/all_tables.sql`.
    DdlAll,
    /// `summary.json` (`crate::summary::Summary`).
    Summary,
    /// `data_quality.json` (`crate::quality::QualityReport`).
    Quality,
    /// `quarantine.ndjson`: the listed quarantined records, one JSON object per line.
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

    /// The output whose [`Output::path`] is exactly `path`; `None` for any other path.
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

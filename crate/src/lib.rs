//! stedi-lake: the STEDI landing → trusted → curated lakehouse, as a pure-Rust core that runs
//! natively (the `stedi-lake` CLI) and in the browser (the `wasm` bindings module).
//!
//! Data flow, one module each (`catalog` and `model` are the vocabulary below them all: the
//! eight tables with their zones and lineage; the landing columns):
//! `ingest` (chunks → records → typed landing tables in `model`, bad records quarantined)
//! → `zones` (strict or rubric rules → derived tables as row indices)
//! → `tables` (columns and rows) → `sink` (Parquet / NDJSON), `ddl`, `quality`
//! → `lake` (the facade: files in, outputs out by path; with `output`, `summary`, `explore`, `error`).
//! S3: `manifest` (the presigned transfer plan, shared by CLI and page). The CLI binary
//! (`crate/src/bin/stedi-lake/`) holds the native-only parts: `presign` and `aws_env` build the manifest
//! with credentials, `generate` makes test data.

#![warn(missing_docs)]

pub mod catalog;
pub mod ddl;
pub mod error;
pub mod explore;
pub mod ingest;
pub mod lake;
pub mod manifest;
pub mod model;
pub mod output;
pub mod quality;
pub mod sink;
pub mod summary;
pub mod tables;
pub mod zones;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use lake::{Lake, RunOptions};
pub use model::Source;
pub use output::Output;
pub use zones::Mode;

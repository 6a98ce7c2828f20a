//! stedi-lake: the STEDI landing → trusted → curated lakehouse, as a pure-Rust core that runs
//! natively (the `stedi-lake` CLI) and in the browser (the `wasm` bindings module).
//!
//! Data flow, one module each (`catalog` and `model` are the vocabulary below them all: the
//! eight tables with their zones and lineage; the landing columns):
//! `ingest` (chunks → records → typed landing tables in `model`, bad records quarantined)
//! → `rules` (strict or rubric rule sets → derived tables as row indices)
//! → `tables` (columns and rows) → `sink` (Parquet / NDJSON), `ddl`, `quality`
//! → `lake` (the facade: files in, outputs out by path; with `output`, `summary`, `explore`, `error`).
//! S3: `manifest` (the presigned transfer plan, shared by CLI and page). The CLI binary
//! (`crate/src/bin/stedi-lake/`) holds the native-only parts: `presign` and `aws_env` build the manifest
//! with credentials, `generate` makes test data.

//!
//! # Where things go
//! - **A quarantine reason**: a variant of `ingest::Reason` (`record.rs`: `as_str`, `ALL`), raised
//!   where the record is judged (`record.rs` or `split.rs`); the TypeScript union `Reason` in
//!   `wasm.rs`; the reasons table of `docs/semantics.md`; an adversarial case
//!   (`fixtures/adversarial/make.py`) with its expected handling.
//! - **A rule**: one function in `rules/strict.rs` (or `rubric.rs`) with its unit test beside it,
//!   called from that file's `run` in rule order, its effect counted in the table's `Flow`
//!   (`removed`/`joined`); the same rule in `docs/sql/<mode>.sql` and `docs/semantics.md` (the
//!   DuckDB cross-check runs the SQL against the engine).
//! - **A table**: a `catalog::TableId` variant (name, zone, inputs); its columns in `tables.rs`;
//!   its rows in `rules::Derived` and each rule set; its DDL in `ddl.rs`; the `TableName` union in
//!   `wasm.rs`. Outputs, `summary.json`, presign's uploads and the page follow from
//!   `TableId::ALL`; regenerate the golden digests on purpose.
//! - **An output**: an `output::Output` variant (path, MIME type) and its bytes in
//!   `Lake::write_output`; the marker, the CLI, the page's downloads and presign list
//!   `Output::all()`.
//! - **A page message**: `web/engine/protocol.js` (name and payload type), its handler in
//!   `web/engine/worker.js`, the call from the `web/ui/` module that needs it; a binding here in
//!   `wasm.rs` if the core must answer it.

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
pub mod rules;
pub mod sink;
pub mod summary;
pub mod tables;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use error::{Error, Result};
pub use lake::{Lake, RunOptions};
pub use model::Source;
pub use output::Output;
pub use rules::Mode;

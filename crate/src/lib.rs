//! stedi-lake: the STEDI landing → trusted → curated lakehouse, as a pure-Rust core that runs
//! natively (the `stedi-lake` CLI) and in the browser (the `wasm` bindings module).
//!
//! Data flow, one module each (`catalog` and `model` are the vocabulary below them all: the
//! eight tables with their zones and lineage; the landing columns, stored in fixed-size chunks by
//! `chunked`, and compactly by `float_column` (x, y, z as one-byte codes), `int_column` (the
//! distance in 8 bytes) and `epoch_column` (reading times as 4-byte offsets)):
//! `ingest` (chunks → records → typed landing tables in `model`, bad records quarantined)
//! → `rules` (strict or rubric rule sets → derived tables as row indices)
//! → `tables` (columns and rows) → `sink` (Parquet / NDJSON), `ddl`, `quality`
//! → `lake` (the facade: files in, outputs out by path; with `output`, `summary`, `explore`, `error`).
//! S3: `manifest` (the presigned transfer plan, shared by CLI and page). The CLI binary
//! (`crate/src/bin/stedi-lake/`) holds the native-only commands: `presign` and `aws_env` build the manifest
//! with credentials, `generate` makes test data. `local` (native only) reads landing files from a
//! folder and writes outputs into one: the CLI's `run` and the Python package (`python/`) share it.

//!
//! # Where things go
//! - **A quarantine reason**: a variant of `ingest::Reason` (`record.rs`: `as_str`, `ALL`),
//!   raised where the record is judged: `record.rs` for a record's content, `ingest/mod.rs` for
//!   what the splitter, the sniffer or the router decide (a new splitter outcome is a
//!   `split::Piece` variant mapped there); the TypeScript union `Reason` in `wasm.rs` and the
//!   match in `crate/tests/vocabulary.rs` (both checked); the reasons tables of
//!   `docs/semantics.md` and `docs/reliability.md`; an adversarial case in
//!   `fixtures/adversarial/make.py` (regenerate `cases.json` and its table in
//!   `docs/reliability.md` with `make.py --doc-table`).
//! - **A rule**: one function in `rules/strict.rs` (`rubric.rs` is the reference jobs as one
//!   numbered function) with its unit test beside it, called from that file's `run` in rule
//!   order, its effect counted in the table's `Flow` (`removed`/`joined`); the same rule in
//!   `docs/sql/<mode>.sql` and `docs/semantics.md` (the DuckDB cross-check runs the SQL against
//!   the engine) and in `docs/sql/spark/<mode>.sql` (the Glue job's rules, embedded by `glue`;
//!   `tests/test_glue_job.py` runs them against the engine).
//! - **A table**: a `catalog::TableId` variant (name, zone, inputs); its columns and `Kind` in
//!   `tables.rs` (`TableView::new` says where its rows are); a field in `rules::Derived` and a
//!   `Flow` in both rule sets (the page draws the lineage from the flows); the `TableName` union
//!   and `TableRow` in `wasm.rs`; `docs/sql/*.sql` and `TABLES` in `tests/conftest.py` (the
//!   DuckDB cross-check covers the tables listed there). The DDL follows from the columns
//!   (`ddl.rs` special-cases only landing tables); outputs, `summary.json`, presign's uploads and
//!   the page follow from `TableId::ALL`. Tests that count tables (`tests/test_cli_ddl.py`,
//!   `tests/ddl-page.test.mjs`, `tests/page.test.mjs`) change with it; regenerate the golden
//!   digests on purpose.
//! - **An output**: an `output::Output` variant (path, MIME type) and its bytes in
//!   `Lake::write_output`; the compiler then asks presign (`uploaded_outputs`) whether it is
//!   uploaded. The landing rule (`ingest::select`) skips it as engine output when its path has no
//!   folder or sits in a table, `ddl/` or `ndjson/` folder (tested over `Output::all()`); the
//!   marker, the CLI and the page's downloads list `Output::all()`.
//! - **A page message**: `web/engine/protocol.js` (name and payload type), its handler in
//!   `web/engine/worker.js`, the call from the `web/ui/` module that needs it; a binding here in
//!   `wasm.rs` if the core must answer it.

#![warn(missing_docs)]

pub mod catalog;
pub mod chunked;
pub mod ddl;
pub mod epoch_column;
pub mod error;
pub mod explore;
pub mod float_column;
pub mod glue;
pub mod ingest;
pub mod int_column;
pub mod lake;
#[cfg(not(target_arch = "wasm32"))]
pub mod local;
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
mod wasm_alloc;

/// In wasm, the standard library's allocator growing the memory in steps (`wasm_alloc.rs`).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: wasm_alloc::SteppedDlmalloc = wasm_alloc::SteppedDlmalloc::new();

pub use error::{Error, Result};
pub use lake::{Lake, RunOptions};
pub use model::Source;
pub use output::Output;
pub use rules::Mode;

//! Sinks: a [`TableView`](crate::tables::TableView) written to any `Write` as Snappy Parquet or
//! NDJSON, in batches, so a table is never encoded in memory whole.

pub mod ndjson;
pub mod parquet;

/// Rows gathered per batch (Arrow record batch / NDJSON buffer flush).
pub const BATCH_ROWS: usize = 64 * 1024;

//! Parquet sink: gathers a table's columns from the landing tables batch by batch into Arrow
//! arrays and writes them with the `parquet` crate's `ArrowWriter` (Snappy, one file per table),
//! every column order in the footer `TYPE_DEFINED_ORDER` so that older readers open the files
//! (see `type_defined_orders` and `docs/interop.md`).

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow_buffer::NullBuffer;
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{ColumnOrder, Compression};
use parquet::errors::ParquetError;
use parquet::file::metadata::KeyValue;
use parquet::file::metadata::ParquetMetaDataReader;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::BATCH_ROWS;
use crate::chunked::OptF64;
use crate::epoch_column::EpochSlice;
use crate::float_column::FloatSlice;
use crate::int_column::{self, IntSlice};
use crate::tables::{ColType, Column, Field, NumColumn, TableView, Value};

/// The Arrow schema of a table's columns.
pub fn arrow_schema(columns: &[Column]) -> SchemaRef {
    let fields: Vec<ArrowField> = columns
        .iter()
        .map(|c| {
            let ty = match c.ty {
                ColType::Str => DataType::Utf8,
                ColType::I64 => DataType::Int64,
                ColType::F64 => DataType::Float64,
            };
            ArrowField::new(c.name, ty, c.nullable)
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// Write `table` as one Snappy-compressed Parquet file: batches of [`BATCH_ROWS`] rows (one,
/// empty, for an empty table) through a [`TableWriter`].
pub fn write<W: Write + Send>(table: &TableView<'_>, out: W) -> Result<(), parquet::errors::ParquetError> {
    write_with(table, out, |_| Ok(())).map(drop)
}

/// [`write()`], calling `after_batch` with the output after every batch (row groups reach it as
/// they fill: the page hands them over and frees them); returns the output.
pub fn write_with<W: Write + Send>(
    table: &TableView<'_>,
    out: W,
    after_batch: impl FnMut(&mut W) -> Result<(), ParquetError>,
) -> Result<W, ParquetError> {
    write_rows(table, 0, out, after_batch)
}

/// The footer key of a file [`write_rows`] wrote from a row other than the first: that row's
/// number, which [`TableWriter::finish_joining`] checks against the rows it has.
pub const FIRST_ROW_KEY: &str = "stedi-lake.first_row";

/// Rows per row group: the `parquet` crate's default (16 batches), set explicitly because a table
/// written in two parts must cut its row groups where one writer of the whole table cuts them
/// ([`write_rows`] from a row-group boundary on, joined by [`TableWriter::finish_joining`]).
pub const ROW_GROUP_ROWS: usize = 16 * BATCH_ROWS;

/// Rows `start..` of `table` as a Parquet file of their own, as [`write_with`] writes the whole
/// table (`start` 0) and for `start` on a row-group boundary ([`ROW_GROUP_ROWS`]): its row groups
/// are, byte for byte, those the whole table's file holds from row `start` on, because the
/// encodings are still chosen from the table's first batch. The page encodes the last row groups
/// of `accelerometer_landing` this way beside the landing writer worker, which joins them to its
/// own ([`TableWriter::finish_joining`]). Errors: a `start` at or past the last row or not on a
/// row-group boundary, or what the writer returns.
pub fn write_rows<W: Write + Send>(
    table: &TableView<'_>,
    start: usize,
    out: W,
    mut after_batch: impl FnMut(&mut W) -> Result<(), ParquetError>,
) -> Result<W, ParquetError> {
    let schema = arrow_schema(table.columns());
    let n = table.rows.len();
    if start != 0 && (!start.is_multiple_of(ROW_GROUP_ROWS) || start >= n) {
        return Err(ParquetError::General(format!(
            "rows {start}.. of a table of {n} rows are not a row group's start"
        )));
    }
    // The first batch (empty for an empty table) chooses the encodings; then batch after batch.
    let mut end = BATCH_ROWS.min(n);
    let first = gather(table, &schema, 0, end)?;
    let mut writer = TableWriter::from_row(table.columns(), &first, start, out)?;
    let mut batch = first;
    if start > 0 {
        end = (start + BATCH_ROWS).min(n);
        batch = gather(table, &schema, start, end)?;
    }
    loop {
        writer.write(&batch)?;
        after_batch(writer.out())?;
        if end >= n {
            return writer.finish();
        }
        let start = end;
        end = (start + BATCH_ROWS).min(n);
        batch = gather(table, &schema, start, end)?;
    }
}

/// One Parquet file written batch by batch, as [`write()`] writes a table: the same properties
/// (chosen from the first batch), the same footer. Made from the same first batch and fed the
/// same batches, it writes the same bytes (the page's landing writer worker relies on it:
/// `sink::landing_chunks`).
pub struct TableWriter<W: Write + Send> {
    writer: ArrowWriter<HoldTail<W>>,
    /// The file's Arrow schema ([`arrow_schema()`] of its columns).
    pub schema: SchemaRef,
}

impl<W: Write + Send> TableWriter<W> {
    /// A file of `columns` written to `out`, its encodings chosen from `first`, the file's first
    /// batch (what [`write()`] gathers: its first [`BATCH_ROWS`] rows; every writer of a table
    /// must pass the same one, so that the bytes are the same). Dictionary encoding is on for the
    /// string columns (emails, serials, names repeat) and, per numeric column, where
    /// [`dictionary_pays`] on `first`'s values. Chunk-level min/max statistics are what engines
    /// prune with; page-level ones cost time.
    pub fn new(columns: &[Column], first: &RecordBatch, out: W) -> Result<Self, ParquetError> {
        Self::from_row(columns, first, 0, out)
    }

    /// [`TableWriter::new`] for a file of the table's rows from row `first_row` on: a file
    /// [`TableWriter::finish_joining`] joins to the rows before it. Its footer says where its
    /// rows start (key [`FIRST_ROW_KEY`]); with `first_row` 0 it is the file `new` writes.
    fn from_row(columns: &[Column], first: &RecordBatch, first_row: usize, out: W) -> Result<Self, ParquetError> {
        let schema = arrow_schema(columns);
        debug_assert_eq!(
            first.schema().fields(),
            schema.fields(),
            "the first batch is not of these columns"
        );
        let mut props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_compression(Compression::SNAPPY)
            .set_statistics_enabled(EnabledStatistics::Chunk);
        for (i, c) in columns.iter().enumerate().filter(|(_, c)| c.ty != ColType::Str) {
            let pays = first.columns().get(i).is_some_and(|a| dictionary_pays(a.as_ref()));
            props = props.set_column_dictionary_enabled(ColumnPath::from(c.name), pays);
        }
        if first_row > 0 {
            props =
                props.set_key_value_metadata(Some(vec![KeyValue::new(FIRST_ROW_KEY.into(), first_row.to_string())]));
        }
        let props = props.build();
        let writer = ArrowWriter::try_new(HoldTail::new(out), schema.clone(), Some(props))?;
        Ok(TableWriter { writer, schema })
    }

    /// Append one batch of rows (row groups are flushed to `out` as they fill).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), ParquetError> {
        self.writer.write(batch)
    }

    /// The output written so far (everything but the row group being filled and the footer).
    pub fn out(&mut self) -> &mut W {
        &mut self.writer.inner_mut().inner
    }

    /// Write the last row group and the footer (column orders rewritten: `type_defined_orders`);
    /// returns `out`.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        // Every row group out and through the buffer: what follows is the footer, held back to
        // rewrite its column orders (see `type_defined_orders`) before it reaches `out`.
        self.writer.flush()?;
        self.writer.sync()?;
        self.writer.inner_mut().hold = true;
        let columns = self.schema.fields().len();
        let sink = self.writer.into_inner()?;
        sink.finish(columns)
    }

    /// Finish the file with the row groups of `last` after this writer's: `last` is a whole file
    /// [`write_rows`] wrote of the same table from the row this writer stopped at (its footer
    /// says which row: [`FIRST_ROW_KEY`]), which must be a row-group boundary. Its column chunks
    /// are copied as they are (the `parquet` crate's `append_column`, with their offset indexes
    /// moved to where they land); the footer is this writer's, so the file is byte for byte the
    /// one a single writer of every row writes (tested in `sink::landing_chunks`). Returns
    /// `out`. Errors: rows written here that are not whole row groups, a `last` that does not
    /// start at the next row (rows would be lost or repeated), is not a Parquet file of these
    /// columns, or has a column chunk this writer would not write (a Bloom filter: it would be
    /// dropped).
    pub fn finish_joining(mut self, last: bytes::Bytes) -> Result<W, ParquetError> {
        use parquet::column::writer::ColumnCloseResult;
        use parquet::file::metadata::{PageIndexPolicy, ParquetMetaDataOptions};
        let bad = |what: String| ParquetError::General(format!("joining a file's last row groups: {what}"));
        self.writer.flush()?;
        let groups = self.writer.flushed_row_groups();
        if groups.is_empty() || groups.iter().any(|g| g.num_rows() as usize != ROW_GROUP_ROWS) {
            let rows: Vec<i64> = groups.iter().map(|g| g.num_rows()).collect();
            return Err(bad(format!(
                "the first part's row groups of {rows:?} rows are not whole ones"
            )));
        }
        let meta = ParquetMetaDataReader::new()
            .with_page_index_policy(PageIndexPolicy::Required)
            // Each page's encoding counted, as the writer wrote it: `append_column` copies the
            // counts, not the mask the reader keeps by default.
            .with_metadata_options(Some(ParquetMetaDataOptions::new().with_encoding_stats_as_mask(false)))
            .parse_and_finish(&last)
            .map_err(|e| bad(format!("the last part is not a Parquet file with page indexes ({e})")))?;
        let rows: i64 = groups.iter().map(|g| g.num_rows()).sum();
        let starts = meta
            .file_metadata()
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|e| e.key == FIRST_ROW_KEY))
            .and_then(|e| e.value.as_deref()?.parse::<i64>().ok());
        if starts != Some(rows) {
            return Err(bad(format!(
                "the last part starts at row {starts:?}, after {rows} rows"
            )));
        }
        let columns = self.schema.fields().len();
        let (mut file, _) = self.writer.into_serialized_writer()?;
        if meta.file_metadata().schema_descr().columns() != file.schema_descr().columns() {
            return Err(bad("the last part has other columns".into()));
        }
        for (g, group) in meta.row_groups().iter().enumerate() {
            let index = meta.page_index_for_row_group(g);
            let mut out = file.next_row_group()?;
            for (c, chunk) in group.columns().iter().enumerate() {
                let offset_index = index
                    .offset_index(c)
                    .ok_or_else(|| bad(format!("the last part's column {c} has no offset index")))?;
                if chunk.bloom_filter_offset().is_some() {
                    return Err(bad(format!("the last part's column {c} has a Bloom filter")));
                }
                let close = ColumnCloseResult {
                    bytes_written: chunk.compressed_size() as u64,
                    rows_written: group.num_rows() as u64,
                    metadata: as_written(chunk)?,
                    bloom_filter: None,
                    column_index: index.column_index(c).cloned(),
                    offset_index: Some(offset_index.clone()),
                };
                out.append_column(&last, close)?;
            }
            out.close()?;
        }
        file.flush()?;
        file.inner_mut().hold = true;
        file.into_inner()?.finish(columns)
    }
}

/// A column chunk's metadata as its writer had it, from the footer it was read back from: the
/// reader does not keep whether the deprecated `min`/`max` statistics were written, which the
/// writer does for every column of signed sort order (the `parquet` crate's `ColumnWriterImpl`),
/// so the flag is set again by that rule.
fn as_written(
    chunk: &parquet::file::metadata::ColumnChunkMetaData,
) -> Result<parquet::file::metadata::ColumnChunkMetaData, ParquetError> {
    use parquet::file::statistics::Statistics as S;
    let Some(stats) = chunk.statistics() else {
        return Ok(chunk.clone());
    };
    let signed = chunk.column_descr().sort_order().is_signed();
    let stats = match stats.clone() {
        S::Boolean(v) => S::Boolean(v.with_backwards_compatible_min_max(signed)),
        S::Int32(v) => S::Int32(v.with_backwards_compatible_min_max(signed)),
        S::Int64(v) => S::Int64(v.with_backwards_compatible_min_max(signed)),
        S::Int96(v) => S::Int96(v.with_backwards_compatible_min_max(signed)),
        S::Float(v) => S::Float(v.with_backwards_compatible_min_max(signed)),
        S::Double(v) => S::Double(v.with_backwards_compatible_min_max(signed)),
        S::ByteArray(v) => S::ByteArray(v.with_backwards_compatible_min_max(signed)),
        S::FixedLenByteArray(v) => S::FixedLenByteArray(v.with_backwards_compatible_min_max(signed)),
    };
    chunk.clone().into_builder().set_statistics(stats).build()
}

/// Whether dictionary encoding pays for a numeric column whose first batch holds `values`: at
/// most one distinct value in [`DICTIONARY_SHARE`] (nulls aside; an empty batch: no). Measured
/// (docs/performance.md, session 9): the real accelerometer readings hold 3 distinct values,
/// and with a dictionary their landing table is 2.9x smaller and written 0.15 s faster (x100);
/// on continuous readings the `parquet` crate's dictionary fills its 1 MiB page limit and falls
/// back to plain encoding, which made the Parquet phase 20% slower and the files 4% larger, so
/// such columns stay plain. A full batch passes with at most 8,192 distinct values; a row group
/// (16 batches) with that many new values in every batch would fill the 1 MiB dictionary and
/// fall back, which one batch cannot foresee. Columns that are not Int64 or Float64: no.
pub fn dictionary_pays(values: &dyn arrow_array::Array) -> bool {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float64Type, Int64Type};
    let limit = values.len() / DICTIONARY_SHARE;
    let mut seen = rustc_hash::FxHashSet::default();
    seen.reserve(limit.min(1024) + 1);
    let mut distinct_within = |bits: &mut dyn Iterator<Item = Option<u64>>| {
        for b in bits.flatten() {
            if seen.insert(b) && seen.len() > limit {
                return false;
            }
        }
        !seen.is_empty()
    };
    if let Some(a) = values.as_primitive_opt::<Float64Type>() {
        distinct_within(&mut a.iter().map(|v| v.map(f64::to_bits)))
    } else if let Some(a) = values.as_primitive_opt::<Int64Type>() {
        distinct_within(&mut a.iter().map(|v| v.map(|v| v as u64)))
    } else {
        false
    }
}

/// See [`dictionary_pays`]: a numeric column is dictionary-encoded when its first batch holds at
/// most one distinct value in this many.
pub const DICTIONARY_SHARE: usize = 8;

/// `table` as Arrow record batches of at most [`BATCH_ROWS`] rows (one, empty, for an empty
/// table), with [`arrow_schema()`]'s schema: the arrays [`write()`] encodes, built the same way (the
/// Python package hands them to pyarrow through the Arrow C data interface).
pub fn record_batches(table: &TableView<'_>) -> Result<Vec<RecordBatch>, ParquetError> {
    let schema = arrow_schema(table.columns());
    let n = table.rows.len();
    let mut batches = Vec::with_capacity(n.div_ceil(BATCH_ROWS).max(1));
    let mut start = 0;
    loop {
        let end = (start + BATCH_ROWS).min(n);
        batches.push(gather(table, &schema, start, end)?);
        start = end;
        if start >= n {
            return Ok(batches);
        }
    }
}

/// Rows `start..end` of `table` as an Arrow record batch with `schema` ([`arrow_schema()`] of its columns).
pub fn gather(
    table: &TableView<'_>,
    schema: &SchemaRef,
    start: usize,
    end: usize,
) -> Result<RecordBatch, parquet::errors::ParquetError> {
    let l = table.landing;
    let rows = end - start;
    let arrays: Vec<ArrayRef> = table
        .columns()
        .iter()
        .map(|c| -> ArrayRef {
            let field = c.field;
            // The strict ML table's device number, looked up by the step row's serial.
            if field == Field::DeviceId {
                let mut out = Vec::with_capacity(rows);
                table.for_rows(false, start, end, |r| out.push(table.device_id(r)));
                return Arc::new(Int64Array::from(out));
            }
            // Reading columns straight from their chunks: no per-cell field dispatch; a whole
            // table's batch is one chunk of the column, taken as stored.
            if let Some((col, accel)) = field.numeric_column(l) {
                if let Some(range) = table.contiguous(start, end) {
                    let whole = match col {
                        NumColumn::Epoch(v) => v.slice(range.start, range.end).map(epoch_array),
                        NumColumn::OptI64(v) => v.slice(range.start, range.end).map(int_array),
                        NumColumn::Float(v) => v.slice(range.start, range.end).map(float_array),
                    };
                    if let Some(array) = whole {
                        return array;
                    }
                }
                return match col {
                    NumColumn::Epoch(v) => {
                        let mut out = Vec::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| out.push(v.get(r)));
                        Arc::new(Int64Array::from(out))
                    }
                    NumColumn::OptI64(v) => {
                        let mut b = Int64Builder::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| b.append_option(v.get(r)));
                        Arc::new(b.finish())
                    }
                    NumColumn::Float(v) => {
                        let mut b = Float64Builder::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| b.append_option(v[r].get()));
                        Arc::new(b.finish())
                    }
                };
            }
            match c.ty {
                ColType::Str => {
                    let mut b = StringBuilder::with_capacity(rows, rows * 24);
                    for k in start..end {
                        let (r, ra) = table.row(k);
                        match table.get(field, r, ra) {
                            Value::Str(s) => b.append_value(s),
                            _ => b.append_null(),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColType::I64 => {
                    let mut b = Int64Builder::with_capacity(rows);
                    for k in start..end {
                        let (r, ra) = table.row(k);
                        match table.get(field, r, ra) {
                            Value::I64(v) => b.append_value(v),
                            _ => b.append_null(),
                        }
                    }
                    Arc::new(b.finish())
                }
                ColType::F64 => {
                    let mut b = Float64Builder::with_capacity(rows);
                    for k in start..end {
                        let (r, ra) = table.row(k);
                        match table.get(field, r, ra) {
                            Value::F64(v) => b.append_value(v),
                            _ => b.append_null(),
                        }
                    }
                    Arc::new(b.finish())
                }
            }
        })
        .collect();
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}

/// An Int64 array of `values` (no nulls).
pub fn i64_array(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

/// An Int64 array of `values`, null where `None`.
pub fn opt_i64_array(values: &[Option<i64>]) -> ArrayRef {
    let nulls = values
        .iter()
        .any(Option::is_none)
        .then(|| NullBuffer::from_iter(values.iter().map(Option::is_some)));
    Arc::new(Int64Array::new(values.iter().map(|v| v.unwrap_or(0)).collect(), nulls))
}

/// An Int64 array of a time column's rows as stored (offsets added to their base).
pub fn epoch_array(rows: EpochSlice<'_>) -> ArrayRef {
    match rows {
        EpochSlice::Plain(values) => i64_array(values),
        EpochSlice::Offsets { base, offsets } => Arc::new(Int64Array::from(
            offsets.iter().map(|&o| base.wrapping_add(o as i64)).collect::<Vec<_>>(),
        )),
    }
}

/// An Int64 array of an integer column's rows as stored: [`opt_i64_array`]'s values and nulls.
pub fn int_array(rows: IntSlice<'_>) -> ArrayRef {
    let values = match rows {
        IntSlice::Options(values) => return opt_i64_array(values),
        IntSlice::Plain(values) => values,
    };
    let nulls = values
        .contains(&int_column::NULL)
        .then(|| NullBuffer::from_iter(values.iter().map(|&v| v != int_column::NULL)));
    Arc::new(Int64Array::new(
        values
            .iter()
            .map(|&v| if v == int_column::NULL { 0 } else { v })
            .collect(),
        nulls,
    ))
}

/// A Float64 array of `values`, null where absent ([`OptF64`]'s null pattern).
pub fn opt_f64_array(values: &[OptF64]) -> ArrayRef {
    let nulls = values
        .iter()
        .any(|v| v.get().is_none())
        .then(|| NullBuffer::from_iter(values.iter().map(|v| v.get().is_some())));
    Arc::new(Float64Array::new(
        values.iter().map(|v| v.get().unwrap_or(0.0)).collect(),
        nulls,
    ))
}

/// A Float64 array of a float column's rows as stored: codes looked up in the dictionary (null
/// where the entry is null), or plain floats; the same values and nulls as [`opt_f64_array`] of
/// the rows. Panics on a code past the dictionary (a
/// [`FloatColumn`](crate::float_column::FloatColumn) never has one; the landing writer checks
/// foreign chunks first).
pub fn float_array(rows: FloatSlice<'_>) -> ArrayRef {
    let (dictionary, codes) = match rows {
        FloatSlice::Plain(values) => return opt_f64_array(values),
        FloatSlice::Coded { dictionary, codes } => (dictionary, codes),
    };
    let floats: Vec<f64> = dictionary.iter().map(|v| v.get().unwrap_or(0.0)).collect();
    let is_null: Vec<bool> = dictionary.iter().map(|v| v.get().is_none()).collect();
    let nulls = codes
        .iter()
        .any(|&c| is_null[c as usize])
        .then(|| NullBuffer::from_iter(codes.iter().map(|&c| !is_null[c as usize])));
    Arc::new(Float64Array::new(
        codes.iter().map(|&c| floats[c as usize]).collect(),
        nulls,
    ))
}

/// Passes bytes straight to `inner` until `hold` is set, then keeps them in `tail`: the row groups
/// stream out as they are written, the footer waits to be rewritten ([`type_defined_orders`]).
struct HoldTail<W> {
    inner: W,
    hold: bool,
    tail: Vec<u8>,
}

impl<W> HoldTail<W> {
    fn new(inner: W) -> Self {
        HoldTail {
            inner,
            hold: false,
            tail: Vec::new(),
        }
    }
}

impl<W: Write> HoldTail<W> {
    /// The footer held back, its column orders rewritten ([`type_defined_orders`] for `columns`),
    /// written to `inner`; returns `inner`.
    fn finish(mut self, columns: usize) -> Result<W, ParquetError> {
        type_defined_orders(&mut self.tail, columns)?;
        self.inner.write_all(&self.tail)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for HoldTail<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.hold {
            self.tail.extend_from_slice(buf);
            Ok(buf.len())
        } else {
            self.inner.write(buf)
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.hold {
            Ok(())
        } else {
            self.inner.flush()
        }
    }
}

/// Rewrites the column orders of the Parquet footer at the end of `tail` (a file's last bytes,
/// ending in `<footer><u32 length>PAR1`) to `TYPE_DEFINED_ORDER` for all `columns` leaf columns.
///
/// Why: since PARQUET-2249 (arrow-rs #9619) the `parquet` crate marks FLOAT/DOUBLE columns with
/// the new `IEEE_754_TOTAL_ORDER`, with no writer option to opt out (60.1: the footer writer,
/// `file/metadata/writer.rs`, takes every order from `ColumnOrder::column_order_for_type`).
/// parquet-java before 1.15 (Spark 3.5 / Glue 5.0 through Hive's Parquet SerDe, EMR Hive) and
/// polars 1.41 cannot read such a footer; pyarrow, parquet-java and DuckDB all write
/// `TYPE_DEFINED_ORDER`. Pinning an older crate would also pin the arrow crates and block every
/// later fix, so the footer is patched instead (see `docs/interop.md`). The two orders are
/// same-length Thrift unions (field 1 or 2 holding an empty struct), so exactly one byte per
/// double column changes: the footer length and every offset stay valid, and the bytes stay the
/// same on every platform. The statistics remain right under the type-defined rules: the
/// writer's double min/max skip NaN and a ±0 bound is what those rules already tolerate; the
/// extra `nan_count` statistic is a field older readers skip.
///
/// Errors (never a silently wrong file) when the tail does not end in the expected layout (the
/// orders list as the footer's last field, one union per column) or when the rewritten footer
/// does not decode with every order type-defined.
fn type_defined_orders(tail: &mut [u8], columns: usize) -> Result<(), ParquetError> {
    let bad = |what: &str| ParquetError::General(format!("rewriting the Parquet footer's column orders: {what}"));
    let n = tail.len();
    if n < 8 || &tail[n - 4..] != b"PAR1" {
        return Err(bad("no footer at the end of the file"));
    }
    let len = u32::from_le_bytes([tail[n - 8], tail[n - 7], tail[n - 6], tail[n - 5]]) as usize;
    let end = n - 8;
    if len > end {
        return Err(bad("the footer starts before the bytes held back"));
    }
    let meta = &mut tail[end - len..end];
    // Thrift compact encoding of field 7 `list<ColumnOrder>`, the last field written (fields 8
    // and 9 only exist in encrypted files): field header (delta from field 1..6, type list = 9),
    // list header (size, element type struct = 12), one 3-byte union per column (field header
    // 0x1C/0x2C/0x3C for orders 1/2/3, empty struct's stop, union's stop), FileMetaData's stop.
    let mut list_header = Vec::with_capacity(6);
    if columns < 15 {
        list_header.push(((columns as u8) << 4) | 0x0C);
    } else {
        list_header.push(0xFC);
        let mut v = columns;
        while v >= 0x80 {
            list_header.push((v as u8 & 0x7F) | 0x80);
            v >>= 7;
        }
        list_header.push(v as u8);
    }
    if meta.len() < 3 * columns + list_header.len() + 2 {
        return Err(bad("the footer is too short"));
    }
    let stop = meta.len() - 1;
    let first = stop - 3 * columns;
    let head = first - list_header.len();
    let field = meta[head - 1];
    if meta[stop] != 0 || meta[head..first] != list_header[..] || field & 0x0F != 9 || !(1..=6).contains(&(field >> 4))
    {
        return Err(bad("the column orders are not the footer's last field"));
    }
    for union in meta[first..stop].chunks_exact_mut(3) {
        if !matches!(union, [0x1C | 0x2C | 0x3C, 0, 0]) {
            return Err(bad("a column order is not an empty-struct union"));
        }
        union[0] = 0x1C;
    }
    let decoded = ParquetMetaDataReader::decode_metadata(meta)?;
    let fm = decoded.file_metadata();
    let all_type_defined = fm.column_orders().map(Vec::len) == Some(columns)
        && (0..columns).all(|i| matches!(fm.column_order(i), ColumnOrder::TYPE_DEFINED_ORDER(_)));
    if !all_type_defined {
        return Err(bad("the rewritten footer does not read back as type-defined orders"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;

    /// The footer of a whole Parquet file, decoded.
    fn footer(file: &[u8]) -> parquet::file::metadata::ParquetMetaData {
        let n = file.len();
        let len = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
        ParquetMetaDataReader::decode_metadata(&file[n - 8 - len..n - 8]).unwrap()
    }

    /// Every column order of a whole Parquet file's footer.
    fn orders(file: &[u8]) -> Vec<ColumnOrder> {
        footer(file).file_metadata().column_orders().unwrap().clone()
    }

    /// The crate's own footer, and the same file through the rewrite, for `schema`.
    fn both(schema: SchemaRef, columns: Vec<ArrayRef>) -> (Vec<u8>, Vec<u8>) {
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let mut plain = ArrowWriter::try_new(Vec::new(), schema.clone(), None).unwrap();
        plain.write(&batch).unwrap();
        let plain = plain.into_inner().unwrap();
        let mut held = ArrowWriter::try_new(HoldTail::new(Vec::new()), schema.clone(), None).unwrap();
        held.write(&batch).unwrap();
        held.flush().unwrap();
        held.sync().unwrap();
        held.inner_mut().hold = true;
        let mut sink = held.into_inner().unwrap();
        type_defined_orders(&mut sink.tail, schema.fields().len()).unwrap();
        sink.inner.extend_from_slice(&sink.tail);
        (plain, sink.inner)
    }

    #[test]
    fn double_columns_get_type_defined_order_and_nothing_else_changes() {
        // 3 columns (short list header) and 17 (long form: the header is 0xFC + a varint).
        for doubles in [2usize, 16] {
            let mut fields = vec![ArrowField::new("s", DataType::Utf8, true)];
            let mut cols: Vec<ArrayRef> = vec![Arc::new(StringArray::from(vec![Some("a"), None]))];
            for i in 0..doubles {
                fields.push(ArrowField::new(format!("d{i}"), DataType::Float64, true));
                cols.push(Arc::new(Float64Array::from(vec![Some(-0.0), Some(i as f64)])));
            }
            let (plain, fixed) = both(Arc::new(Schema::new(fields)), cols);
            // The crate as it is would write the total order: the rewrite is needed.
            assert_eq!(orders(&plain)[1], ColumnOrder::IEEE_754_TOTAL_ORDER);
            assert!(orders(&fixed)
                .iter()
                .all(|o| matches!(o, ColumnOrder::TYPE_DEFINED_ORDER(_))));
            assert_eq!(orders(&fixed).len(), doubles + 1);
            assert_eq!(plain.len(), fixed.len());
            let diff: Vec<(u8, u8)> = plain
                .iter()
                .zip(&fixed)
                .filter(|(a, b)| a != b)
                .map(|(a, b)| (*a, *b))
                .collect();
            assert_eq!(diff, vec![(0x2C, 0x1C); doubles], "one byte per double column");
        }
    }

    /// `float_array` of codes makes what `opt_f64_array` makes of the rows they stand for: the
    /// values, the nulls (including a dictionary with two null entries, as a foreign chunk may
    /// have), and no null buffer where no row is null.
    #[test]
    fn coded_floats_make_the_array_plain_floats_make() {
        use crate::float_column::FloatSlice;
        use arrow_array::Array;
        let f = |v: Option<f64>| OptF64::from(v);
        let dictionaries: [Vec<OptF64>; 3] = [
            vec![f(Some(-1.0)), f(None), f(Some(-0.0)), f(Some(0.0)), f(Some(1.0))],
            vec![f(None), f(Some(2.5)), f(None)],
            vec![f(Some(3.0)), f(None)],
        ];
        for dictionary in &dictionaries {
            for codes in [
                (0..50usize)
                    .map(|i| (i * 7 % dictionary.len()) as u8)
                    .collect::<Vec<_>>(),
                vec![0; 9],
                vec![],
            ] {
                let rows: Vec<OptF64> = codes.iter().map(|&c| dictionary[c as usize]).collect();
                let coded = float_array(FloatSlice::Coded {
                    dictionary,
                    codes: &codes,
                });
                let plain = opt_f64_array(&rows);
                assert_eq!(coded.to_data(), plain.to_data(), "{dictionary:?} {codes:?}");
                let values = |a: &ArrayRef| a.as_any().downcast_ref::<Float64Array>().unwrap().values().to_vec();
                assert_eq!(values(&coded), values(&plain), "the values under nulls too");
                assert_eq!(coded.nulls().is_some(), rows.iter().any(|v| v.get().is_none()));
                assert_eq!(coded.null_count(), rows.iter().filter(|v| v.get().is_none()).count());
            }
        }
    }

    /// `int_array` and `epoch_array` make what `opt_i64_array` and `i64_array` make of the rows:
    /// the values (zero under a null), the nulls, and no null buffer where no row is null.
    #[test]
    fn stored_integers_make_the_arrays_plain_ones_make() {
        use crate::epoch_column::EpochSlice;
        use crate::int_column::{IntSlice, NULL};
        use arrow_array::Array;
        let values = |a: &ArrayRef| a.as_any().downcast_ref::<Int64Array>().unwrap().values().to_vec();
        let same = |a: ArrayRef, b: ArrayRef, what: &str| {
            assert_eq!(a.to_data(), b.to_data(), "{what}");
            assert_eq!(values(&a), values(&b), "{what}: the values under nulls too");
            assert_eq!(a.nulls().is_some(), b.nulls().is_some(), "{what}: a null buffer");
        };
        // (The Options and plain forms are those functions themselves.)
        let ints: [&[i64]; 3] = [&[5, NULL, -7, NULL], &[1, 2, 3], &[]];
        for plain in ints {
            let rows: Vec<Option<i64>> = plain.iter().map(|&v| (v != NULL).then_some(v)).collect();
            same(
                int_array(IntSlice::Plain(plain)),
                opt_i64_array(&rows),
                &format!("{plain:?}"),
            );
        }
        for (base, offsets) in [
            (i64::MAX - 10, vec![0u32, 10, 11, u32::MAX]),
            (1_655_564_000_000, vec![]),
            (-5, vec![3, 5]),
        ] {
            let rows: Vec<i64> = offsets.iter().map(|&o| base.wrapping_add(o as i64)).collect();
            let stored = epoch_array(EpochSlice::Offsets {
                base,
                offsets: &offsets,
            });
            same(stored, i64_array(&rows), &format!("{base} {offsets:?}"));
        }
    }

    #[test]
    fn dictionary_pays_for_at_most_one_distinct_value_in_eight() {
        use arrow_array::{Int64Array, StringArray};
        let floats =
            |n: usize, distinct: usize| Float64Array::from_iter_values((0..n).map(|i| (i % distinct) as f64 * 0.5));
        assert!(dictionary_pays(&floats(65_536, 3)), "the real readings: 3 values");
        assert!(dictionary_pays(&floats(65_536, 8_192)));
        assert!(!dictionary_pays(&floats(65_536, 8_193)));
        assert!(!dictionary_pays(&floats(65_536, 65_536)), "continuous readings");
        assert!(!dictionary_pays(&floats(0, 1)), "an empty batch");
        assert!(
            !dictionary_pays(&floats(7, 1)),
            "fewer rows than the share: no distinct value allowed"
        );
        assert!(dictionary_pays(&floats(8, 1)));
        assert!(
            !dictionary_pays(&Float64Array::from(vec![None::<f64>; 64])),
            "only nulls"
        );
        let sparse: Float64Array = (0..64).map(|i| (i == 3).then_some(1.0)).collect();
        assert!(dictionary_pays(&sparse), "nulls are not values");
        assert!(dictionary_pays(&Int64Array::from_iter_values(
            (0..800).map(|i| i % 100)
        )));
        assert!(!dictionary_pays(&Int64Array::from_iter_values(0..800)));
        assert!(
            !dictionary_pays(&StringArray::from(vec!["a"; 64])),
            "strings: always, decided elsewhere"
        );
    }

    /// The encodings a file's column chunks declare, per column of its first row group.
    fn encodings(file: &[u8]) -> Vec<Vec<parquet::basic::Encoding>> {
        let md = footer(file);
        md.row_group(0)
            .columns()
            .iter()
            .map(|c| c.encodings().collect())
            .collect()
    }

    #[test]
    fn repetitive_numeric_columns_are_dictionary_encoded_and_continuous_ones_plain() {
        use crate::tables::Column;
        use parquet::basic::Encoding;
        let columns = [
            Column {
                name: "x",
                ty: ColType::F64,
                nullable: true,
                field: Field::X,
            },
            Column {
                name: "y",
                ty: ColType::F64,
                nullable: true,
                field: Field::Y,
            },
        ];
        let schema = arrow_schema(&columns);
        let n = 10_000;
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Float64Array::from_iter_values((0..n).map(|i| (i % 3) as f64))),
                Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 / 7.0))),
            ],
        )
        .unwrap();
        let mut w = TableWriter::new(&columns, &batch, Vec::new()).unwrap();
        w.write(&batch).unwrap();
        let file = w.finish().unwrap();
        let enc = encodings(&file);
        assert!(enc[0].contains(&Encoding::RLE_DICTIONARY), "x: {:?}", enc[0]);
        assert!(!enc[1].contains(&Encoding::RLE_DICTIONARY), "y: {:?}", enc[1]);
        assert!(!enc[1].contains(&Encoding::PLAIN_DICTIONARY), "y: {:?}", enc[1]);
    }

    #[test]
    fn a_tail_that_is_not_a_footer_is_an_error() {
        let schema = Arc::new(Schema::new(vec![ArrowField::new("d", DataType::Float64, false)]));
        let (_, good) = both(schema, vec![Arc::new(Float64Array::from(vec![1.5]))]);
        assert!(type_defined_orders(&mut good.clone(), 1).is_ok());
        assert!(type_defined_orders(&mut good.clone(), 2).is_err(), "wrong column count");
        assert!(type_defined_orders(&mut good[..good.len() - 1].to_vec(), 1).is_err());
        assert!(type_defined_orders(&mut b"PAR1".to_vec(), 1).is_err());
        let mut short = good[good.len() - 40..].to_vec();
        assert!(type_defined_orders(&mut short, 1).is_err(), "footer not all held");
    }

    #[test]
    fn every_table_of_a_fixture_run_is_type_defined() {
        use crate::{Lake, Mode, Output, RunOptions};
        let files: [(&str, &[u8]); 3] = [
            (
                "landing/customer/c.json",
                include_bytes!("../../../fixtures/landing/customer/customer-42.json"),
            ),
            (
                "landing/accelerometer/a.json",
                include_bytes!("../../../fixtures/landing/accelerometer/accelerometer-42-0.json"),
            ),
            (
                "landing/step_trainer/s.json",
                include_bytes!("../../../fixtures/landing/step_trainer/step_trainer-42-0.json"),
            ),
        ];
        for mode in [Mode::Strict, Mode::Rubric] {
            let mut lake = Lake::new();
            for (name, bytes) in files {
                lake.add_file(name, None, bytes);
            }
            lake.run(RunOptions {
                mode,
                ..Default::default()
            })
            .unwrap();
            let mut doubles = 0;
            for out in Output::all().into_iter().filter(|o| matches!(o, Output::Parquet(_))) {
                let file = lake.output(&out.path()).unwrap();
                let md = footer(&file);
                let schema = md.file_metadata().schema_descr();
                for (i, o) in orders(&file).into_iter().enumerate() {
                    assert!(
                        matches!(o, ColumnOrder::TYPE_DEFINED_ORDER(_)),
                        "{} column {i}",
                        out.path()
                    );
                    doubles += (schema.column(i).physical_type() == parquet::basic::Type::DOUBLE) as usize;
                }
            }
            assert!(doubles >= 9, "the run wrote double columns ({doubles})");
        }
    }
}

//! Parquet sink: gathers a table's columns from the landing tables batch by batch into Arrow
//! arrays and writes them with the `parquet` crate's `ArrowWriter` (Snappy, one file per table).

use std::io::Write;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use arrow_schema::{DataType, Field as ArrowField, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::BATCH_ROWS;
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

/// Write `table` as one Snappy-compressed Parquet file.
pub fn write<W: Write + Send>(table: &TableView<'_>, out: W) -> Result<(), parquet::errors::ParquetError> {
    let schema = arrow_schema(table.columns());
    // Dictionary encoding pays off for the repetitive strings (emails, serials, names); for
    // timestamps and readings it is tried and abandoned, which only costs time.
    // Chunk-level min/max statistics are what engines prune with; page-level ones cost time.
    let mut props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_statistics_enabled(EnabledStatistics::Chunk);
    for c in table.columns().iter().filter(|c| c.ty != ColType::Str) {
        props = props.set_column_dictionary_enabled(ColumnPath::from(c.name), false);
    }
    let props = props.build();
    let mut writer = ArrowWriter::try_new(out, schema.clone(), Some(props))?;
    let n = table.rows.len();
    let mut start = 0;
    loop {
        let end = (start + BATCH_ROWS).min(n);
        let batch = gather(table, &schema, start, end)?;
        writer.write(&batch)?;
        start = end;
        if start >= n {
            break;
        }
    }
    writer.close()?;
    Ok(())
}

/// Rows `start..end` of `table` as an Arrow record batch.
fn gather(
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
            // Reading columns straight from their vectors: no per-cell field dispatch.
            if let Some((col, accel)) = field.numeric_column(l) {
                return match col {
                    NumColumn::I64(v) => {
                        let mut out = Vec::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| out.push(v[r]));
                        Arc::new(Int64Array::from(out))
                    }
                    NumColumn::OptI64(v) => {
                        let mut b = Int64Builder::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| b.append_option(v[r]));
                        Arc::new(b.finish())
                    }
                    NumColumn::OptF64(v) => {
                        let mut b = Float64Builder::with_capacity(rows);
                        table.for_rows(accel, start, end, |r| b.append_option(v[r]));
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

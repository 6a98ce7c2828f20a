//! NDJSON sink: one JSON object per line, keys in the table's column order, `null` for missing
//! values. Numbers are formatted with `itoa`/`ryu` and strings escaped by `serde_json`.

use std::io::{self, Write};

use super::BATCH_ROWS;
use crate::tables::{TableView, Value};

/// Write `table` as NDJSON.
pub fn write<W: Write>(table: &TableView<'_>, mut out: W) -> io::Result<()> {
    let columns = table.columns();
    // `{"name":` for the first key, `,"name":` for the others.
    let keys: Vec<Vec<u8>> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut k = if i == 0 { b"{".to_vec() } else { b",".to_vec() };
            serde_json::to_writer(&mut k, c.name).expect("writing to a Vec cannot fail");
            k.push(b':');
            k
        })
        .collect();
    let mut buf: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut ints = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    for k in 0..table.rows.len() {
        let (r, ra) = table.row(k);
        for (c, key) in columns.iter().zip(&keys) {
            buf.extend_from_slice(key);
            match table.get(c.field, r, ra) {
                Value::Null => buf.extend_from_slice(b"null"),
                Value::Str(s) => serde_json::to_writer(&mut buf, s).expect("writing to a Vec cannot fail"),
                Value::I64(v) => buf.extend_from_slice(ints.format(v).as_bytes()),
                Value::F64(v) if v.is_finite() => buf.extend_from_slice(floats.format_finite(v).as_bytes()),
                Value::F64(_) => buf.extend_from_slice(b"null"),
            }
        }
        buf.extend_from_slice(b"}\n");
        if k % BATCH_ROWS == BATCH_ROWS - 1 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

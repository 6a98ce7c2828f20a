//! The two large typed landing tables (`accelerometer_landing`, `step_trainer_landing`) written
//! somewhere else than the rules run: in the page, a landing writer worker writes
//! `accelerometer_landing` on the core the rules leave idle (wasm has no threads). They are the landing rows as read, so they need no
//! rule, only the rows: this module moves them out one landing chunk at a time, as little-endian
//! columns (the floats as stored: codes or plain), and writes them with the same [`TableWriter`]
//! as every table.
//!
//!   engine: Landing ──[`strings`] new since the last call──▶ writer: [`LandingWriter::add_strings`]
//!           Landing ──[`export_chunk`] k = 0..[`chunk_count`]──▶ [`LandingWriter::push`]: one batch
//!                                                                [`LandingWriter::finish`]: the file
//!   or, the engine encoding the last row groups itself once its own work is done:
//!           Landing ──[`export_chunk`] k = 0..s──▶ [`LandingWriter::push`]
//!           Landing ──[`write_tail`] from chunk s──▶ [`LandingWriter::finish_with_tail`]: the same file
//!
//! A chunk can go as soon as it is full ([`full_chunks`]): landing columns only grow, so a full
//! chunk never changes (the page sends them while still reading once 128 full ones wait).
//!
//! A landing chunk is [`CHUNK_ROWS`] rows, exactly the batch [`super::parquet::write`] gathers
//! ([`BATCH_ROWS`]), so the batches, and therefore the file's bytes, are the ones the CLI writes
//! (tested below and by the page tests against the CLI).
//!
//! Chunk layout: `rows: u32`, then each column in turn, `rows` values each:
//! accelerometer `user: u32`, `timestamp: i64`, then `x`, `y`, `z` as stored
//! ([`FloatColumn`](crate::float_column::FloatColumn)):
//! `0: u8`, the dictionary's length `d: u8`, its `d` values as `f64` bits ([`OptF64`]), a `u8`
//! code per row; or `1: u8` and the rows' `f64` bits;
//! step_trainer `sensorReadingTime: i64`, `serialNumber: u32`, `distanceFromObject` as a `u8`
//! presence flag per row then an `i64` per row.

use std::io::Write;

use parquet::errors::ParquetError;

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::{ArrayRef, Int64Array, RecordBatch};

use super::parquet::{arrow_schema, float_array, opt_f64_array, opt_i64_array, TableWriter, ROW_GROUP_ROWS};
use super::BATCH_ROWS;
use crate::chunked::{OptF64, CHUNK_ROWS};
use crate::epoch_column::EpochSlice;
use crate::float_column::{FloatSlice, DICTIONARY_MAX};
use crate::int_column::{IntSlice, NULL};
use crate::model::{Interner, Landing};
use crate::rules::Mode;
use crate::tables::{Field, Rows, TableId, TableView};

const _: () = assert!(CHUNK_ROWS == BATCH_ROWS, "a landing chunk must be one Parquet batch");

/// The tables this module moves: the landing tables of the two reading sources.
pub const TABLES: [TableId; 2] = [TableId::AccelerometerLanding, TableId::StepTrainerLanding];

/// The view of table `id` of [`TABLES`] (`None` for another table).
fn view(landing: &Landing, id: TableId) -> Option<TableView<'_>> {
    TableView::landing(id, landing).filter(|_| TABLES.contains(&id))
}

fn rows(landing: &Landing, id: TableId) -> usize {
    Rows::landing(id, landing)
        .filter(|_| TABLES.contains(&id))
        .map_or(0, |r| r.len())
}

/// Chunks of table `id`'s rows, the last one possibly short (0 for an empty table and for any
/// table not in [`TABLES`]).
pub fn chunk_count(landing: &Landing, id: TableId) -> usize {
    rows(landing, id).div_ceil(CHUNK_ROWS)
}

/// Chunks of table `id` with all [`CHUNK_ROWS`] rows: final, whatever is read next.
pub fn full_chunks(landing: &Landing, id: TableId) -> usize {
    rows(landing, id) / CHUNK_ROWS
}

/// The interned emails from id `emails_from` and serial numbers from id `serials_from` on, in
/// id order (postcard), for [`LandingWriter::add_strings`]; (`emails`, `serials`) counts all.
pub fn strings(landing: &Landing, emails_from: usize, serials_from: usize) -> Vec<u8> {
    let emails: Vec<&str> = landing.emails.strings().skip(emails_from).collect();
    let serials: Vec<&str> = landing.serials.strings().skip(serials_from).collect();
    postcard::to_allocvec(&(emails, serials)).expect("strings serialize")
}

/// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) of table `id` in the chunk layout (module
/// comment). Panics when `k >= chunk_count(landing, id)`.
pub fn export_chunk(landing: &Landing, id: TableId, k: usize) -> Vec<u8> {
    assert!(k < chunk_count(landing, id), "chunk {k} of {id:?} does not exist");
    let mut out = Vec::new();
    // Landing chunk k is chunk k of every column (every column's chunks are CHUNK_ROWS rows).
    match id {
        TableId::AccelerometerLanding => {
            let a = &landing.accelerometer;
            let user = a.user.chunk(k);
            let floats: usize = [&a.x, &a.y, &a.z]
                .iter()
                .map(|col| match col.chunk(k) {
                    FloatSlice::Coded { dictionary, codes } => 2 + 8 * dictionary.len() + codes.len(),
                    FloatSlice::Plain(values) => 1 + 8 * values.len(),
                })
                .sum();
            out.reserve_exact(4 + user.len() * 12 + floats);
            out.extend_from_slice(&(user.len() as u32).to_le_bytes());
            put(&mut out, user, u32::to_le_bytes);
            put_epochs(&mut out, a.timestamp.chunk(k));
            for col in [&a.x, &a.y, &a.z] {
                match col.chunk(k) {
                    FloatSlice::Coded { dictionary, codes } => {
                        out.extend_from_slice(&[CODED, dictionary.len() as u8]);
                        put(&mut out, dictionary, |v| v.to_bits().to_le_bytes());
                        out.extend_from_slice(codes);
                    }
                    FloatSlice::Plain(values) => {
                        out.push(PLAIN);
                        put(&mut out, values, |v| v.to_bits().to_le_bytes());
                    }
                }
            }
        }
        _ => {
            let s = &landing.step_trainer;
            let time = s.sensor_reading_time.chunk(k);
            out.reserve_exact(4 + time.len() * 21);
            out.extend_from_slice(&(time.len() as u32).to_le_bytes());
            put_epochs(&mut out, time);
            put(&mut out, s.serial_number.chunk(k), u32::to_le_bytes);
            match s.distance_from_object.chunk(k) {
                IntSlice::Plain(distance) => {
                    put(&mut out, distance, |v| [(v != NULL) as u8]);
                    put(&mut out, distance, |v| if v == NULL { 0i64 } else { v }.to_le_bytes());
                }
                IntSlice::Options(distance) => {
                    put(&mut out, distance, |v| [v.is_some() as u8]);
                    put(&mut out, distance, |v| v.unwrap_or(0).to_le_bytes());
                }
            }
        }
    }
    out
}

/// Append a time column's rows as `i64`s.
fn put_epochs(out: &mut Vec<u8>, rows: EpochSlice<'_>) {
    match rows {
        EpochSlice::Plain(values) => put(out, values, i64::to_le_bytes),
        EpochSlice::Offsets { base, offsets } => put(out, offsets, |o| base.wrapping_add(o as i64).to_le_bytes()),
    }
}

/// The first byte of a float column in a chunk: codes into a dictionary, or plain floats.
const CODED: u8 = 0;
const PLAIN: u8 = 1;

/// Append `values` to `out`, each as its `N` bytes, into a tail sized (and zeroed) first: measured
/// in wasm, a push per value cost most of the export.
fn put<T: Copy, const N: usize>(out: &mut Vec<u8>, values: &[T], bytes: impl Fn(T) -> [u8; N]) {
    let at = out.len();
    out.resize(at + N * values.len(), 0);
    for (dst, &v) in out[at..].chunks_exact_mut(N).zip(values) {
        dst.copy_from_slice(&bytes(v));
    }
}

/// Writes one table of [`TABLES`] from its exported chunks, in order, to `out`.
pub struct LandingWriter<W: Write + Send> {
    id: TableId,
    /// The interned emails the chunks' users refer to.
    emails: Interner,
    /// The interned serial numbers the chunks' readings refer to.
    serials: Interner,
    /// The output until the first chunk comes (the writer chooses its encodings from it).
    out: Option<W>,
    writer: Option<TableWriter<W>>,
    batches: usize,
    /// A chunk of fewer than [`CHUNK_ROWS`] rows came: it must be the last.
    short: bool,
}

impl<W: Write + Send> LandingWriter<W> {
    /// A writer of table `id` (one of [`TABLES`]); its chunks' strings come by
    /// [`LandingWriter::add_strings`]. Errors: another table.
    pub fn new(id: TableId, out: W) -> Result<Self, ParquetError> {
        if !TABLES.contains(&id) {
            return Err(bad(&format!("{id:?} is not written from landing chunks")));
        }
        Ok(LandingWriter {
            id,
            emails: Interner::default(),
            serials: Interner::default(),
            out: Some(out),
            writer: None,
            batches: 0,
            short: false,
        })
    }

    /// The next interned strings ([`strings`] from the counts this writer has). Errors: bytes
    /// that are not [`strings`]' (or repeat a string: ids would no longer match).
    pub fn add_strings(&mut self, bytes: &[u8]) -> Result<(), ParquetError> {
        let (emails, serials): (Vec<String>, Vec<String>) =
            postcard::from_bytes(bytes).map_err(|e| bad(&format!("not the landing's strings: {e}")))?;
        for (interner, new) in [(&mut self.emails, emails), (&mut self.serials, serials)] {
            for s in new {
                let before = interner.len();
                if interner.intern(&s) as usize != before {
                    return Err(bad("a string sent twice"));
                }
            }
        }
        Ok(())
    }

    /// Write the next chunk ([`export_chunk`]'s bytes, chunks in order). Errors: bytes that are
    /// not a chunk of this table (wrong length, an id no string has), or any chunk after a short
    /// one (only the last may be short: otherwise the batches, and the bytes, would differ).
    ///
    /// The chunk's columns become the batch's arrays directly, built as [`super::parquet::gather`] builds them
    /// from a landing (the same values and nulls: tested below).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), ParquetError> {
        let mut r = Reader(chunk);
        let n = r.u32()? as usize;
        if n == 0 || n > CHUNK_ROWS {
            return Err(bad(&format!("a chunk of {n} rows")));
        }
        if self.short {
            return Err(bad("a chunk after a short one"));
        }
        let arrays: Vec<(Field, ArrayRef)> = match self.id {
            TableId::AccelerometerLanding => {
                let user = string_array(r.u32s(n)?, &self.emails, "an accelerometer user with no email")?;
                let timestamp: ArrayRef = Arc::new(Int64Array::from(r.i64s(n)?));
                let mut xyz = [Field::X, Field::Y, Field::Z]
                    .into_iter()
                    .map(|f| Ok((f, r.floats(n)?)))
                    .collect::<Result<Vec<_>, ParquetError>>()?;
                xyz.splice(0..0, [(Field::User, user), (Field::Timestamp, timestamp)]);
                xyz
            }
            _ => {
                let time: ArrayRef = Arc::new(Int64Array::from(r.i64s(n)?));
                let serial = string_array(
                    r.u32s(n)?,
                    &self.serials,
                    "a step_trainer reading with no serial number",
                )?;
                let present = r.take(n)?;
                let values = r.i64s(n)?;
                let distance: Vec<Option<i64>> = present
                    .iter()
                    .zip(values)
                    .map(|(&p, v)| match p {
                        0 => Ok(None),
                        1 => Ok(Some(v)),
                        _ => Err(bad("a distance flag that is not 0 or 1")),
                    })
                    .collect::<Result<_, _>>()?;
                vec![
                    (Field::SensorReadingTime, time),
                    (Field::StepSerial, serial),
                    (Field::Distance, opt_i64_array(&distance)),
                ]
            }
        };
        if !r.0.is_empty() {
            return Err(bad("bytes after the chunk's columns"));
        }
        self.short = n < CHUNK_ROWS;
        // In the table's column order (each of its columns is one of the arrays above).
        let columns = self.id.columns(Mode::Strict);
        let ordered = columns
            .iter()
            .map(|c| {
                let (_, a) = arrays.iter().find(|(f, _)| *f == c.field).expect("every column built");
                a.clone()
            })
            .collect();
        self.write_batch(RecordBatch::try_new(arrow_schema(columns), ordered)?)
    }

    /// Write `batch`, the writer made on the first one (it chooses its encodings from it).
    fn write_batch(&mut self, batch: RecordBatch) -> Result<(), ParquetError> {
        let columns = self.id.columns(Mode::Strict);
        let writer = match &mut self.writer {
            Some(w) => w,
            None => {
                // Gone only if making the writer failed before (the error was returned then).
                let out = self.out.take().ok_or_else(|| bad("the writer could not be made"))?;
                self.writer.insert(TableWriter::new(columns, &batch, out)?)
            }
        };
        writer.write(&batch)?;
        self.batches += 1;
        Ok(())
    }

    /// The output written so far (row groups flush as they fill): drain it to keep memory low.
    pub fn out(&mut self) -> &mut W {
        match &mut self.writer {
            Some(w) => w.out(),
            None => self.out.as_mut().expect("the output is held until the first chunk"),
        }
    }

    /// Finish the file (an empty table is one empty batch, as [`super::parquet::write`] writes
    /// it); returns `out`, holding what was not drained.
    pub fn finish(mut self) -> Result<W, ParquetError> {
        if self.batches == 0 {
            // Landing tables have the same columns in both modes.
            self.write_batch(RecordBatch::new_empty(arrow_schema(self.id.columns(Mode::Strict))))?;
        }
        self.writer.expect("a batch was written").finish()
    }

    /// Finish the file with `tail`'s row groups after the chunks pushed here: `tail` is
    /// [`write_tail`] of the same table from the next chunk, which must start a row group. The
    /// file is the one [`LandingWriter::finish`] gives when every chunk is pushed here. Errors:
    /// no chunk pushed yet, chunks here that are not whole row groups, a `tail` that does not
    /// start at the next chunk (its footer says where it starts) or is not such a file.
    pub fn finish_with_tail(self, tail: Vec<u8>) -> Result<W, ParquetError> {
        let writer = self
            .writer
            .ok_or_else(|| bad("a file's last row groups need its first ones"))?;
        writer.finish_joining(tail.into())
    }
}

/// Rows `from_chunk * CHUNK_ROWS ..` of landing table `id` (one of [`TABLES`]) as a Parquet
/// file of their own, for [`LandingWriter::finish_with_tail`] in a writer that was sent chunks
/// `0..from_chunk`. `from_chunk` must start a row group ([`ROW_GROUP_CHUNKS`]). Errors: another
/// table, a chunk that does not start a row group or is past the last one.
pub fn write_tail(landing: &Landing, id: TableId, from_chunk: usize) -> Result<Vec<u8>, ParquetError> {
    let view = view(landing, id).ok_or_else(|| bad(&format!("{id:?} is not written from landing chunks")))?;
    // Into `&mut Pieces`, the output type of every other table the page writes: no second copy
    // of the encoder in the wasm module, and the one used is already optimized by V8.
    let mut out = super::Pieces::default();
    super::parquet::write_rows(&view, from_chunk * CHUNK_ROWS, &mut out, |_| Ok(()))?;
    Ok(out.take().concat())
}

/// Landing chunks per Parquet row group: a [`write_tail`] starts at a multiple of this.
pub const ROW_GROUP_CHUNKS: usize = ROW_GROUP_ROWS / CHUNK_ROWS;
const _: () = assert!(
    ROW_GROUP_ROWS.is_multiple_of(CHUNK_ROWS),
    "a row group must be whole chunks"
);

/// The strings of `ids` as a string array (as [`gather`] builds a string column); `missing`
/// names an id no string has.
fn string_array(ids: Vec<u32>, interner: &Interner, missing: &str) -> Result<ArrayRef, ParquetError> {
    let mut b = StringBuilder::with_capacity(ids.len(), ids.len() * 24);
    for id in ids {
        if id as usize >= interner.len() {
            return Err(bad(missing));
        }
        b.append_value(interner.get(id));
    }
    Ok(Arc::new(b.finish()))
}

fn bad(what: &str) -> ParquetError {
    ParquetError::General(format!("landing chunk: {what}"))
}

/// Little-endian values off the front of a chunk; running out is an error.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], ParquetError> {
        if self.0.len() < n {
            return Err(bad("the chunk ends early"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }
    fn u32s(&mut self, n: usize) -> Result<Vec<u32>, ParquetError> {
        let b = self.take(4 * n)?;
        Ok(b.chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect())
    }
    fn i64s(&mut self, n: usize) -> Result<Vec<i64>, ParquetError> {
        let b = self.take(8 * n)?;
        Ok(b.chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect())
    }
    fn opt_f64s(&mut self, n: usize) -> Result<Vec<OptF64>, ParquetError> {
        let b = self.take(8 * n)?;
        Ok(b.chunks_exact(8)
            .map(|b| OptF64::from_bits(u64::from_le_bytes(b.try_into().expect("8 bytes"))))
            .collect())
    }
    /// A float column as [`export_chunk`] writes it, as the array [`float_array`] builds.
    fn floats(&mut self, n: usize) -> Result<ArrayRef, ParquetError> {
        match self.take(1)?[0] {
            CODED => {
                let d = self.take(1)?[0] as usize;
                if d > DICTIONARY_MAX {
                    return Err(bad(&format!("a dictionary of {d} floats")));
                }
                let dictionary = self.opt_f64s(d)?;
                let codes = self.take(n)?;
                if codes.iter().any(|&c| c as usize >= d) {
                    return Err(bad("a float code past its dictionary"));
                }
                Ok(float_array(FloatSlice::Coded {
                    dictionary: &dictionary,
                    codes,
                }))
            }
            PLAIN => Ok(opt_f64_array(&self.opt_f64s(n)?)),
            kind => Err(bad(&format!("a float column of kind {kind}"))),
        }
    }
    fn u32(&mut self) -> Result<u32, ParquetError> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().expect("4 bytes")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float_column::FloatColumn;
    use crate::int_column::OptI64Column;

    /// A landing with `acc` accelerometer and `st` step_trainer rows of varied values (nulls,
    /// negative zero, repeated and new users and serials; in the second chunk, a time far from
    /// the others, so that chunk's times are stored as plain `i64`s).
    fn landing(acc: usize, st: usize) -> Landing {
        let far = |i: usize| (i == CHUNK_ROWS + 7).then_some(-86_400_000i64);
        let mut l = Landing::default();
        for i in 0..acc {
            let a = &mut l.accelerometer;
            a.user.push(l.emails.intern(&format!("u{}@x.test", i % 37)));
            a.timestamp
                .push(far(i).unwrap_or(1_655_564_000_000 + (i as i64 * 7919) % 100_000));
            a.x.push(OptF64::from((i % 5 != 0).then_some(i as f64 * 0.125 - 3.0)));
            a.y.push(OptF64::from(Some(if i % 7 == 0 { -0.0 } else { (i as f64).sqrt() })));
            a.z.push(OptF64::from((i % 11 != 0).then_some(-(i as f64) / 3.0)));
        }
        for i in 0..st {
            let s = &mut l.step_trainer;
            s.sensor_reading_time
                .push(far(i).unwrap_or(1_655_564_000_000 + i as i64));
            s.serial_number.push(l.serials.intern(&format!("S-{}", i % 13)));
            s.distance_from_object
                .push((i % 9 != 0).then_some(i as i64 % 1000 - 10));
        }
        l
    }

    /// Table `id` of `l` (`rows` rows) written through the row-by-row gathering: its rows as
    /// indices, not as the landing's whole columns.
    fn row_by_row(l: &Landing, id: TableId, rows: usize) -> Vec<u8> {
        let every: Vec<u32> = (0..rows as u32).collect();
        let view = TableView {
            id,
            mode: Mode::Strict,
            landing: l,
            rows: Rows::Indices(&every),
            device_ids: Vec::new(),
        };
        let mut out = Vec::new();
        super::super::parquet::write(&view, &mut out).unwrap();
        out
    }

    fn direct(l: &Landing, id: TableId) -> Vec<u8> {
        let view = TableView::landing(id, l).unwrap();
        let mut out = Vec::new();
        super::super::parquet::write(&view, &mut out).unwrap();
        out
    }

    /// The table through export_chunk and a LandingWriter, its output drained after every chunk.
    fn via_chunks(l: &Landing, id: TableId) -> Vec<u8> {
        drained_and_file(l, id).1
    }

    /// (bytes drained before `finish`, the whole file)
    fn drained_and_file(l: &Landing, id: TableId) -> (usize, Vec<u8>) {
        let mut w = LandingWriter::new(id, Vec::new()).unwrap();
        w.add_strings(&strings(l, 0, 0)).unwrap();
        let mut file = Vec::new();
        for k in 0..chunk_count(l, id) {
            w.push(&export_chunk(l, id, k)).unwrap();
            file.append(w.out());
        }
        let drained = file.len();
        file.extend(w.finish().unwrap());
        (drained, file)
    }

    #[test]
    fn chunked_writer_writes_the_bytes_of_the_direct_writer() {
        for (acc, st) in [
            (0, 0),
            (1, 1),
            (CHUNK_ROWS, CHUNK_ROWS - 1),
            (2 * CHUNK_ROWS + 123, CHUNK_ROWS + 1),
        ] {
            let l = landing(acc, st);
            for id in TABLES {
                assert_eq!(via_chunks(&l, id), direct(&l, id), "{id:?} with {acc}/{st} rows");
            }
        }
    }

    /// The page's own case: readings that repeat three values in the first chunk (so x/y/z are
    /// dictionary-encoded, as the real data is) and go continuous after it.
    #[test]
    fn dictionary_encoded_readings_too() {
        let mut l = landing(3 * CHUNK_ROWS + 17, 0);
        let a = &mut l.accelerometer;
        let (mut x, mut y, mut z) = (FloatColumn::new(), FloatColumn::new(), FloatColumn::new());
        for i in 0..a.len() {
            let three = |k: usize| OptF64::from(Some([-1.0, 0.0, 1.0][k % 3]));
            let first = i < CHUNK_ROWS;
            // x: codes with a null among them in the first chunk, plain floats after.
            x.push(match i {
                _ if !first => a.x[i],
                _ if i % 13 == 0 => OptF64::NONE,
                _ => three(i),
            });
            y.push(if first && i % 9 != 0 { three(i / 3) } else { a.y[i] });
            z.push(if first { three(i / 9) } else { a.z[i] });
        }
        (a.x, a.y, a.z) = (x, y, z);
        let id = TableId::AccelerometerLanding;
        let file = direct(&l, id);
        let n = file.len();
        let len = u32::from_le_bytes(file[n - 8..n - 4].try_into().unwrap()) as usize;
        let md = parquet::file::metadata::ParquetMetaDataReader::decode_metadata(&file[n - 8 - len..n - 8]).unwrap();
        let dictionary = |c: usize| {
            md.row_group(0)
                .column(c)
                .encodings()
                .any(|e| e == parquet::basic::Encoding::RLE_DICTIONARY)
        };
        assert!((2..5).all(dictionary), "x, y and z are dictionary-encoded");
        assert!(!dictionary(1), "the timestamps are not");
        assert_eq!(via_chunks(&l, id), file);
    }

    /// A distance of `i64::MIN` (stored apart from the nulls: `OptI64Column`) in the first
    /// chunk: through the chunks, by slices and row by row, the same file with the value kept.
    #[test]
    fn a_minimum_distance_too() {
        let mut l = landing(0, 2 * CHUNK_ROWS + 5);
        let s = &mut l.step_trainer;
        let distance: OptI64Column = (0..s.len())
            .map(|i| {
                if i == 10 {
                    Some(i64::MIN)
                } else {
                    s.distance_from_object.get(i)
                }
            })
            .collect();
        s.distance_from_object = distance;
        let id = TableId::StepTrainerLanding;
        let file = direct(&l, id);
        assert_eq!(via_chunks(&l, id), file);
        assert_eq!(row_by_row(&l, id, l.step_trainer.len()), file);
        let batch = super::super::parquet::record_batches(&TableView::landing(id, &l).unwrap()).unwrap();
        let column = batch[0].column_by_name("distanceFromObject").unwrap();
        use arrow_array::Array;
        let ints = column.as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(
            (ints.value(10), ints.is_null(9), ints.is_null(10)),
            (i64::MIN, true, false)
        );
    }

    /// The chunks a whole table's batches are gathered from (each column's `slice`, the arrays
    /// built in one go from the column as stored) hold what the row-by-row builders make of the
    /// same rows: the same file. x is coded with nulls in its first and last chunks, plain in the
    /// middle one.
    #[test]
    fn slice_gathering_writes_what_row_by_row_gathering_writes() {
        let mut l = landing(2 * CHUNK_ROWS + 123, CHUNK_ROWS + 1);
        let a = &mut l.accelerometer;
        a.x = (0..a.len())
            .map(|i| match i {
                _ if (CHUNK_ROWS..2 * CHUNK_ROWS).contains(&i) => a.x[i],
                _ if i % 7 == 0 => OptF64::NONE,
                _ => OptF64::from(Some([-1.0, 0.0, 1.0][i % 3])),
            })
            .collect();
        let l = l;
        for id in TABLES {
            let n = if id == TableId::AccelerometerLanding {
                l.accelerometer.len()
            } else {
                l.step_trainer.len()
            };
            assert_eq!(row_by_row(&l, id, n), direct(&l, id), "{id:?}");
        }
    }

    /// Past the writer's row group size (1 Mi rows): row groups flushed while chunks arrive.
    #[test]
    fn several_row_groups_too() {
        let l = landing(0, (1 << 20) + 3);
        let (drained, file) = drained_and_file(&l, TableId::StepTrainerLanding);
        assert!(drained > 0, "no row group was flushed before the last chunk");
        assert_eq!(file, direct(&l, TableId::StepTrainerLanding));
    }

    /// As the page sends them: each full chunk while reading, with the strings new since the
    /// last send, then the rest.
    #[test]
    fn chunks_sent_while_reading_give_the_same_file() {
        let whole = landing(3 * CHUNK_ROWS + 10, 0);
        let id = TableId::AccelerometerLanding;
        let mut w = LandingWriter::new(id, Vec::new()).unwrap();
        let (mut growing, mut sent, mut strings_sent) = (Landing::default(), 0, 0);
        let a = &whole.accelerometer;
        let mut send = |l: &Landing, upto: usize, w: &mut LandingWriter<Vec<u8>>| {
            w.add_strings(&strings(l, strings_sent, 0)).unwrap();
            strings_sent = l.emails.len();
            for k in sent..upto {
                w.push(&export_chunk(l, id, k)).unwrap();
            }
            sent = upto;
        };
        for i in 0..a.len() {
            let g = &mut growing.accelerometer;
            g.user.push(growing.emails.intern(whole.emails.get(a.user[i])));
            g.timestamp.push(a.timestamp.get(i));
            g.x.push(a.x[i]);
            g.y.push(a.y[i]);
            g.z.push(a.z[i]);
            if i % 10_000 == 0 {
                send(&growing, full_chunks(&growing, id), &mut w);
            }
        }
        send(&growing, chunk_count(&growing, id), &mut w);
        assert_eq!(w.finish().unwrap(), direct(&whole, id));
    }

    /// The page's split: the landing writer is sent the first row groups' chunks, the rest is
    /// written apart ([`write_tail`]) and joined to them; the file is the one written whole.
    /// Readings: x real-shaped (three values, so dictionary-encoded), y and z varied (plain);
    /// step_trainer: a last row group of one row whose distance is null (an all-null chunk).
    #[test]
    fn a_file_joined_from_its_last_row_groups_written_apart_is_the_file_written_whole() {
        let mut l = landing(2 * ROW_GROUP_ROWS + CHUNK_ROWS + 5, ROW_GROUP_ROWS + 1);
        let a = &mut l.accelerometer;
        let mut x = FloatColumn::new();
        for i in 0..a.len() {
            x.push(OptF64::from(Some([-1.0, 0.0, 1.0][i % 3])));
        }
        a.x = x;
        let s = &mut l.step_trainer;
        let mut distance = OptI64Column::new();
        for i in 0..s.len() {
            distance.push(if i < ROW_GROUP_ROWS {
                s.distance_from_object.get(i)
            } else {
                None
            });
        }
        s.distance_from_object = distance;
        // And a table that ends exactly on a row group (its last one full).
        let even = landing(2 * ROW_GROUP_ROWS, 0);
        for (l, id, head) in [
            (&l, TableId::AccelerometerLanding, ROW_GROUP_CHUNKS),
            (&l, TableId::AccelerometerLanding, 2 * ROW_GROUP_CHUNKS),
            (&l, TableId::StepTrainerLanding, ROW_GROUP_CHUNKS),
            (&even, TableId::AccelerometerLanding, ROW_GROUP_CHUNKS),
        ] {
            let whole = direct(l, id);
            let chunks = chunk_count(l, id);
            let mut w = LandingWriter::new(id, Vec::new()).unwrap();
            w.add_strings(&strings(l, 0, 0)).unwrap();
            for k in 0..head {
                w.push(&export_chunk(l, id, k)).unwrap();
            }
            let tail = write_tail(l, id, head).unwrap();
            assert!(tail.len() < whole.len(), "the tail holds only the last row groups");
            let joined = w.finish_with_tail(tail).unwrap();
            assert_eq!(joined.len(), whole.len(), "{id:?}: head of {head} of {chunks} chunks");
            assert!(
                joined == whole,
                "{id:?}: head of {head} of {chunks} chunks: other bytes"
            );
        }
    }

    #[test]
    fn a_tail_that_does_not_fit_is_an_error() {
        let id = TableId::AccelerometerLanding;
        let l = landing(ROW_GROUP_ROWS + 10, 0);
        let tail = write_tail(&l, id, ROW_GROUP_CHUNKS).unwrap();
        assert!(write_tail(&l, id, 1).is_err(), "not a row group's start");
        assert!(write_tail(&l, id, 2 * ROW_GROUP_CHUNKS).is_err(), "past the last row");
        assert!(write_tail(&l, TableId::CustomerLanding, 0).is_err());
        let writer_of = |l: &Landing, chunks: usize| {
            let mut w = LandingWriter::new(id, Vec::new()).unwrap();
            w.add_strings(&strings(l, 0, 0)).unwrap();
            for k in 0..chunks {
                w.push(&export_chunk(l, id, k)).unwrap();
            }
            w
        };
        let writer = |chunks: usize| writer_of(&l, chunks);
        let head = ROW_GROUP_CHUNKS;
        assert!(writer(0).finish_with_tail(tail.clone()).is_err(), "no head");
        assert!(
            writer(3).finish_with_tail(tail.clone()).is_err(),
            "a head that is not whole row groups"
        );
        assert!(writer(head).finish_with_tail(b"junk".to_vec()).is_err());
        let other = write_tail(&landing(0, ROW_GROUP_ROWS + 10), TableId::StepTrainerLanding, head).unwrap();
        assert!(writer(head).finish_with_tail(other).is_err(), "another table's rows");
        // Tails that do not start where the chunks end: its footer says where it starts.
        let longer = landing(2 * ROW_GROUP_ROWS + 10, 0);
        let from_two = write_tail(&longer, id, 2 * head).unwrap();
        assert!(writer(head).finish_with_tail(from_two).is_err(), "a row group missing");
        let from_one = write_tail(&longer, id, head).unwrap();
        assert!(
            writer_of(&longer, 2 * head).finish_with_tail(from_one).is_err(),
            "a row group repeated"
        );
        let mut from_start = Vec::new();
        super::super::parquet::write(&TableView::landing(id, &l).unwrap(), &mut from_start).unwrap();
        assert!(writer(head).finish_with_tail(from_start).is_err(), "every row again");
        assert!(writer(head).finish_with_tail(tail).is_ok());
    }

    #[test]
    fn foreign_bytes_are_errors_not_panics() {
        let l = landing(100, 100);
        let s = strings(&l, 0, 0);
        assert!(LandingWriter::new(TableId::CustomerLanding, Vec::new()).is_err());
        let mut w = LandingWriter::new(TableId::AccelerometerLanding, Vec::new()).unwrap();
        assert!(w.add_strings(b"junk").is_err());
        w.add_strings(&s).unwrap();
        assert!(w.add_strings(&strings(&l, 3, 0)).is_err(), "strings already sent");
        let good = export_chunk(&l, TableId::AccelerometerLanding, 0);
        for bad in [
            &good[..good.len() - 1],
            &[good.clone(), vec![0]].concat()[..],
            &[0, 0, 0, 0][..],
            &[],
        ] {
            assert!(w.push(bad).is_err(), "{} bytes", bad.len());
        }
        // Only the last chunk may be short.
        let mut w2 = LandingWriter::new(TableId::AccelerometerLanding, Vec::new()).unwrap();
        w2.add_strings(&s).unwrap();
        w2.push(&good).unwrap();
        assert!(w2.push(&good).is_err(), "a chunk after a short one");
        let mut unknown_user = good.clone();
        unknown_user[4..8].copy_from_slice(&999u32.to_le_bytes());
        assert!(w.push(&unknown_user).is_err());
        // x coded (three values): a code past the dictionary, a dictionary past its longest,
        // a column of no known kind.
        let mut coded = landing(100, 0);
        coded.accelerometer.x = (0..100).map(|i| OptF64::from(Some([-1.0, 0.0, 1.0][i % 3]))).collect();
        let good = export_chunk(&coded, TableId::AccelerometerLanding, 0);
        let x = 4 + 100 * 12;
        assert_eq!(good[x..x + 2], [CODED, 3]);
        // A fresh writer for each (a short chunk must be the last, so one writer takes one).
        let push = |bytes: &[u8]| {
            let mut w = LandingWriter::new(TableId::AccelerometerLanding, Vec::new()).unwrap();
            w.add_strings(&strings(&coded, 0, 0)).unwrap();
            w.push(bytes).map_err(|e| e.to_string())
        };
        let y = x + 2 + 3 * 8 + 100; // y and z are plain: 1 + 8 bytes a row
        let z = y + 1 + 8 * 100;
        let mut empty = good.clone();
        empty[x + 1] = 0;
        empty.drain(x + 2..x + 2 + 3 * 8);
        for (bad, why) in [
            (vec![(x + 2 + 3 * 8 + 50, 3)], "a float code past its dictionary"),
            (vec![(x + 1, DICTIONARY_MAX as u8 + 1)], "a dictionary of 17 floats"),
            (vec![(x, 2)], "a float column of kind 2"),
            (vec![(y, 9)], "a float column of kind 9"),
            (vec![(z, 9)], "a float column of kind 9"),
        ] {
            let mut bytes = good.clone();
            bad.iter().for_each(|&(at, byte)| bytes[at] = byte);
            let err = push(&bytes).expect_err(why);
            assert!(err.contains(why), "{err}");
        }
        let err = push(&empty).expect_err("codes into an empty dictionary");
        assert!(err.contains("a float code past its dictionary"), "{err}");
        push(&good).unwrap();
        let mut st = export_chunk(&l, TableId::StepTrainerLanding, 0);
        let flags = 4 + 100 * 12;
        st[flags] = 7;
        let mut w = LandingWriter::new(TableId::StepTrainerLanding, Vec::new()).unwrap();
        w.add_strings(&s).unwrap();
        assert!(w.push(&st).is_err());
    }
}

//! The accelerometer's `x`, `y` and `z` landing columns: nullable floats stored as one-byte codes
//! into a small dictionary of the column's values, chunk by chunk, or as plain floats in the chunks
//! where the dictionary does not hold the values.
//!
//! Why: an accelerometer reading is a user id (4 bytes), a timestamp (8) and three floats, and
//! the real data's floats take three values (-1.0, 0.0 and 1.0). Stored as [`OptF64`]s they were
//! 24 of the reading's 36 bytes; as codes they are 3. In wasm32 every byte the landing set holds
//! is fresh memory the tab keeps (page faults while reading, a 4 GiB ceiling on how much one tab
//! can read) and bytes the engine hands to the landing writer (docs/performance.md, session 14).
//!
//! The rule: the column keeps one dictionary of at most [`DICTIONARY_MAX`] distinct values (bit
//! for bit: `-0.0` and `0.0` are two values, as are `None` and any float), in the order they
//! first came. A chunk of [`CHUNK_ROWS`] rows starts as codes; the first value that is not in a
//! full dictionary turns that chunk into plain floats (its codes looked up once), and the next
//! chunk starts as codes again. So any data is stored exactly, and data of few values takes a
//! byte per row.
//!
//! Data flow: `ingest` pushes each decoded value ([`FloatColumn::push`]); `rules`, `quality`,
//! `explore` and `tables` read rows by index (`col[i]`, an [`OptF64`]); the Parquet sink and the
//! landing chunks take a chunk at a time ([`FloatColumn::chunk`], [`FloatColumn::slice`] as a
//! [`FloatSlice`]); the wire format between decoders (`ingest::transfer`) is the rows' floats.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::chunked::{OptF64, CHUNK_MASK, CHUNK_ROWS, CHUNK_SHIFT};

/// The most distinct values a column's dictionary holds (a code is one byte; a lookup scans
/// the dictionary, so it stays short).
pub const DICTIONARY_MAX: usize = 16;

/// A nullable float column: [`CHUNK_ROWS`]-row chunks of codes into one dictionary, or of plain
/// floats (module comment). Indexing (`col[i]`) panics past the end, as a slice does.
#[derive(Debug, Default)]
pub struct FloatColumn {
    /// The values codes refer to, in the order they first came; never more than [`DICTIONARY_MAX`].
    dictionary: Vec<OptF64>,
    chunks: Vec<FloatChunk>,
    len: usize,
}

/// One chunk's rows: codes into the column's dictionary, or the floats themselves.
#[derive(Debug)]
enum FloatChunk {
    Coded(Vec<u8>),
    Plain(Vec<OptF64>),
}

/// Consecutive rows of a [`FloatColumn`] within one chunk, as stored.
#[derive(Debug, Clone, Copy)]
pub enum FloatSlice<'a> {
    /// `codes[i]` is the row's index into `dictionary`.
    Coded {
        /// The column's dictionary.
        dictionary: &'a [OptF64],
        /// One code per row.
        codes: &'a [u8],
    },
    /// The rows' values.
    Plain(&'a [OptF64]),
}

impl<'a> FloatSlice<'a> {
    /// Rows in the slice.
    pub fn len(&self) -> usize {
        match self {
            FloatSlice::Coded { codes, .. } => codes.len(),
            FloatSlice::Plain(values) => values.len(),
        }
    }

    /// Whether the slice has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows' values, in order.
    pub fn values(self) -> impl Iterator<Item = OptF64> + 'a {
        let (coded, plain) = match self {
            FloatSlice::Coded { dictionary, codes } => (Some(codes.iter().map(move |&c| dictionary[c as usize])), None),
            FloatSlice::Plain(values) => (None, Some(values.iter().copied())),
        };
        coded.into_iter().flatten().chain(plain.into_iter().flatten())
    }
}

/// Every chunk at its full capacity, as [`FloatColumn::push`] allocates them.
impl Clone for FloatColumn {
    fn clone(&self) -> Self {
        let chunks = self
            .chunks
            .iter()
            .map(|c| match c {
                FloatChunk::Coded(codes) => FloatChunk::Coded(full_capacity(codes)),
                FloatChunk::Plain(values) => FloatChunk::Plain(full_capacity(values)),
            })
            .collect();
        FloatColumn {
            dictionary: self.dictionary.clone(),
            chunks,
            len: self.len,
        }
    }
}

fn full_capacity<T: Copy>(values: &[T]) -> Vec<T> {
    let mut v = Vec::with_capacity(CHUNK_ROWS);
    v.extend_from_slice(values);
    v
}

impl FloatColumn {
    /// An empty column (nothing allocated until the first row).
    pub fn new() -> Self {
        Self::default()
    }

    /// Rows in the column.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The dictionary's values, in the order they first came (at most [`DICTIONARY_MAX`]).
    pub fn dictionary(&self) -> &[OptF64] {
        &self.dictionary
    }

    /// Append one row. Inlined into the decoders' loops, as [`crate::chunked::Chunked::push`] is.
    #[inline(always)]
    pub fn push(&mut self, value: OptF64) {
        let bits = value.to_bits();
        match self.chunks.last_mut() {
            Some(FloatChunk::Coded(codes)) if self.len & CHUNK_MASK != 0 => {
                match self.dictionary.iter().position(|d| d.to_bits() == bits) {
                    Some(code) => codes.push(code as u8),
                    None => self.push_new_value(value),
                }
            }
            Some(FloatChunk::Plain(values)) if self.len & CHUNK_MASK != 0 => values.push(value),
            _ => self.push_in_new_chunk(value),
        }
        self.len += 1;
    }

    /// [`FloatColumn::push`] of a value not in the dictionary, into a chunk of codes.
    #[cold]
    #[inline(never)]
    fn push_new_value(&mut self, value: OptF64) {
        if self.dictionary.len() < DICTIONARY_MAX {
            let code = self.dictionary.len() as u8;
            self.dictionary.push(value);
            if let Some(FloatChunk::Coded(codes)) = self.chunks.last_mut() {
                codes.push(code);
                return;
            }
        }
        // The dictionary is full: this chunk becomes plain floats.
        let last = self.chunks.last_mut().expect("a chunk of codes is open");
        if let FloatChunk::Coded(codes) = last {
            let mut values = Vec::with_capacity(CHUNK_ROWS);
            values.extend(codes.iter().map(|&c| self.dictionary[c as usize]));
            *last = FloatChunk::Plain(values);
        }
        if let FloatChunk::Plain(values) = last {
            values.push(value);
        }
    }

    /// [`FloatColumn::push`] when the last chunk is full (or there is none): a new chunk of codes.
    #[cold]
    #[inline(never)]
    fn push_in_new_chunk(&mut self, value: OptF64) {
        self.chunks.push(FloatChunk::Coded(Vec::with_capacity(CHUNK_ROWS)));
        match self.dictionary.iter().position(|d| d.to_bits() == value.to_bits()) {
            Some(code) => {
                if let Some(FloatChunk::Coded(codes)) = self.chunks.last_mut() {
                    codes.push(code as u8);
                }
            }
            None => self.push_new_value(value),
        }
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = OptF64> + '_ {
        (0..self.chunks.len()).flat_map(move |k| self.chunk(k).values())
    }

    /// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) as stored. Panics past the last chunk.
    pub fn chunk(&self, k: usize) -> FloatSlice<'_> {
        match &self.chunks[k] {
            FloatChunk::Coded(codes) => FloatSlice::Coded {
                dictionary: &self.dictionary,
                codes,
            },
            FloatChunk::Plain(values) => FloatSlice::Plain(values),
        }
    }

    /// Rows `start..end` as stored when they lie in one chunk (a Parquet batch of a whole
    /// column), else `None`.
    pub fn slice(&self, start: usize, end: usize) -> Option<FloatSlice<'_>> {
        if start >= end {
            return (start == end && start <= self.len).then_some(FloatSlice::Plain(&[]));
        }
        let k = start >> CHUNK_SHIFT;
        if (end - 1) >> CHUNK_SHIFT != k || end > self.len {
            return None;
        }
        let rows = start & CHUNK_MASK..=(end - 1) & CHUNK_MASK;
        Some(match self.chunk(k) {
            FloatSlice::Coded { dictionary, codes } => FloatSlice::Coded {
                dictionary,
                codes: &codes[rows],
            },
            FloatSlice::Plain(values) => FloatSlice::Plain(&values[rows]),
        })
    }

    /// Append every row of `other`, in order (coded again into this column's dictionary).
    pub fn extend_from(&mut self, other: &FloatColumn) {
        for k in 0..other.chunks.len() {
            for v in other.chunk(k).values() {
                self.push(v);
            }
        }
    }
}

impl std::ops::Index<usize> for FloatColumn {
    type Output = OptF64;
    #[inline]
    fn index(&self, i: usize) -> &OptF64 {
        match &self.chunks[i >> CHUNK_SHIFT] {
            FloatChunk::Coded(codes) => &self.dictionary[codes[i & CHUNK_MASK] as usize],
            FloatChunk::Plain(values) => &values[i & CHUNK_MASK],
        }
    }
}

impl Extend<OptF64> for FloatColumn {
    fn extend<I: IntoIterator<Item = OptF64>>(&mut self, iter: I) {
        for v in iter {
            self.push(v);
        }
    }
}

impl FromIterator<OptF64> for FloatColumn {
    fn from_iter<I: IntoIterator<Item = OptF64>>(iter: I) -> Self {
        let mut c = FloatColumn::new();
        c.extend(iter);
        c
    }
}

/// Row by row, bit for bit (however each side stores them).
impl PartialEq for FloatColumn {
    fn eq(&self, other: &FloatColumn) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl PartialEq<Vec<Option<f64>>> for FloatColumn {
    fn eq(&self, other: &Vec<Option<f64>>) -> bool {
        self.len == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
    }
}

/// As a sequence of rows, each its float (the wire format of a `Chunked<OptF64>`).
impl Serialize for FloatColumn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len))?;
        for v in self.iter() {
            seq.serialize_element(&v)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for FloatColumn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Rows;
        impl<'de> serde::de::Visitor<'de> for Rows {
            type Value = FloatColumn;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of floats")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<FloatColumn, A::Error> {
                let mut c = FloatColumn::new();
                while let Some(v) = seq.next_element()? {
                    c.push(v);
                }
                Ok(c)
            }
        }
        d.deserialize_seq(Rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(c: &FloatColumn) -> Vec<u64> {
        c.iter().map(OptF64::to_bits).collect()
    }

    fn kinds(c: &FloatColumn) -> String {
        c.chunks
            .iter()
            .map(|ch| match ch {
                FloatChunk::Coded(_) => 'c',
                FloatChunk::Plain(_) => 'p',
            })
            .collect()
    }

    /// A few values: every chunk is codes, a byte a row, and reads back bit for bit (the null,
    /// `-0.0` and `0.0` apart).
    #[test]
    fn few_values_are_codes_and_read_back_exactly() {
        let values = [Some(-1.0), Some(0.0), Some(1.0), None, Some(-0.0)];
        let want: Vec<OptF64> = (0..2 * CHUNK_ROWS + 9)
            .map(|i| OptF64::from(values[i * 7 % 5]))
            .collect();
        let c: FloatColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), "ccc");
        assert_eq!(c.dictionary().len(), 5);
        assert_eq!(bits(&c), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 8] {
            assert_eq!(c[i].to_bits(), want[i].to_bits(), "row {i}");
        }
        // Row 4 is values[28 % 5], the null; row 2 is values[14 % 5], -0.0.
        assert_eq!(c[4].get(), None);
        assert_eq!(c[2].get().map(f64::to_bits), Some((-0.0f64).to_bits()));
    }

    /// The value past a full dictionary turns only its own chunk into plain floats (the rows
    /// before it in the chunk kept), and the next chunk is codes again.
    #[test]
    fn a_value_past_a_full_dictionary_makes_its_chunk_plain() {
        let mut want = Vec::new();
        for i in 0..CHUNK_ROWS + 100 {
            want.push(OptF64::from(Some((i % DICTIONARY_MAX) as f64)));
        }
        want.push(OptF64::from(Some(0.5))); // chunk 1, row 101: the 17th value
        want.extend((0..CHUNK_ROWS).map(|i| OptF64::from(Some((i % 3) as f64))));
        let c: FloatColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), "cpc");
        assert_eq!(c.dictionary().len(), DICTIONARY_MAX);
        assert_eq!(bits(&c), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        assert_eq!(c[CHUNK_ROWS + 100].get(), Some(0.5));
        assert_eq!(
            c[CHUNK_ROWS + 99].get(),
            Some(((CHUNK_ROWS + 99) % DICTIONARY_MAX) as f64)
        );
    }

    /// Continuous values: the first chunk goes plain at its 17th row, every later one at its first.
    #[test]
    fn continuous_values_are_plain_floats() {
        let want: Vec<OptF64> = (0..3 * CHUNK_ROWS)
            .map(|i| OptF64::from(Some(i as f64 * 0.001)))
            .collect();
        let c: FloatColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), "ppp");
        assert_eq!(bits(&c), want.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
    }

    #[test]
    fn a_slice_is_one_chunk_as_stored_or_none() {
        let mut c = FloatColumn::new();
        (0..2 * CHUNK_ROWS + 5).for_each(|i| c.push(OptF64::from(Some((i % 4) as f64))));
        let all: Vec<OptF64> = c.iter().collect();
        for (a, b) in [
            (0, CHUNK_ROWS),
            (7, 9),
            (CHUNK_ROWS, 2 * CHUNK_ROWS),
            (2 * CHUNK_ROWS, 2 * CHUNK_ROWS + 5),
        ] {
            let s = c.slice(a, b).expect("one chunk");
            assert!(matches!(s, FloatSlice::Coded { .. }));
            assert_eq!(s.len(), b - a);
            assert!(s.values().zip(&all[a..b]).all(|(x, y)| x == *y), "{a}..{b}");
        }
        assert!(c.slice(5, 5).is_some_and(|s| s.is_empty()));
        assert!(c.slice(CHUNK_ROWS - 1, CHUNK_ROWS + 1).is_none(), "two chunks");
        assert!(c.slice(2 * CHUNK_ROWS, 2 * CHUNK_ROWS + 6).is_none(), "past the end");
    }

    /// Appending re-codes into the receiving column's dictionary, whose codes differ.
    #[test]
    fn extend_from_codes_into_its_own_dictionary() {
        let mut a: FloatColumn = [2.0, 3.0].iter().map(|&f| OptF64::from(Some(f))).collect();
        let b: FloatColumn = (0..CHUNK_ROWS + 3)
            .map(|i| OptF64::from(Some([3.0, 7.0, 2.0][i % 3])))
            .collect();
        a.extend_from(&b);
        let want: Vec<Option<f64>> = [2.0, 3.0]
            .into_iter()
            .chain((0..CHUNK_ROWS + 3).map(|i| [3.0, 7.0, 2.0][i % 3]))
            .map(Some)
            .collect();
        assert_eq!(a, want);
        assert_eq!(a.dictionary().len(), 3);
        assert_eq!(kinds(&a), "cc");
    }

    #[test]
    fn wire_round_trip_is_a_float_sequence() {
        let c: FloatColumn = (0..CHUNK_ROWS + 40)
            .map(|i| OptF64::from((i % 3 != 0).then_some(if i < 20 { i as f64 } else { -1.0 })))
            .collect();
        let bytes = postcard::to_allocvec(&c).unwrap();
        let as_floats: crate::chunked::Chunked<OptF64> = postcard::from_bytes(&bytes).unwrap();
        assert!(as_floats.iter().zip(c.iter()).all(|(a, b)| *a == b));
        assert_eq!(as_floats.len(), c.len());
        let back: FloatColumn = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
    }

    #[test]
    #[should_panic]
    fn index_past_the_end_panics() {
        let c: FloatColumn = (0..10).map(|i| OptF64::from(Some(i as f64))).collect();
        let _ = c[CHUNK_ROWS];
    }
}

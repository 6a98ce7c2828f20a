//! The accelerometer's `x`, `y` and `z` landing columns: nullable floats stored chunk by chunk as
//! one-byte codes into a small dictionary of the chunk's values, or as plain floats in the chunks
//! whose values do not fit one.
//!
//! Why: an accelerometer reading is a user id (4 bytes), a timestamp (8) and three floats, and
//! the real data's floats take three values (-1.0, 0.0 and 1.0). Stored as [`OptF64`]s they were
//! 24 of the reading's 36 bytes; as codes they are 3. In wasm32 every byte the landing set holds
//! is fresh memory the tab keeps (page faults while reading, a 4 GiB ceiling on how much one tab
//! can read) and bytes the engine hands to the landing writer. Measured on real x100
//! (docs/performance.md, session 14): the page's wasm memory 480 → 299 MB, the CLI's peak RSS
//! 434 → 270 MB.
//!
//! The rule: a chunk of [`CHUNK_ROWS`] rows starts as codes into its own dictionary of at most
//! [`DICTIONARY_MAX`] distinct values (bit for bit: `-0.0` and `0.0` are two values, as are
//! `None` and any float), in the order they first came. The first value that is not in a full
//! dictionary turns that chunk into plain floats (its codes looked up once), and the next chunk
//! starts as codes again with a dictionary of its own. So any data is stored exactly, data of few
//! values takes a byte per row, and a stretch of odd values costs only the chunks it is in.
//!
//! Data flow: `ingest` pushes each decoded value ([`FloatColumn::push`]); `rules`, `explore` and
//! `tables` read rows by index (`col[i]`, an [`OptF64`]); the Parquet sink and the
//! landing chunks take a chunk at a time ([`FloatColumn::chunk`], [`FloatColumn::slice`] as a
//! [`FloatSlice`]); the wire format between decoders (`ingest::transfer`) is the rows' floats.

use crate::chunked::{compact_column, full_capacity, one_chunk, OptF64, CHUNK_MASK, CHUNK_ROWS, CHUNK_SHIFT};

/// The most distinct values a chunk's dictionary holds (a code is one byte; a lookup scans
/// the dictionary, so it stays short).
pub const DICTIONARY_MAX: usize = 16;

/// A nullable float column: [`CHUNK_ROWS`]-row chunks of codes, each into its own dictionary, or
/// of plain floats (module comment). Indexing (`col[i]`) panics past the end, as a slice does.
#[derive(Debug, Default)]
pub struct FloatColumn {
    chunks: Vec<FloatChunk>,
    len: usize,
}

/// One chunk's rows: codes into its dictionary (the values in the order they first came, never
/// more than [`DICTIONARY_MAX`]), or the floats themselves.
#[derive(Debug)]
enum FloatChunk {
    Coded { dictionary: Vec<OptF64>, codes: Vec<u8> },
    Plain(Vec<OptF64>),
}

/// Consecutive rows of a [`FloatColumn`] within one chunk, as stored.
#[derive(Debug, Clone, Copy)]
pub enum FloatSlice<'a> {
    /// `codes[i]` is the row's index into `dictionary`.
    Coded {
        /// The chunk's dictionary.
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
                FloatChunk::Coded { dictionary, codes } => FloatChunk::Coded {
                    dictionary: {
                        let mut d = Vec::with_capacity(DICTIONARY_MAX);
                        d.extend_from_slice(dictionary);
                        d
                    },
                    codes: full_capacity(codes),
                },
                FloatChunk::Plain(values) => FloatChunk::Plain(full_capacity(values)),
            })
            .collect();
        FloatColumn { chunks, len: self.len }
    }
}

impl FloatColumn {
    /// Append one row. Inlined into the decoders' loops, as [`crate::chunked::Chunked::push`] is.
    #[inline(always)]
    pub fn push(&mut self, value: OptF64) {
        let bits = value.to_bits();
        match self.chunks.last_mut() {
            Some(FloatChunk::Coded { dictionary, codes }) if self.len & CHUNK_MASK != 0 => {
                match dictionary.iter().position(|d| d.to_bits() == bits) {
                    Some(code) => codes.push(code as u8),
                    None => self.push_new_value(value),
                }
            }
            Some(FloatChunk::Plain(values)) if self.len & CHUNK_MASK != 0 => values.push(value),
            _ => self.push_in_new_chunk(value),
        }
        self.len += 1;
    }

    /// [`FloatColumn::push`] of a value not in the dictionary of the open chunk of codes: a new
    /// entry, or (the dictionary full) the chunk becomes plain floats.
    #[cold]
    #[inline(never)]
    fn push_new_value(&mut self, value: OptF64) {
        let last = self.chunks.last_mut().expect("a chunk of codes is open");
        if let FloatChunk::Coded { dictionary, codes } = last {
            if dictionary.len() < DICTIONARY_MAX {
                codes.push(dictionary.len() as u8);
                dictionary.push(value);
                return;
            }
            let mut values = Vec::with_capacity(CHUNK_ROWS);
            values.extend(codes.iter().map(|&c| dictionary[c as usize]));
            *last = FloatChunk::Plain(values);
        }
        if let FloatChunk::Plain(values) = last {
            values.push(value);
        }
    }

    /// [`FloatColumn::push`] when the last chunk is full (or there is none): a new chunk of codes
    /// whose dictionary is this value.
    #[cold]
    #[inline(never)]
    fn push_in_new_chunk(&mut self, value: OptF64) {
        let mut dictionary = Vec::with_capacity(DICTIONARY_MAX);
        dictionary.push(value);
        let mut codes = Vec::with_capacity(CHUNK_ROWS);
        codes.push(0);
        self.chunks.push(FloatChunk::Coded { dictionary, codes });
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = OptF64> + '_ {
        (0..self.chunks.len()).flat_map(move |k| self.chunk(k).values())
    }

    /// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) as stored. Panics past the last chunk.
    pub fn chunk(&self, k: usize) -> FloatSlice<'_> {
        match &self.chunks[k] {
            FloatChunk::Coded { dictionary, codes } => FloatSlice::Coded { dictionary, codes },
            FloatChunk::Plain(values) => FloatSlice::Plain(values),
        }
    }

    /// Rows `start..end` as stored when they lie in one chunk (a Parquet batch of a whole
    /// column), else `None`.
    pub fn slice(&self, start: usize, end: usize) -> Option<FloatSlice<'_>> {
        let Some((k, rows)) = one_chunk(start, end, self.len)? else {
            return Some(FloatSlice::Plain(&[]));
        };
        Some(match self.chunk(k) {
            FloatSlice::Coded { dictionary, codes } => FloatSlice::Coded {
                dictionary,
                codes: &codes[rows],
            },
            FloatSlice::Plain(values) => FloatSlice::Plain(&values[rows]),
        })
    }

    /// Append every row of `other`, in order (coded again into this column's chunks; a loop over
    /// each of `other`'s chunks as stored).
    pub fn extend_from(&mut self, other: &FloatColumn) {
        for chunk in &other.chunks {
            match chunk {
                FloatChunk::Coded { dictionary, codes } => {
                    codes.iter().for_each(|&c| self.push(dictionary[c as usize]))
                }
                FloatChunk::Plain(values) => values.iter().for_each(|&v| self.push(v)),
            }
        }
    }
}

impl std::ops::Index<usize> for FloatColumn {
    type Output = OptF64;
    #[inline]
    fn index(&self, i: usize) -> &OptF64 {
        match &self.chunks[i >> CHUNK_SHIFT] {
            FloatChunk::Coded { dictionary, codes } => &dictionary[codes[i & CHUNK_MASK] as usize],
            FloatChunk::Plain(values) => &values[i & CHUNK_MASK],
        }
    }
}

compact_column!(FloatColumn, OptF64, Option<f64>, "a sequence of floats");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::assert_slices_are_one_chunk;

    fn of(values: &[Option<f64>]) -> Vec<OptF64> {
        values.iter().map(|&v| OptF64::from(v)).collect()
    }

    fn bits(values: impl Iterator<Item = OptF64>) -> Vec<u64> {
        values.map(OptF64::to_bits).collect()
    }

    /// Each chunk's kind ('c' codes, 'p' plain) and dictionary size (0 for plain).
    fn kinds(c: &FloatColumn) -> Vec<(char, usize)> {
        c.chunks
            .iter()
            .map(|ch| match ch {
                FloatChunk::Coded { dictionary, .. } => ('c', dictionary.len()),
                FloatChunk::Plain(_) => ('p', 0),
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
        assert_eq!(kinds(&c), [('c', 5), ('c', 5), ('c', 5)]);
        assert_eq!(bits(c.iter()), bits(want.iter().copied()));
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 8] {
            assert_eq!(c[i].to_bits(), want[i].to_bits(), "row {i}");
        }
        // Row 4 is values[28 % 5], the null; row 2 is values[14 % 5], -0.0.
        assert_eq!(c[4].get(), None);
        assert_eq!(c[2].get().map(f64::to_bits), Some((-0.0f64).to_bits()));
    }

    /// The value past a full dictionary turns only its own chunk into plain floats (the rows
    /// before it kept, the null among them), and the next chunk is codes again with a
    /// dictionary of its own: a stretch of odd values costs only its chunk.
    #[test]
    fn a_value_past_a_full_dictionary_makes_only_its_chunk_plain() {
        let mut want = Vec::new();
        for i in 0..CHUNK_ROWS + 100 {
            want.push(OptF64::from(
                (i % DICTIONARY_MAX != 7).then_some((i % DICTIONARY_MAX) as f64),
            ));
        }
        want.push(OptF64::from(Some(0.5))); // chunk 1, row 100: its 17th value
        want.push(OptF64::NONE);
        want.extend((0..CHUNK_ROWS).map(|i| OptF64::from(Some([10.0, 20.0, 30.0][i % 3]))));
        let c: FloatColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), [('c', DICTIONARY_MAX), ('p', 0), ('c', 3)]);
        assert_eq!(bits(c.iter()), bits(want.iter().copied()));
        assert_eq!(c[CHUNK_ROWS + 100].get(), Some(0.5));
        assert_eq!(c[CHUNK_ROWS + 101].get(), None);
        assert_eq!(
            c[CHUNK_ROWS + 7].get(),
            None,
            "a null coded before the chunk went plain"
        );
        assert_eq!(
            c[CHUNK_ROWS + 99].get(),
            Some(((CHUNK_ROWS + 99) % DICTIONARY_MAX) as f64)
        );
        // The null as the value past a full dictionary.
        let mut v: Vec<OptF64> = (0..DICTIONARY_MAX).map(|i| OptF64::from(Some(i as f64))).collect();
        v.push(OptF64::NONE);
        let c: FloatColumn = v.iter().copied().collect();
        assert_eq!((kinds(&c), bits(c.iter())), (vec![('p', 0)], bits(v.iter().copied())));
    }

    /// Continuous values: each chunk goes plain at its 17th row.
    #[test]
    fn continuous_values_are_plain_floats() {
        let want: Vec<OptF64> = (0..3 * CHUNK_ROWS)
            .map(|i| OptF64::from(Some(i as f64 * 0.001)))
            .collect();
        let c: FloatColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), [('p', 0), ('p', 0), ('p', 0)]);
        assert_eq!(bits(c.iter()), bits(want.iter().copied()));
    }

    #[test]
    fn a_slice_is_one_chunk_as_stored_or_none() {
        // Chunk 0 codes, chunk 1 plain, chunk 2 codes (5 rows).
        let mut c = FloatColumn::new();
        (0..2 * CHUNK_ROWS + 5).for_each(|i| {
            let plain = (CHUNK_ROWS..2 * CHUNK_ROWS).contains(&i);
            c.push(OptF64::from(Some(if plain { i as f64 } else { (i % 4) as f64 })));
        });
        assert_eq!(kinds(&c), [('c', 4), ('p', 0), ('c', 4)]);
        let all: Vec<OptF64> = c.iter().collect();
        let slice = |a: usize, b: usize| {
            c.slice(a, b).map(|s| {
                assert_eq!(s.len(), b - a, "{a}..{b}");
                s.values().collect()
            })
        };
        assert_slices_are_one_chunk(&all, slice, &[(CHUNK_ROWS + 3, CHUNK_ROWS + 9)]);
        for (a, kind) in [(0, 'c'), (CHUNK_ROWS + 3, 'p'), (2 * CHUNK_ROWS, 'c')] {
            let got = match c.slice(a, a + 2) {
                Some(FloatSlice::Coded { .. }) => 'c',
                Some(FloatSlice::Plain(_)) => 'p',
                None => '-',
            };
            assert_eq!(got, kind, "{a}");
        }
        assert!(FloatColumn::new().slice(0, 0).is_some_and(|s| s.is_empty()));
    }

    /// Appending re-codes into the receiving column's chunks, from an unaligned length, across a
    /// chunk edge and into a conversion.
    #[test]
    fn extend_from_codes_into_its_own_chunks() {
        let mut a: FloatColumn = of(&[Some(2.0), Some(3.0)]).into_iter().collect();
        let b: FloatColumn = (0..CHUNK_ROWS + 3)
            .map(|i| OptF64::from(Some([3.0, 7.0, 2.0][i % 3])))
            .collect();
        a.extend_from(&b);
        let mut want = of(&[Some(2.0), Some(3.0)]);
        want.extend(b.iter());
        assert_eq!(bits(a.iter()), bits(want.iter().copied()));
        assert_eq!(kinds(&a), [('c', 3), ('c', 3)]);
        // Odd values appended mid-chunk turn that chunk plain; the rows stay.
        let odd: FloatColumn = (0..40).map(|i| OptF64::from(Some(i as f64 + 0.25))).collect();
        a.extend_from(&odd);
        want.extend(odd.iter());
        assert_eq!(bits(a.iter()), bits(want.iter().copied()));
        assert_eq!(kinds(&a), [('c', 3), ('p', 0)]);
    }

    /// A clone is equal, stored the same way, and grows as the original would.
    #[test]
    fn a_clone_is_the_same_column() {
        let c: FloatColumn = (0..CHUNK_ROWS + 20)
            .map(|i| OptF64::from((i % 9 != 0).then_some(if i < CHUNK_ROWS { (i % 3) as f64 } else { i as f64 })))
            .collect();
        let mut d = c.clone();
        assert!(d == c);
        assert_eq!(kinds(&d), kinds(&c));
        // At full capacity, as pushes allocate them (a derived clone would not be).
        assert!(d.chunks.iter().all(|ch| match ch {
            FloatChunk::Coded { dictionary, codes } =>
                codes.capacity() == CHUNK_ROWS && dictionary.capacity() == DICTIONARY_MAX,
            FloatChunk::Plain(values) => values.capacity() == CHUNK_ROWS,
        }));
        let mut e = c;
        for v in [Some(1.0), None, Some(99.5)] {
            d.push(OptF64::from(v));
            e.push(OptF64::from(v));
        }
        assert_eq!(bits(d.iter()), bits(e.iter()));
    }

    /// Equal columns have the same rows bit for bit.
    #[test]
    fn equality_is_bit_for_bit_row_by_row() {
        let a: FloatColumn = of(&[Some(0.0), None, Some(1.0)]).into_iter().collect();
        let b: FloatColumn = of(&[Some(-0.0), None, Some(1.0)]).into_iter().collect();
        let c: FloatColumn = of(&[Some(0.0), None]).into_iter().collect();
        assert!(a == a.clone());
        assert!(a != b, "-0.0 is not 0.0");
        assert!(a != c, "a row fewer");
        assert!(a == vec![Some(0.0), None, Some(1.0)]);
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
        assert!(back == c);
    }

    #[test]
    #[should_panic]
    fn index_past_the_end_panics() {
        let c: FloatColumn = (0..10).map(|i| OptF64::from(Some(i as f64))).collect();
        let _ = c[CHUNK_ROWS];
    }
}

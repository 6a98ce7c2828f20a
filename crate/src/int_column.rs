//! The step_trainer's `distanceFromObject` landing column: nullable integers in 8 bytes a row
//! instead of `Option<i64>`'s 16.
//!
//! Why: a step reading is a time (8 bytes), a serial id (4) and this distance, so the distance was
//! more than half of the reading's 28 bytes; in wasm32 every byte the landing set holds is fresh
//! memory the tab keeps (see `float_column`, docs/performance.md, session 14).
//!
//! The rule: a chunk of [`CHUNK_ROWS`] rows stores each row as an `i64`, null as `i64::MIN`
//! ([`NULL`]). A real `i64::MIN` (a JSON integer may be -9223372036854775808) turns its chunk into
//! `Option<i64>`s, and the next chunk starts as `i64`s again, so every value is stored exactly.
//!
//! Data flow: `ingest` pushes each decoded value ([`OptI64Column::push`]); `rules`, `quality`,
//! `explore` and `tables` read rows by index ([`OptI64Column::get`]); the Parquet sink and the
//! landing chunks take a chunk at a time ([`OptI64Column::chunk`], [`OptI64Column::slice`]); the
//! wire format between decoders (`ingest::transfer`) is the rows' `Option<i64>`s.

use crate::chunked::{compact_column, full_capacity, one_chunk, CHUNK_MASK, CHUNK_ROWS, CHUNK_SHIFT};

/// How a chunk of plain `i64`s stores a null.
pub const NULL: i64 = i64::MIN;

/// A nullable `i64` column in [`CHUNK_ROWS`]-row chunks (module comment). [`OptI64Column::get`]
/// panics past the end, as indexing a slice does.
#[derive(Debug, Default)]
pub struct OptI64Column {
    chunks: Vec<IntChunk>,
    len: usize,
}

/// One chunk's rows: `i64`s with [`NULL`] for null, or (holding a real `i64::MIN`) `Option`s.
#[derive(Debug)]
enum IntChunk {
    Plain(Vec<i64>),
    Options(Vec<Option<i64>>),
}

/// Consecutive rows of an [`OptI64Column`] within one chunk, as stored.
#[derive(Debug, Clone, Copy)]
pub enum IntSlice<'a> {
    /// The rows' values, [`NULL`] for null.
    Plain(&'a [i64]),
    /// The rows' values.
    Options(&'a [Option<i64>]),
}

impl<'a> IntSlice<'a> {
    /// Rows in the slice.
    pub fn len(&self) -> usize {
        match self {
            IntSlice::Plain(v) => v.len(),
            IntSlice::Options(v) => v.len(),
        }
    }

    /// Whether the slice has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows' values, in order.
    pub fn values(self) -> impl Iterator<Item = Option<i64>> + 'a {
        let (plain, options) = match self {
            IntSlice::Plain(v) => (Some(v.iter().map(|&x| (x != NULL).then_some(x))), None),
            IntSlice::Options(v) => (None, Some(v.iter().copied())),
        };
        plain.into_iter().flatten().chain(options.into_iter().flatten())
    }
}

/// Every chunk at its full capacity, as [`OptI64Column::push`] allocates them.
impl Clone for OptI64Column {
    fn clone(&self) -> Self {
        let chunks = self
            .chunks
            .iter()
            .map(|c| match c {
                IntChunk::Plain(v) => IntChunk::Plain(full_capacity(v)),
                IntChunk::Options(v) => IntChunk::Options(full_capacity(v)),
            })
            .collect();
        OptI64Column { chunks, len: self.len }
    }
}

impl OptI64Column {
    /// Append one row. Inlined into the decoders' loops, as [`crate::chunked::Chunked::push`] is.
    #[inline(always)]
    pub fn push(&mut self, value: Option<i64>) {
        match self.chunks.last_mut() {
            Some(IntChunk::Plain(values)) if self.len & CHUNK_MASK != 0 && value != Some(NULL) => {
                values.push(value.unwrap_or(NULL))
            }
            Some(IntChunk::Options(values)) if self.len & CHUNK_MASK != 0 => values.push(value),
            _ => self.push_slow(value),
        }
        self.len += 1;
    }

    /// [`OptI64Column::push`] into a new chunk, or of a real `i64::MIN` into a chunk of `i64`s.
    #[cold]
    #[inline(never)]
    fn push_slow(&mut self, value: Option<i64>) {
        if self.len & CHUNK_MASK == 0 {
            self.chunks.push(IntChunk::Plain(Vec::with_capacity(CHUNK_ROWS)));
        }
        let last = self.chunks.last_mut().expect("a chunk is open");
        if value == Some(NULL) {
            if let IntChunk::Plain(values) = last {
                let mut options = Vec::with_capacity(CHUNK_ROWS);
                options.extend(values.iter().map(|&x| (x != NULL).then_some(x)));
                *last = IntChunk::Options(options);
            }
        }
        match last {
            IntChunk::Plain(values) => values.push(value.unwrap_or(NULL)),
            IntChunk::Options(values) => values.push(value),
        }
    }

    /// Row `i`'s value. Panics past the end.
    #[inline]
    pub fn get(&self, i: usize) -> Option<i64> {
        match &self.chunks[i >> CHUNK_SHIFT] {
            IntChunk::Plain(values) => {
                let x = values[i & CHUNK_MASK];
                (x != NULL).then_some(x)
            }
            IntChunk::Options(values) => values[i & CHUNK_MASK],
        }
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<i64>> + '_ {
        (0..self.chunks.len()).flat_map(move |k| self.chunk(k).values())
    }

    /// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) as stored. Panics past the last chunk.
    pub fn chunk(&self, k: usize) -> IntSlice<'_> {
        match &self.chunks[k] {
            IntChunk::Plain(values) => IntSlice::Plain(values),
            IntChunk::Options(values) => IntSlice::Options(values),
        }
    }

    /// Rows `start..end` as stored when they lie in one chunk (a Parquet batch of a whole
    /// column), else `None`.
    pub fn slice(&self, start: usize, end: usize) -> Option<IntSlice<'_>> {
        let Some((k, rows)) = one_chunk(start, end, self.len)? else {
            return Some(IntSlice::Plain(&[]));
        };
        Some(match self.chunk(k) {
            IntSlice::Plain(values) => IntSlice::Plain(&values[rows]),
            IntSlice::Options(values) => IntSlice::Options(&values[rows]),
        })
    }

    /// Append every row of `other`, in order (a loop over each chunk as stored).
    pub fn extend_from(&mut self, other: &OptI64Column) {
        for chunk in &other.chunks {
            match chunk {
                IntChunk::Plain(values) => values.iter().for_each(|&v| self.push((v != NULL).then_some(v))),
                IntChunk::Options(values) => values.iter().for_each(|&v| self.push(v)),
            }
        }
    }
}

compact_column!(
    OptI64Column,
    Option<i64>,
    Option<i64>,
    "a sequence of optional integers"
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::assert_slices_are_one_chunk;

    fn kinds(c: &OptI64Column) -> String {
        c.chunks
            .iter()
            .map(|ch| match ch {
                IntChunk::Plain(_) => 'p',
                IntChunk::Options(_) => 'o',
            })
            .collect()
    }

    /// Nulls and values read back; a chunk is 8 bytes a row.
    #[test]
    fn values_and_nulls_read_back() {
        let want: Vec<Option<i64>> = (0..2 * CHUNK_ROWS + 9)
            .map(|i| (i % 7 != 0).then_some(i as i64 - 300))
            .collect();
        let c: OptI64Column = want.iter().copied().collect();
        assert_eq!(kinds(&c), "ppp");
        assert_eq!(c, want);
        for i in [0, 1, 7, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 8] {
            assert_eq!(c.get(i), want[i], "row {i}");
        }
        assert_eq!(c.iter().collect::<Vec<_>>(), want);
    }

    /// A real `i64::MIN` turns only its chunk into `Option`s (the rows before it kept, nulls
    /// still null), and the next chunk is `i64`s again.
    #[test]
    fn a_real_minimum_makes_its_chunk_options() {
        let mut want: Vec<Option<i64>> = (0..CHUNK_ROWS + 100)
            .map(|i| (i % 3 != 0).then_some(i as i64))
            .collect();
        want.push(Some(i64::MIN)); // chunk 1, row 100
        want.push(None);
        want.extend((0..CHUNK_ROWS).map(|i| (i % 5 != 0).then_some(-(i as i64))));
        let c: OptI64Column = want.iter().copied().collect();
        assert_eq!(kinds(&c), "pop");
        assert_eq!(c, want);
        assert_eq!(c.get(CHUNK_ROWS + 100), Some(i64::MIN));
        assert_eq!(c.get(CHUNK_ROWS + 101), None);
        assert_eq!(c.get(CHUNK_ROWS + 99), Some(CHUNK_ROWS as i64 + 99));
        assert_eq!(c.get(CHUNK_ROWS + 2), None);
        // The first row of a chunk may be the real minimum too.
        let first: OptI64Column = [Some(i64::MIN), None, Some(1)].into_iter().collect();
        assert_eq!(kinds(&first), "o");
        assert_eq!(first, vec![Some(i64::MIN), None, Some(1)]);
    }

    #[test]
    fn a_slice_is_one_chunk_as_stored_or_none() {
        // Chunk 1 of Options (a real minimum at its row 4).
        let all: Vec<Option<i64>> = (0..2 * CHUNK_ROWS + 5)
            .map(|i| {
                if i == CHUNK_ROWS + 4 {
                    Some(i64::MIN)
                } else {
                    (i % 4 != 0).then_some(i as i64)
                }
            })
            .collect();
        let c: OptI64Column = all.iter().copied().collect();
        assert_eq!(kinds(&c), "pop");
        let slice = |a: usize, b: usize| {
            c.slice(a, b).map(|s| {
                assert_eq!(s.len(), b - a, "{a}..{b}");
                s.values().collect()
            })
        };
        assert_slices_are_one_chunk(&all, slice, &[(CHUNK_ROWS + 3, CHUNK_ROWS + 9)]);
    }

    /// A clone is equal, stored the same way, and grows as the original would.
    #[test]
    fn a_clone_is_the_same_column() {
        let c: OptI64Column = (0..CHUNK_ROWS + 20)
            .map(|i| match i {
                3 => Some(i64::MIN),
                _ if i % 6 == 0 => None,
                _ => Some(i as i64),
            })
            .collect();
        let mut d = c.clone();
        assert!(d == c);
        assert_eq!(kinds(&d), "op");
        // At full capacity, as pushes allocate them (a derived clone would not be).
        assert!(d.chunks.iter().all(|ch| match ch {
            IntChunk::Plain(v) => v.capacity() == CHUNK_ROWS,
            IntChunk::Options(v) => v.capacity() == CHUNK_ROWS,
        }));
        let mut e = c;
        for v in [None, Some(i64::MIN), Some(4)] {
            d.push(v);
            e.push(v);
        }
        assert!(d == e);
        assert_eq!(kinds(&d), "oo");
    }

    #[test]
    fn wire_round_trip_is_a_sequence_of_options() {
        let c: OptI64Column = (0..CHUNK_ROWS + 40)
            .map(|i| match i % 5 {
                0 => None,
                1 => Some(i64::MIN),
                _ => Some(i as i64),
            })
            .collect();
        let bytes = postcard::to_allocvec(&c).unwrap();
        let as_options: crate::chunked::Chunked<Option<i64>> = postcard::from_bytes(&bytes).unwrap();
        assert!(as_options.iter().copied().eq(c.iter()));
        let back: OptI64Column = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        let mut grown = OptI64Column::new();
        grown.extend_from(&c);
        grown.extend_from(&back);
        assert_eq!(grown.len(), 2 * c.len());
        assert!(grown.iter().eq(c.iter().chain(c.iter())));
    }
}

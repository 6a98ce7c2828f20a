//! The readings' time columns (accelerometer `timestamp`, step_trainer `sensorReadingTime`, epoch
//! milliseconds): each row in 4 bytes as an offset from its chunk's base instead of 8 as an `i64`.
//!
//! Why: after `float_column` and `int_column` the time was 8 of an accelerometer reading's 15
//! bytes and of a step reading's 20; in wasm32 every byte the landing set holds is fresh memory the
//! tab keeps (docs/performance.md, session 14).
//!
//! The rule: a chunk of [`CHUNK_ROWS`] rows takes its base from its first row (that row minus
//! 2^31) and stores each row as the `u32` offset `row - base` (wrapping `i64` arithmetic, so the
//! row is `base + offset` exactly, whatever the values). The first row more than ~24.8 days from
//! the chunk's first one (the real data's readings span 43 minutes) turns that chunk into plain
//! `i64`s, and the next chunk starts as offsets again, so every value is stored exactly.
//!
//! Data flow: `ingest` pushes each decoded value ([`EpochColumn::push`]); `rules`, `quality`,
//! `explore` and `tables` read rows by index ([`EpochColumn::get`]) or in order
//! ([`EpochColumn::iter`]); the Parquet sink and the landing chunks take a chunk at a time
//! ([`EpochColumn::chunk`], [`EpochColumn::slice`]); the wire format between decoders
//! (`ingest::transfer`) is the rows' `i64`s.

use crate::chunked::{compact_column, full_capacity, one_chunk, CHUNK_MASK, CHUNK_ROWS, CHUNK_SHIFT};

/// How far below a chunk's first row its base is: 2^31 ms, so rows from ~24.8 days before the
/// first to ~24.8 days after it are offsets.
const BASE_BELOW_FIRST: i64 = 1 << 31;

/// An `i64` column (epoch milliseconds) in [`CHUNK_ROWS`]-row chunks of offsets from a base, or of
/// plain `i64`s (module comment). [`EpochColumn::get`] panics past the end, as indexing does.
#[derive(Debug, Default)]
pub struct EpochColumn {
    chunks: Vec<EpochChunk>,
    len: usize,
}

#[derive(Debug)]
enum EpochChunk {
    Offsets { base: i64, offsets: Vec<u32> },
    Plain(Vec<i64>),
}

/// Consecutive rows of an [`EpochColumn`] within one chunk, as stored.
#[derive(Debug, Clone, Copy)]
pub enum EpochSlice<'a> {
    /// Row `i` is `base.wrapping_add(offsets[i] as i64)`.
    Offsets {
        /// The chunk's base.
        base: i64,
        /// One offset per row.
        offsets: &'a [u32],
    },
    /// The rows' values.
    Plain(&'a [i64]),
}

impl<'a> EpochSlice<'a> {
    /// Rows in the slice.
    pub fn len(&self) -> usize {
        match self {
            EpochSlice::Offsets { offsets, .. } => offsets.len(),
            EpochSlice::Plain(values) => values.len(),
        }
    }

    /// Whether the slice has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows' values, in order.
    pub fn values(self) -> EpochValues<'a> {
        match self {
            EpochSlice::Offsets { base, offsets } => EpochValues::Offsets(base, offsets.iter()),
            EpochSlice::Plain(values) => EpochValues::Plain(values.iter()),
        }
    }
}

/// The rows of an [`EpochSlice`], in order: one match a row (the rules scan every row with it).
#[derive(Debug, Clone)]
pub enum EpochValues<'a> {
    /// Offsets from a base.
    Offsets(i64, std::slice::Iter<'a, u32>),
    /// Plain values.
    Plain(std::slice::Iter<'a, i64>),
}

impl Iterator for EpochValues<'_> {
    type Item = i64;
    #[inline]
    fn next(&mut self) -> Option<i64> {
        match self {
            EpochValues::Offsets(base, offsets) => offsets.next().map(|&o| base.wrapping_add(o as i64)),
            EpochValues::Plain(values) => values.next().copied(),
        }
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self {
            EpochValues::Offsets(_, offsets) => offsets.len(),
            EpochValues::Plain(values) => values.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for EpochValues<'_> {}

/// Every chunk at its full capacity, as [`EpochColumn::push`] allocates them.
impl Clone for EpochColumn {
    fn clone(&self) -> Self {
        let chunks = self
            .chunks
            .iter()
            .map(|c| match c {
                EpochChunk::Offsets { base, offsets } => EpochChunk::Offsets {
                    base: *base,
                    offsets: full_capacity(offsets),
                },
                EpochChunk::Plain(values) => EpochChunk::Plain(full_capacity(values)),
            })
            .collect();
        EpochColumn { chunks, len: self.len }
    }
}

impl EpochColumn {
    /// Append one row. Inlined into the decoders' loops, as [`crate::chunked::Chunked::push`] is.
    #[inline(always)]
    pub fn push(&mut self, value: i64) {
        match self.chunks.last_mut() {
            Some(EpochChunk::Offsets { base, offsets }) if self.len & CHUNK_MASK != 0 => {
                let offset = value.wrapping_sub(*base) as u64;
                if offset <= u32::MAX as u64 {
                    offsets.push(offset as u32);
                } else {
                    self.push_plain(value);
                }
            }
            Some(EpochChunk::Plain(values)) if self.len & CHUNK_MASK != 0 => values.push(value),
            _ => self.push_in_new_chunk(value),
        }
        self.len += 1;
    }

    /// [`EpochColumn::push`] of a row too far from the chunk's base: the chunk becomes plain.
    #[cold]
    #[inline(never)]
    fn push_plain(&mut self, value: i64) {
        let last = self.chunks.last_mut().expect("a chunk is open");
        if let EpochChunk::Offsets { base, offsets } = last {
            let mut values = Vec::with_capacity(CHUNK_ROWS);
            values.extend(offsets.iter().map(|&o| base.wrapping_add(o as i64)));
            *last = EpochChunk::Plain(values);
        }
        if let EpochChunk::Plain(values) = last {
            values.push(value);
        }
    }

    /// [`EpochColumn::push`] when the last chunk is full (or there is none): a new chunk of
    /// offsets whose base is this row's [`BASE_BELOW_FIRST`] below it.
    #[cold]
    #[inline(never)]
    fn push_in_new_chunk(&mut self, value: i64) {
        let mut offsets = Vec::with_capacity(CHUNK_ROWS);
        offsets.push(BASE_BELOW_FIRST as u32);
        self.chunks.push(EpochChunk::Offsets {
            base: value.wrapping_sub(BASE_BELOW_FIRST),
            offsets,
        });
    }

    /// Row `i`'s value. Panics past the end.
    #[inline]
    pub fn get(&self, i: usize) -> i64 {
        match &self.chunks[i >> CHUNK_SHIFT] {
            EpochChunk::Offsets { base, offsets } => base.wrapping_add(offsets[i & CHUNK_MASK] as i64),
            EpochChunk::Plain(values) => values[i & CHUNK_MASK],
        }
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        (0..self.chunks.len()).flat_map(move |k| self.chunk(k).values())
    }

    /// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) as stored. Panics past the last chunk.
    pub fn chunk(&self, k: usize) -> EpochSlice<'_> {
        match &self.chunks[k] {
            EpochChunk::Offsets { base, offsets } => EpochSlice::Offsets { base: *base, offsets },
            EpochChunk::Plain(values) => EpochSlice::Plain(values),
        }
    }

    /// Rows `start..end` as stored when they lie in one chunk (a Parquet batch of a whole
    /// column), else `None`.
    pub fn slice(&self, start: usize, end: usize) -> Option<EpochSlice<'_>> {
        let Some((k, rows)) = one_chunk(start, end, self.len)? else {
            return Some(EpochSlice::Plain(&[]));
        };
        Some(match self.chunk(k) {
            EpochSlice::Offsets { base, offsets } => EpochSlice::Offsets {
                base,
                offsets: &offsets[rows],
            },
            EpochSlice::Plain(values) => EpochSlice::Plain(&values[rows]),
        })
    }

    /// Append every row of `other`, in order.
    pub fn extend_from(&mut self, other: &EpochColumn) {
        for v in other.iter() {
            self.push(v);
        }
    }
}

compact_column!(EpochColumn, i64, i64, "a sequence of integers");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::assert_slices_are_one_chunk;

    fn kinds(c: &EpochColumn) -> String {
        c.chunks
            .iter()
            .map(|ch| match ch {
                EpochChunk::Offsets { .. } => 'o',
                EpochChunk::Plain(_) => 'p',
            })
            .collect()
    }

    /// Readings within days of each other, either side of the first: offsets, read back exactly.
    #[test]
    fn close_times_are_offsets_and_read_back_exactly() {
        let t0 = 1_655_564_444_103i64;
        let want: Vec<i64> = (0..2 * CHUNK_ROWS as i64 + 9)
            .map(|i| t0 + (i * 7919 % 200_000) - 100_000)
            .collect();
        let c: EpochColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), "ooo");
        assert_eq!(c, want);
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 8] {
            assert_eq!(c.get(i), want[i], "row {i}");
        }
        // The edges of a chunk's span: 2^31 below its first row and 2^32 - 1 above its base.
        let edges = [t0, t0 - (1 << 31), t0 + (1 << 31) - 1, t0];
        let c: EpochColumn = edges.iter().copied().collect();
        assert_eq!(
            (kinds(&c), c.iter().collect::<Vec<_>>()),
            ("o".to_string(), edges.to_vec())
        );
    }

    /// A row past its chunk's span turns only that chunk plain (the rows before it kept), and
    /// the next chunk is offsets again; extremes of `i64` are stored exactly.
    #[test]
    fn a_far_row_makes_its_chunk_plain() {
        let t0 = 1_655_564_444_103i64;
        let mut want: Vec<i64> = (0..CHUNK_ROWS as i64 + 100).map(|i| t0 + i).collect();
        want.push(t0 + (1 << 31) + CHUNK_ROWS as i64); // chunk 1, row 100: past its base + 2^32
        want.extend([i64::MIN, i64::MAX, 0, -1]);
        want.extend((0..CHUNK_ROWS as i64).map(|i| t0 - i));
        let c: EpochColumn = want.iter().copied().collect();
        assert_eq!(kinds(&c), "opo");
        assert_eq!(c, want);
        assert_eq!(c.get(CHUNK_ROWS + 101), i64::MIN);
        assert_eq!(c.get(CHUNK_ROWS + 99), t0 + CHUNK_ROWS as i64 + 99);
        // Extremes as a chunk's first rows: the base wraps, the values do not.
        let extremes = vec![i64::MIN, 0, i64::MAX];
        let c: EpochColumn = extremes.iter().copied().collect();
        assert_eq!(
            (kinds(&c), c.iter().collect::<Vec<_>>()),
            ("p".to_string(), extremes.clone())
        );
        // Across the wrap of i64 in one chunk (the offset arithmetic wraps too), and just below
        // a chunk's span.
        for pair in [[i64::MAX, i64::MIN], [i64::MIN, i64::MAX]] {
            let c: EpochColumn = pair.into_iter().collect();
            assert_eq!(
                (kinds(&c), c.iter().collect::<Vec<_>>()),
                ("o".to_string(), pair.to_vec())
            );
        }
        let below = [t0, t0 - (1 << 31) - 1];
        let c: EpochColumn = below.into_iter().collect();
        assert_eq!(
            (kinds(&c), c.iter().collect::<Vec<_>>()),
            ("p".to_string(), below.to_vec())
        );
        let c: EpochColumn = [i64::MAX, i64::MAX - 3].into_iter().collect();
        assert_eq!(
            (kinds(&c), c.iter().collect::<Vec<_>>()),
            ("o".to_string(), vec![i64::MAX, i64::MAX - 3])
        );
    }

    #[test]
    fn a_slice_is_one_chunk_as_stored_or_none() {
        // Chunk 1 plain (a row far from the others at its row 3).
        let all: Vec<i64> = (0..2 * CHUNK_ROWS as i64 + 5)
            .map(|i| {
                if i == CHUNK_ROWS as i64 + 3 {
                    -(1 << 40)
                } else {
                    1_000_000 + i * 3
                }
            })
            .collect();
        let c: EpochColumn = all.iter().copied().collect();
        assert_eq!(kinds(&c), "opo");
        let slice = |a: usize, b: usize| {
            c.slice(a, b).map(|s| {
                assert_eq!(s.len(), b - a, "{a}..{b}");
                s.values().collect()
            })
        };
        assert_slices_are_one_chunk(&all, slice, &[(CHUNK_ROWS + 2, CHUNK_ROWS + 6)]);
    }

    /// A clone is equal, stored the same way, and grows as the original would.
    #[test]
    fn a_clone_is_the_same_column() {
        let c: EpochColumn = (0..CHUNK_ROWS as i64 + 20)
            .map(|i| if i == 5 { i64::MIN } else { 1_655_564_444_103 + i })
            .collect();
        let mut d = c.clone();
        assert!(d == c);
        assert_eq!(kinds(&d), kinds(&c));
        assert_eq!(kinds(&d), "po");
        // At full capacity, as pushes allocate them (a derived clone would not be).
        assert!(d.chunks.iter().all(|ch| match ch {
            EpochChunk::Offsets { offsets, .. } => offsets.capacity() == CHUNK_ROWS,
            EpochChunk::Plain(v) => v.capacity() == CHUNK_ROWS,
        }));
        let mut e = c;
        for v in [7, i64::MAX, 1_655_564_444_103] {
            d.push(v);
            e.push(v);
        }
        assert!(d == e);
        assert_eq!(d.get(d.len() - 2), i64::MAX);
    }

    #[test]
    fn wire_round_trip_is_a_sequence_of_i64() {
        let c: EpochColumn = (0..CHUNK_ROWS as i64 + 40)
            .map(|i| {
                if i % 1000 == 7 {
                    i64::MIN + i
                } else {
                    1_655_564_444_103 + i
                }
            })
            .collect();
        let bytes = postcard::to_allocvec(&c).unwrap();
        let as_i64: crate::chunked::Chunked<i64> = postcard::from_bytes(&bytes).unwrap();
        assert!(as_i64.iter().copied().eq(c.iter()));
        let back: EpochColumn = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        let mut grown = EpochColumn::new();
        grown.extend_from(&c);
        grown.extend_from(&back);
        assert!(grown.iter().eq(c.iter().chain(c.iter())));
    }
}

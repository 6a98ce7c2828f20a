//! Append-only landing columns stored in fixed-size chunks (the id columns; the float, distance
//! and time columns keep the same chunks in their own compact forms: `float_column`,
//! `int_column`, `epoch_column`), and the nullable float.
//!
//! Why chunks: a growing `Vec` doubles its capacity and copies itself when full, so at the moment
//! it grows it holds the old and the new buffer at once (three times its length), and up to half
//! of the final buffer is slack. In wasm32 that high-water mark is what the tab keeps: its memory
//! never shrinks. A [`Chunked`] adds rows in chunks of [`CHUNK_ROWS`] allocated once at their full
//! size: nothing is ever copied and at most one chunk per column is partly empty.
//!
//! Why [`OptF64`]: `Option<f64>` takes 16 bytes. A landing float is never NaN (JSON has no NaN,
//! and both decoders read only JSON numbers), so `None` is stored as one NaN bit pattern and a
//! nullable float takes 8 bytes. Measured on real x100 (docs/performance.md): the CLI's peak RSS
//! 618 → 434 MB, the page's wasm memory 932 → 669 MB.
//!
//! Data flow: `ingest` pushes decoded values; `rules`, `quality`, `explore` and `sink` read them
//! by row index (`col[i]`) or in order (`col.iter()`); `Landing::append` and the wire format
//! (`ingest::transfer`) move whole columns.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Rows per chunk: 65,536 (256 KiB of `u32`), a power of two so a row's chunk is a shift.
pub const CHUNK_ROWS: usize = 1 << CHUNK_SHIFT;
pub(crate) const CHUNK_SHIFT: u32 = 16;
pub(crate) const CHUNK_MASK: usize = CHUNK_ROWS - 1;

/// An append-only column of `T` in chunks of [`CHUNK_ROWS`] rows. Indexing (`col[i]`) panics
/// past the end, as a slice does.
#[derive(Debug)]
pub struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

/// Every chunk at its full capacity, as [`Chunked::push`] allocates them (a derived clone would
/// size the last one to its length, and a later push would grow it by doubling).
impl<T: Copy> Clone for Chunked<T> {
    fn clone(&self) -> Self {
        let chunks = self.chunks.iter().map(|c| full_capacity(c)).collect();
        Chunked { chunks, len: self.len }
    }
}

/// A copy of a chunk's rows at a chunk's full capacity ([`CHUNK_ROWS`]), as a push allocates it
/// (every chunked column's `Clone`).
pub(crate) fn full_capacity<T: Copy>(rows: &[T]) -> Vec<T> {
    let mut v = Vec::with_capacity(CHUNK_ROWS);
    v.extend_from_slice(rows);
    v
}

/// Where rows `start..end` of a column of `len` rows lie, when in one chunk (every chunked
/// column's `slice`): `Some(Some((k, rows)))`, chunk `k`'s `rows`; `Some(None)` for an empty
/// range within the column; `None` across chunks or past the end.
pub(crate) fn one_chunk(
    start: usize,
    end: usize,
    len: usize,
) -> Option<Option<(usize, std::ops::RangeInclusive<usize>)>> {
    if start >= end {
        return (start == end && start <= len).then_some(None);
    }
    let k = start >> CHUNK_SHIFT;
    ((end - 1) >> CHUNK_SHIFT == k && end <= len).then(|| Some((k, start & CHUNK_MASK..=(end - 1) & CHUNK_MASK)))
}

/// What every compact landing column (`float_column`, `int_column`, `epoch_column`) shares, for a
/// type `$column` with `Default`, a `len` field, `push($value)` and `iter()` over its rows'
/// `$value`s (compared with `==`: bit for bit for an [`OptF64`]):
/// `new`, `len`, `is_empty`; `Extend` and `FromIterator`; equality row by row (with another
/// column, however each stores its rows, and with a `Vec<$row>`); and the wire format, the rows'
/// values in sequence: a `Chunked<$value>`'s, so the format does not depend on how a column
/// stores them.
macro_rules! compact_column {
    ($column:ident, $value:ty, $row:ty, $expecting:literal) => {
        impl $column {
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
        }

        impl Extend<$value> for $column {
            fn extend<I: IntoIterator<Item = $value>>(&mut self, iter: I) {
                for v in iter {
                    self.push(v);
                }
            }
        }

        impl FromIterator<$value> for $column {
            fn from_iter<I: IntoIterator<Item = $value>>(iter: I) -> Self {
                let mut c = $column::new();
                c.extend(iter);
                c
            }
        }

        /// Row by row (however each side stores them).
        impl PartialEq for $column {
            fn eq(&self, other: &$column) -> bool {
                self.len == other.len && self.iter().eq(other.iter())
            }
        }

        impl PartialEq<Vec<$row>> for $column {
            fn eq(&self, other: &Vec<$row>) -> bool {
                self.len == other.len() && self.iter().zip(other).all(|(a, b)| a == *b)
            }
        }

        /// As a sequence of rows, each its value (the wire format of a `Chunked` of them).
        impl serde::Serialize for $column {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = s.serialize_seq(Some(self.len))?;
                for v in self.iter() {
                    seq.serialize_element(&v)?;
                }
                seq.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $column {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct Rows;
                impl<'de> serde::de::Visitor<'de> for Rows {
                    type Value = $column;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<$column, A::Error> {
                        let mut c = $column::new();
                        while let Some(v) = seq.next_element()? {
                            c.push(v);
                        }
                        Ok(c)
                    }
                }
                d.deserialize_seq(Rows)
            }
        }
    };
}
pub(crate) use compact_column;

/// For the chunked columns' tests: `slice(a, b)` (a column's `slice`, its rows collected) of a
/// column whose rows are `all` (`2 * CHUNK_ROWS + 5` of them) gives `all[a..b]` for ranges within
/// one chunk (the usual ones and `also`), an empty range for `5..5`, and nothing across chunks or
/// past the end.
#[cfg(test)]
pub(crate) fn assert_slices_are_one_chunk<V: PartialEq + std::fmt::Debug>(
    all: &[V],
    slice: impl Fn(usize, usize) -> Option<Vec<V>>,
    also: &[(usize, usize)],
) {
    assert_eq!(all.len(), 2 * CHUNK_ROWS + 5);
    let usual = [
        (0, CHUNK_ROWS),
        (0, 1),
        (7, 9),
        (CHUNK_ROWS, 2 * CHUNK_ROWS),
        (2 * CHUNK_ROWS, all.len()),
    ];
    for &(a, b) in usual.iter().chain(also) {
        assert_eq!(slice(a, b).as_deref(), Some(&all[a..b]), "{a}..{b}");
    }
    for empty in [5, CHUNK_ROWS, all.len()] {
        assert_eq!(slice(empty, empty), Some(Vec::new()), "{empty}..{empty}");
    }
    assert_eq!(slice(9, 7), None, "a reversed range");
    assert_eq!(slice(CHUNK_ROWS - 1, CHUNK_ROWS + 1), None, "two chunks");
    assert_eq!(slice(2 * CHUNK_ROWS, all.len() + 1), None, "past the end");
    assert_eq!(slice(all.len() + 1, all.len() + 1), None, "an empty range past the end");
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Copy> Chunked<T> {
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

    /// Append one row. Inlined into the decoders' loops: in wasm, where the call was not
    /// inlined on its own, pushing was a fifth of the parse time (docs/performance.md, session 9).
    #[inline(always)]
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(chunk) if self.len & CHUNK_MASK != 0 => chunk.push(value),
            _ => self.push_in_new_chunk(value),
        }
        self.len += 1;
    }

    /// [`Chunked::push`] when the last chunk is full (or there is none).
    #[cold]
    #[inline(never)]
    fn push_in_new_chunk(&mut self, value: T) {
        let mut chunk = Vec::with_capacity(CHUNK_ROWS);
        chunk.push(value);
        self.chunks.push(chunk);
    }

    /// The rows in order.
    pub fn iter(&self) -> impl Iterator<Item = &T> + Clone + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The rows as consecutive slices, chunk by chunk (for loops that want a slice's speed).
    pub fn chunks(&self) -> impl Iterator<Item = &[T]> + '_ {
        self.chunks.iter().map(Vec::as_slice)
    }

    /// Rows `k * CHUNK_ROWS ..` (at most [`CHUNK_ROWS`]) as one slice. Panics past the last chunk.
    pub fn chunk(&self, k: usize) -> &[T] {
        &self.chunks[k]
    }

    /// Append every row of `other`, in order.
    pub fn extend_from(&mut self, other: &Chunked<T>) {
        for chunk in other.chunks() {
            self.extend_from_slice(chunk);
        }
    }

    /// Append `values`, in order.
    pub fn extend_from_slice(&mut self, mut values: &[T]) {
        while !values.is_empty() {
            if self.len & CHUNK_MASK == 0 {
                self.chunks.push(Vec::with_capacity(CHUNK_ROWS));
            }
            let chunk = self.chunks.last_mut().expect("a chunk was just ensured");
            let take = (CHUNK_ROWS - chunk.len()).min(values.len());
            chunk.extend_from_slice(&values[..take]);
            self.len += take;
            values = &values[take..];
        }
    }
}

impl<T: Copy> std::ops::Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> CHUNK_SHIFT][i & CHUNK_MASK]
    }
}

impl<T: Copy> Extend<T> for Chunked<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        for v in iter {
            self.push(v);
        }
    }
}

impl<T: Copy> FromIterator<T> for Chunked<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut c = Chunked::new();
        c.extend(iter);
        c
    }
}

impl<T: Copy + PartialEq> PartialEq<Vec<T>> for Chunked<T> {
    fn eq(&self, other: &Vec<T>) -> bool {
        self.len == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Copy + PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Chunked<T>) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

/// As a sequence of rows (postcard: a length, then each row).
impl<T: Copy + Serialize> Serialize for Chunked<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len))?;
        for v in self.iter() {
            seq.serialize_element(v)?;
        }
        seq.end()
    }
}

impl<'de, T: Copy + Deserialize<'de>> Deserialize<'de> for Chunked<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Rows<T>(std::marker::PhantomData<T>);
        impl<'de, T: Copy + Deserialize<'de>> serde::de::Visitor<'de> for Rows<T> {
            type Value = Chunked<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of column values")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Chunked<T>, A::Error> {
                let mut c = Chunked::new();
                while let Some(v) = seq.next_element()? {
                    c.push(v);
                }
                Ok(c)
            }
        }
        d.deserialize_seq(Rows(std::marker::PhantomData))
    }
}

/// A nullable float in 8 bytes: `None` is one NaN bit pattern ([`OptF64::NONE`]), which a JSON
/// number never decodes to. Any other value, NaN included, round-trips as `Some`.
#[derive(Clone, Copy, Debug)]
pub struct OptF64(f64);

/// The bits of [`OptF64::NONE`]: a quiet NaN with a payload arithmetic never produces.
const NONE_BITS: u64 = 0x7ff8_5354_4544_4921;

impl OptF64 {
    /// No value (absent or null in the record).
    pub const NONE: OptF64 = OptF64(f64::from_bits(NONE_BITS));

    /// The stored bits (the null pattern for `None`): [`OptF64::from_bits`] gives the value back.
    #[inline]
    pub fn to_bits(self) -> u64 {
        self.0.to_bits()
    }

    /// The value of [`OptF64::to_bits`]' bits.
    #[inline]
    pub fn from_bits(bits: u64) -> OptF64 {
        OptF64(f64::from_bits(bits))
    }

    /// The value, `None` when absent.
    #[inline]
    pub fn get(self) -> Option<f64> {
        (self.0.to_bits() != NONE_BITS).then_some(self.0)
    }
}

impl From<Option<f64>> for OptF64 {
    #[inline]
    fn from(v: Option<f64>) -> Self {
        match v {
            Some(f) => {
                debug_assert!(f.to_bits() != NONE_BITS, "a decoded float is never the null pattern");
                OptF64(f)
            }
            None => OptF64::NONE,
        }
    }
}

/// Bit for bit (so `NONE == NONE`, and `Some(NaN)` would equal itself).
impl PartialEq for OptF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl PartialEq<Option<f64>> for OptF64 {
    fn eq(&self, other: &Option<f64>) -> bool {
        *self == OptF64::from(*other)
    }
}

/// On the wire as its float, null pattern included (postcard writes a float's 8 bytes as they are).
impl Serialize for OptF64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for OptF64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        f64::deserialize(d).map(OptF64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_across_chunk_edges_read_back_in_order() {
        let n = 3 * CHUNK_ROWS + 17;
        let mut c = Chunked::new();
        for i in 0..n {
            c.push(i as u64 * 3);
        }
        assert_eq!(c.len(), n);
        for i in [0, 1, CHUNK_ROWS - 1, CHUNK_ROWS, 2 * CHUNK_ROWS + 5, n - 1] {
            assert_eq!(c[i], i as u64 * 3);
        }
        assert!(c.iter().enumerate().all(|(i, &v)| v == i as u64 * 3));
        assert_eq!(
            c.chunks().map(<[u64]>::len).collect::<Vec<_>>(),
            [CHUNK_ROWS, CHUNK_ROWS, CHUNK_ROWS, 17]
        );
        // No chunk ever grew past its first allocation.
        assert!(c.chunks.iter().all(|ch| ch.capacity() == CHUNK_ROWS));
    }

    #[test]
    #[should_panic]
    fn index_past_the_end_panics() {
        let c: Chunked<u32> = (0..10).collect();
        let _ = c[CHUNK_ROWS];
    }

    #[test]
    fn extend_from_fills_the_last_chunk_first() {
        let mut a: Chunked<u32> = (0..(CHUNK_ROWS as u32 - 3)).collect();
        let b: Chunked<u32> = (0..(CHUNK_ROWS as u32 + 10)).map(|v| v + 1_000_000).collect();
        a.extend_from(&b);
        let want: Vec<u32> = (0..(CHUNK_ROWS as u32 - 3))
            .chain((0..(CHUNK_ROWS as u32 + 10)).map(|v| v + 1_000_000))
            .collect();
        assert_eq!(a, want);
        assert_eq!(
            a.chunks().map(<[u32]>::len).collect::<Vec<_>>(),
            [CHUNK_ROWS, CHUNK_ROWS, 7]
        );
    }

    #[test]
    fn wire_round_trip_keeps_every_row() {
        let c: Chunked<OptF64> = (0..(CHUNK_ROWS + 3))
            .map(|i| OptF64::from((i % 3 != 0).then_some(i as f64 * -0.5)))
            .collect();
        let bytes = postcard::to_allocvec(&c).unwrap();
        let back: Chunked<OptF64> = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        assert_eq!(back[3].get(), None);
        assert_eq!(back[4].get(), Some(-2.0));
    }

    #[test]
    fn opt_f64_keeps_every_float_but_the_null_pattern() {
        for v in [
            0.0,
            -0.0,
            1.5,
            f64::MIN_POSITIVE,
            f64::MAX,
            -f64::MAX,
            f64::INFINITY,
            5e-324,
        ] {
            assert_eq!(OptF64::from(Some(v)).get().map(f64::to_bits), Some(v.to_bits()));
        }
        // Ordinary NaNs (arithmetic's and parse's) are values, not the null.
        for nan in [
            f64::NAN,
            "NaN".parse::<f64>().unwrap(),
            f64::INFINITY - f64::INFINITY,
            -f64::NAN,
        ] {
            assert!(OptF64::from(Some(nan)).get().is_some_and(f64::is_nan));
        }
        assert_eq!(OptF64::from(None).get(), None);
        assert_eq!(std::mem::size_of::<OptF64>(), 8);
    }
}

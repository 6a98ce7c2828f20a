//! The landing zone in memory: one columnar table per source, plus the two interners that turn
//! emails and serial numbers into small integer ids.
//!
//! Data flow: `ingest` decodes each landing record and appends it to these columns
//! (`ingest::record::decode_into`); `rules` reads them and describes every derived table as row
//! indices into them (the ML table as (step, accelerometer) row pairs; no copies); `sink` reads the
//! values behind those rows through `tables::TableView` when it writes Parquet or NDJSON.
//! Epochs are kept as landed: integers, meant as milliseconds since 1970-01-01 UTC.

use rustc_hash::FxHashMap;

use crate::chunked::{Chunked, OptF64};
use crate::epoch_column::EpochColumn;
use crate::float_column::FloatColumn;
use crate::int_column::OptI64Column;

/// The three landing sources. In JSON (reports, manifests, the wire) by [`Source::name`]; maps
/// keyed by source list them in name order (`accelerometer`, `customer`, `step_trainer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// `customer`: customer records (registrations and later updates).
    Customer,
    /// `accelerometer`: phone accelerometer readings, by user email.
    Accelerometer,
    /// `step_trainer`: step trainer distance readings, by device serial number.
    StepTrainer,
}

impl Source {
    /// Every source, in pipeline order.
    pub const ALL: [Source; 3] = [Source::Customer, Source::Accelerometer, Source::StepTrainer];

    /// The source's name as used in folders, manifests and the CLI (`customer`, `accelerometer`, `step_trainer`).
    pub fn name(self) -> &'static str {
        match self {
            Source::Customer => "customer",
            Source::Accelerometer => "accelerometer",
            Source::StepTrainer => "step_trainer",
        }
    }

    /// The source [`Source::name`] spells `s` (exact, case-sensitive); `None` for any other text.
    pub fn parse(s: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|src| src.name() == s)
    }
}

impl Ord for Source {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for Source {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Maps each distinct string to a dense `u32` id, in first-seen order.
#[derive(Default, Debug, Clone)]
pub struct Interner {
    ids: FxHashMap<Box<str>, u32>,
    strings: Vec<Box<str>>,
    /// The id returned last: landing readings come grouped by user/device, so most lookups
    /// are the same string again and skip hashing.
    last: Option<u32>,
}

/// Whether `a` and `b` are the same bytes, compared eight at a time: the interners compare
/// nearly every id with the last one, and the fast decoder's exported layout every key, and in
/// wasm `==` on slices calls a `memcmp` that compares a byte at a time (a 24-byte email: 3
/// compares instead of 24).
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let word = |w: &[u8]| u64::from_le_bytes(w.try_into().expect("8 bytes"));
    (&mut wa).zip(&mut wb).all(|(x, y)| word(x) == word(y))
        && wa.remainder().iter().zip(wb.remainder()).all(|(x, y)| x == y)
}

impl Interner {
    /// The id of `s`, giving it the next id when it is new.
    #[inline]
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(last) = self.last {
            if same_bytes(self.strings[last as usize].as_bytes(), s.as_bytes()) {
                return last;
            }
        }
        let id = match self.ids.get(s) {
            Some(&id) => id,
            None => {
                let id = self.strings.len() as u32;
                self.strings.push(s.into());
                self.ids.insert(s.into(), id);
                id
            }
        };
        self.last = Some(id);
        id
    }

    /// The id of the string whose UTF-8 bytes are `bytes`, as [`Interner::intern`]; `None`, and
    /// nothing added, when they are not UTF-8. Bytes equal to the string returned last are taken
    /// without a UTF-8 check (they are that string's bytes): the fast decoder's readings come
    /// grouped by user or device, so nearly every lookup skips both the check and the hashing.
    #[inline]
    pub fn intern_utf8(&mut self, bytes: &[u8]) -> Option<u32> {
        if let Some(last) = self.last {
            if same_bytes(self.strings[last as usize].as_bytes(), bytes) {
                return Some(last);
            }
        }
        Some(self.intern(std::str::from_utf8(bytes).ok()?))
    }

    /// The string of `id`. Panics when `id` did not come from this interner.
    pub fn get(&self, id: u32) -> &str {
        &self.strings[id as usize]
    }

    /// The strings in id order.
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.strings.iter().map(|s| &**s)
    }

    /// The id of `s` when it was interned (nothing is added).
    pub fn lookup(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }

    /// Distinct strings interned (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}

/// One customer record as landed (only `email` is required).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize)]
pub struct Customer {
    /// `customerName`.
    pub customer_name: Option<String>,
    /// Interned in [`Landing::emails`].
    pub email: u32,
    /// `phone`, as text (a number in the record is kept as its digits).
    pub phone: Option<String>,
    /// Kept as the given string: real data has years like `993-01-01`.
    pub birth_day: Option<String>,
    /// Interned in [`Landing::serials`].
    pub serial_number: Option<u32>,
    /// `registrationDate`, epoch milliseconds.
    pub registration_date: Option<i64>,
    /// `lastUpdateDate`, epoch milliseconds (strict keeps each email's latest row by it).
    pub last_update_date: Option<i64>,
    /// `shareWithResearchAsOfDate`, epoch milliseconds: research consent since then (`None`: no consent).
    pub share_with_research_as_of_date: Option<i64>,
    /// `shareWithPublicAsOfDate`, epoch milliseconds.
    pub share_with_public_as_of_date: Option<i64>,
    /// `shareWithFriendsAsOfDate`, epoch milliseconds.
    pub share_with_friends_as_of_date: Option<i64>,
}

/// Accelerometer readings, column by column.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Accelerometer {
    /// Interned email of the reading's user.
    pub user: Chunked<u32>,
    /// `timestamp` (or the older `timeStamp`), epoch milliseconds.
    pub timestamp: EpochColumn,
    /// `x`, as landed ([`OptF64::NONE`]: absent or null), in one-byte codes where it can
    /// ([`FloatColumn`]).
    pub x: FloatColumn,
    /// `y`, as landed ([`OptF64::NONE`]: absent or null), in one-byte codes where it can
    /// ([`FloatColumn`]).
    pub y: FloatColumn,
    /// `z`, as landed ([`OptF64::NONE`]: absent or null), in one-byte codes where it can
    /// ([`FloatColumn`]).
    pub z: FloatColumn,
}

impl Accelerometer {
    /// Readings (rows).
    pub fn len(&self) -> usize {
        self.user.len()
    }
    /// Whether there are no readings.
    pub fn is_empty(&self) -> bool {
        self.user.is_empty()
    }
}

/// Step-trainer readings, column by column.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct StepTrainer {
    /// `sensorReadingTime`, epoch milliseconds.
    pub sensor_reading_time: EpochColumn,
    /// Interned serial number.
    pub serial_number: Chunked<u32>,
    /// `distanceFromObject`, an integer as landed (`None`: absent or null), 8 bytes a row
    /// ([`OptI64Column`]).
    pub distance_from_object: OptI64Column,
}

impl StepTrainer {
    /// Readings (rows).
    pub fn len(&self) -> usize {
        self.sensor_reading_time.len()
    }
    /// Whether there are no readings.
    pub fn is_empty(&self) -> bool {
        self.sensor_reading_time.is_empty()
    }
}

/// Everything that survived decoding, in read order.
#[derive(Debug, Default, Clone)]
pub struct Landing {
    /// Customer emails and accelerometer users (one id space, so `user = email` compares ids).
    pub emails: Interner,
    /// Customer and step_trainer serial numbers (one id space).
    pub serials: Interner,
    /// Customer rows, one per kept record.
    pub customers: Vec<Customer>,
    /// Accelerometer readings, one row per kept record.
    pub accelerometer: Accelerometer,
    /// Step_trainer readings, one row per kept record.
    pub step_trainer: StepTrainer,
}

impl Landing {
    /// Rows of `source`'s landing table.
    pub fn rows(&self, source: Source) -> usize {
        match source {
            Source::Customer => self.customers.len(),
            Source::Accelerometer => self.accelerometer.len(),
            Source::StepTrainer => self.step_trainer.len(),
        }
    }
}

impl Landing {
    /// Append rows decoded elsewhere (another worker or thread) after this landing's rows, as if
    /// they had been read next: the other side's email and serial ids are re-mapped into ours.
    pub fn append(&mut self, other: &Landing) {
        let emails: Vec<u32> = other.emails.strings().map(|e| self.emails.intern(e)).collect();
        let serials: Vec<u32> = other.serials.strings().map(|s| self.serials.intern(s)).collect();
        self.customers.extend(other.customers.iter().map(|c| Customer {
            email: emails[c.email as usize],
            serial_number: c.serial_number.map(|s| serials[s as usize]),
            ..c.clone()
        }));
        let (a, b) = (&mut self.accelerometer, &other.accelerometer);
        a.user.extend(b.user.iter().map(|&u| emails[u as usize]));
        a.timestamp.extend_from(&b.timestamp);
        a.x.extend_from(&b.x);
        a.y.extend_from(&b.y);
        a.z.extend_from(&b.z);
        let (s, t) = (&mut self.step_trainer, &other.step_trainer);
        s.sensor_reading_time.extend_from(&t.sensor_reading_time);
        s.serial_number
            .extend(t.serial_number.iter().map(|&i| serials[i as usize]));
        s.distance_from_object.extend_from(&t.distance_from_object);
    }
}

/// A float compared and hashed the way SQL DISTINCT does (-0.0 equals 0.0).
pub fn float_key(v: OptF64) -> Option<u64> {
    v.get().map(|f| (f + 0.0).to_bits())
}

#[cfg(test)]
mod tests {
    use super::Interner;

    #[test]
    fn same_bytes_is_slice_equality() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..20_000 {
            let a: Vec<u8> = (0..rng.usize(..40)).map(|_| rng.u8(..3)).collect();
            let mut b = a.clone();
            match rng.u8(..4) {
                0 => {}
                1 if !b.is_empty() => {
                    let i = rng.usize(..b.len());
                    b[i] ^= 1 << rng.u8(..8);
                }
                2 => b.push(rng.u8(..3)),
                _ => b = (0..rng.usize(..40)).map(|_| rng.u8(..3)).collect(),
            }
            assert_eq!(super::same_bytes(&a, &b), a == b, "{a:?} {b:?}");
        }
    }

    /// `intern_utf8` gives `intern`'s ids, adds nothing for bytes that are not UTF-8 (also right
    /// after a string they start like), and a rejected string does not change the last one.
    #[test]
    fn intern_utf8_agrees_with_intern_and_rejects_what_is_not_utf8() {
        let (mut a, mut b) = (Interner::default(), Interner::default());
        for s in ["a\u{e9}", "b", "a\u{e9}", "a\u{e9}", "c", "b"] {
            assert_eq!(a.intern_utf8(s.as_bytes()), Some(b.intern(s)), "{s}");
        }
        assert_eq!(a.len(), 3);
        for bad in [&b"b\xff"[..], b"a\xc3", b"a\xc3\xa9\xff", b"\x80"] {
            assert_eq!(a.intern_utf8(bad), None, "{bad:?}");
            assert_eq!(a.len(), 3, "{bad:?} was added");
        }
        // The last string is still "b": its bytes are taken, another's are checked and found.
        assert_eq!(a.intern_utf8(b"b"), Some(1));
        assert_eq!(a.intern_utf8("a\u{e9}".as_bytes()), Some(0));
        assert_eq!(a.intern_utf8(b"d"), Some(3));
        assert_eq!(a.get(3), "d");
    }
}

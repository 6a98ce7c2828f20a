//! The index strict's rules probe most: landing accelerometer rows by (user, timestamp), with
//! exact duplicates (rule 2) marked. Rule 5 asks whether a customer has a reading at an instant
//! (`has`), rule 7 lists an owner's distinct readings at an instant (`rows`).

use rustc_hash::FxHashMap;

use super::sizing::{capacity, key_hash};
use super::NONE;
use crate::model::{float_key, Landing};

/// Index of the landing accelerometer rows by (user, timestamp), exact duplicates left out:
/// `heads` gives the first row with a key, `next` chains the other (distinct) rows with that key.
pub(crate) struct ReadingIndex {
    heads: Heads,
    next: Vec<u32>,
    /// Per landing row: an exact copy of an earlier row (same user, timestamp, x, y, z).
    pub(crate) duplicate: Vec<bool>,
}

/// The (user, timestamp) → first row map. When the ids and the time span allow (22 + 42 bits:
/// 4 M users, 139 years of milliseconds) the key is packed into one `u64`: a smaller table and
/// a cheaper hash, which matters because these probes miss the cache. Otherwise the plain pair.
enum Heads {
    Packed { min_ts: i64, map: FxHashMap<u64, u32> },
    Wide(FxHashMap<(u32, i64), u32>),
}

const USER_BITS: u32 = 22;
const TIME_BITS: u32 = 64 - USER_BITS;

impl Heads {
    fn new(l: &Landing) -> Heads {
        let ts = &l.accelerometer.timestamp;
        let n = ts.len();
        let (min, max) = ts
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
        // Sized for the distinct (user, timestamp) keys, not the rows (`sizing`).
        let cap = capacity(
            n,
            l.accelerometer.user.iter().zip(ts.iter()).map(|(&u, t)| key_hash(u, t)),
        );
        let fits = l.emails.len() < (1 << USER_BITS) && (n == 0 || (max as i128 - min as i128) < (1i128 << TIME_BITS));
        if fits {
            Heads::Packed {
                min_ts: if n == 0 { 0 } else { min },
                map: FxHashMap::with_capacity_and_hasher(cap, Default::default()),
            }
        } else {
            Heads::Wide(FxHashMap::with_capacity_and_hasher(cap, Default::default()))
        }
    }

    /// The packed key, or `None` when `ts` is outside the indexed span (then nothing has it).
    #[inline]
    fn pack(min_ts: i64, user: u32, ts: i64) -> Option<u64> {
        let off = (ts as i128) - (min_ts as i128);
        (0..(1i128 << TIME_BITS))
            .contains(&off)
            .then_some(((user as u64) << TIME_BITS) | off as u64)
    }

    /// Insert `row` as the head for its key, or return the existing head.
    #[inline]
    fn head_or_insert(&mut self, user: u32, ts: i64, row: u32) -> Option<u32> {
        use std::collections::hash_map::Entry;
        fn put<K>(entry: Entry<'_, K, u32>, row: u32) -> Option<u32> {
            match entry {
                Entry::Occupied(o) => Some(*o.get()),
                Entry::Vacant(v) => {
                    v.insert(row);
                    None
                }
            }
        }
        match self {
            Heads::Packed { min_ts, map } => {
                let key = Self::pack(*min_ts, user, ts).expect("every landing timestamp is in the span");
                put(map.entry(key), row)
            }
            Heads::Wide(map) => put(map.entry((user, ts)), row),
        }
    }

    #[inline]
    fn get(&self, user: u32, ts: i64) -> Option<u32> {
        match self {
            Heads::Packed { min_ts, map } => Self::pack(*min_ts, user, ts).and_then(|k| map.get(&k).copied()),
            Heads::Wide(map) => map.get(&(user, ts)).copied(),
        }
    }
}

impl ReadingIndex {
    #[allow(clippy::needless_range_loop)] // row i indexes several parallel columns
    pub(crate) fn build(l: &Landing) -> ReadingIndex {
        let a = &l.accelerometer;
        let n = a.len();
        let mut heads = Heads::new(l);
        let mut next = vec![NONE; n];
        let mut duplicate = vec![false; n];
        let same = |i: usize, j: usize| {
            float_key(a.x[i]) == float_key(a.x[j])
                && float_key(a.y[i]) == float_key(a.y[j])
                && float_key(a.z[i]) == float_key(a.z[j])
        };
        for i in 0..n {
            let Some(mut j) = heads.head_or_insert(a.user[i], a.timestamp.get(i), i as u32) else {
                continue;
            };
            loop {
                let jj = j as usize;
                if same(i, jj) {
                    duplicate[i] = true;
                    break;
                }
                if next[jj] == NONE {
                    next[jj] = i as u32;
                    break;
                }
                j = next[jj];
            }
        }
        ReadingIndex { heads, next, duplicate }
    }

    /// The distinct readings of `user` at `ts`.
    pub(crate) fn rows(&self, user: u32, ts: i64) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.heads.get(user, ts).unwrap_or(NONE);
        std::iter::from_fn(move || {
            (cur != NONE).then(|| {
                let r = cur;
                cur = self.next[r as usize];
                r
            })
        })
    }

    pub(crate) fn has(&self, user: u32, ts: i64) -> bool {
        self.heads.get(user, ts).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::strict::{run, MIN_CONSENT_MS};
    use crate::rules::testkit::*;

    #[test]
    fn reading_index_works_with_packed_and_wide_keys() {
        // Timestamps 2^50 apart cannot be packed: the wide map must give the same answers.
        let far = 1i64 << 50;
        for (t1, t2) in [(T0 + 100, T0 + 200), (-far, far)] {
            let l = landing(
                &[cust("a@x", "s1", Some(1), 1, Some(MIN_CONSENT_MS))],
                &[
                    acc("a@x", t1, 1.0),
                    acc("a@x", t2, 2.0),
                    acc("a@x", t2, 2.0),
                    acc("a@x", t2, 3.0),
                ],
                &[step(t2, "s1", 7), step(t1 - 1, "s1", 8)],
            );
            let idx = ReadingIndex::build(&l);
            assert_eq!(matches!(idx.heads, Heads::Packed { .. }), t1 == T0 + 100);
            assert_eq!(idx.duplicate, [false, false, true, false]);
            assert_eq!(idx.rows(0, t2).collect::<Vec<_>>(), [1, 3]);
            assert!(idx.has(0, t1) && !idx.has(0, t1 - 1) && !idx.has(1, t1) && !idx.has(0, i64::MAX));
            let (d, _) = run(&l, u64::MAX).unwrap();
            assert_eq!(d.machine_learning_curated, [(0, 1), (0, 3)]);
        }
    }
}

//! The index strict's rules probe most: landing accelerometer rows by (user, timestamp), with
//! exact duplicates (rule 2) marked. Rule 5 asks whether a customer has a reading at an instant
//! (`has`), rule 7 lists an owner's distinct readings at an instant (`head`, then `chain`).
//!
//! Its hash table holds row numbers only (4 bytes and a control byte a slot): a key is read back
//! from the columns when a probe meets a candidate. Over distinct readings (one key per row) a
//! table that stored its `(user, timestamp)` keys took 17 bytes a slot, more than the landing
//! columns themselves (11 bytes a reading); docs/performance.md, session 15.

use hashbrown::hash_table::{Entry, HashTable};

use super::sizing::{capacity, key_hash};
use super::NONE;
use crate::model::{float_key, Accelerometer};

/// Index of the landing accelerometer rows by (user, timestamp), exact duplicates left out:
/// `heads` holds the first row with each key, `next` chains the other (distinct) rows with that
/// key and marks the exact duplicates ([`DUPLICATE`]: such a row is in no chain).
pub(crate) struct ReadingIndex<'a> {
    readings: &'a Accelerometer,
    heads: HashTable<u32>,
    next: Vec<u32>,
}

/// Row `r`'s key: (user id, timestamp).
#[inline]
fn reading_key(a: &Accelerometer, r: u32) -> (u32, i64) {
    (a.user[r as usize], a.timestamp.get(r as usize))
}

/// `next` of a row that is an exact copy of an earlier one (no row number reaches it: the landing
/// row numbers are `u32`s below [`NONE`] - 1).
const DUPLICATE: u32 = NONE - 1;

impl<'a> ReadingIndex<'a> {
    pub(crate) fn build(readings: &'a Accelerometer) -> ReadingIndex<'a> {
        let a = readings;
        // Sized for the distinct (user, timestamp) keys, not the rows (`sizing`).
        let cap = capacity(
            a.len(),
            a.user.iter().zip(a.timestamp.iter()).map(|(&u, t)| key_hash(u, t)),
        );
        Self::build_with_capacity(readings, cap)
    }

    /// [`ReadingIndex::build`] with the table first sized for `cap` keys (it grows past them).
    fn build_with_capacity(readings: &'a Accelerometer, cap: usize) -> ReadingIndex<'a> {
        let a = readings;
        let n = a.len();
        assert!(
            n < DUPLICATE as usize,
            "{n} accelerometer rows: row numbers are u32s below {DUPLICATE}"
        );
        let mut heads = HashTable::with_capacity(cap);
        let mut next = vec![NONE; n];
        let key = |r: u32| reading_key(a, r);
        let rehash = |&r: &u32| {
            let (u, t) = key(r);
            key_hash(u, t)
        };
        let same = |i: usize, j: usize| {
            float_key(a.x[i]) == float_key(a.x[j])
                && float_key(a.y[i]) == float_key(a.y[j])
                && float_key(a.z[i]) == float_key(a.z[j])
        };
        for (i, (&u, t)) in a.user.iter().zip(a.timestamp.iter()).enumerate() {
            let mut j = match heads.entry(key_hash(u, t), |&r| key(r) == (u, t), rehash) {
                Entry::Vacant(v) => {
                    v.insert(i as u32);
                    continue;
                }
                Entry::Occupied(o) => *o.get(),
            };
            loop {
                let jj = j as usize;
                if same(i, jj) {
                    next[i] = DUPLICATE;
                    break;
                }
                if next[jj] == NONE {
                    next[jj] = i as u32;
                    break;
                }
                j = next[jj];
            }
        }
        ReadingIndex { readings, heads, next }
    }

    /// Whether landing row `i` is an exact copy of an earlier row (same user, timestamp, x, y, z).
    #[inline]
    pub(crate) fn is_duplicate(&self, i: usize) -> bool {
        self.next[i] == DUPLICATE
    }

    /// The first row with key (`user`, `ts`), if any.
    #[inline]
    pub(crate) fn head(&self, user: u32, ts: i64) -> Option<u32> {
        self.heads
            .find(key_hash(user, ts), |&r| reading_key(self.readings, r) == (user, ts))
            .copied()
    }

    /// The distinct readings of `user` at `ts` (the tests' shorthand for `chain(head)`).
    #[cfg(test)]
    pub(crate) fn rows(&self, user: u32, ts: i64) -> impl Iterator<Item = u32> + '_ {
        self.chain(self.head(user, ts).unwrap_or(NONE))
    }

    /// The distinct readings with the key of `head` (a [`ReadingIndex::head`]; none for `NONE`).
    pub(crate) fn chain(&self, head: u32) -> impl Iterator<Item = u32> + '_ {
        let mut cur = head;
        std::iter::from_fn(move || {
            (cur != NONE).then(|| {
                let r = cur;
                cur = self.next[r as usize];
                r
            })
        })
    }

    pub(crate) fn has(&self, user: u32, ts: i64) -> bool {
        self.head(user, ts).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::strict::{run, MIN_CONSENT_MS};
    use crate::rules::testkit::*;

    #[test]
    fn reading_index_works_with_near_and_far_timestamps() {
        // Timestamps 2^50 apart (plain time chunks) give the same answers as near ones.
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
            let idx = ReadingIndex::build(&l.accelerometer);
            assert_eq!(
                (0..4).map(|i| idx.is_duplicate(i)).collect::<Vec<_>>(),
                [false, false, true, false]
            );
            assert_eq!(idx.rows(0, t2).collect::<Vec<_>>(), [1, 3]);
            assert!(idx.has(0, t1) && !idx.has(0, t1 - 1) && !idx.has(1, t1) && !idx.has(0, i64::MAX));
            let (d, _) = run(&l, u64::MAX).unwrap();
            assert_eq!(d.machine_learning_curated, [(0, 1), (0, 3)]);
        }
    }

    /// Against a plain reference over 60,000 readings of 10 users at 1,000 instants with four x
    /// values (many keys with several distinct readings, many exact copies): every row's
    /// duplicate mark, and `rows`/`has` for every key and for keys that are absent; once sized
    /// from the estimate, once from nothing (the table grows, re-reading every key's hash).
    #[test]
    fn agrees_with_a_plain_index_sized_or_grown() {
        use std::collections::HashMap;
        let mut rng = fastrand::Rng::with_seed(15);
        let lines: Vec<String> = (0..60_000)
            .map(|_| {
                let user = format!("u{}@x", rng.u32(0..10));
                acc(&user, T0 + rng.i64(0..1_000), [-1.0, 0.0, 1.0, 0.5][rng.usize(0..4)])
            })
            .collect();
        let l = landing(&[], &lines, &[]);
        let a = &l.accelerometer;
        let mut want_rows: HashMap<(u32, i64), Vec<u32>> = HashMap::new();
        let mut want_dup = Vec::new();
        for i in 0..a.len() {
            let rows = want_rows.entry((a.user[i], a.timestamp.get(i))).or_default();
            let copy = rows.iter().any(|&j| float_key(a.x[j as usize]) == float_key(a.x[i]));
            if !copy {
                rows.push(i as u32);
            }
            want_dup.push(copy);
        }
        assert!(
            want_dup.iter().filter(|&&d| d).count() > 10_000,
            "the data must have exact copies"
        );
        assert!(
            want_rows.values().any(|r| r.len() == 4),
            "and keys with several distinct readings"
        );
        for idx in [ReadingIndex::build(a), ReadingIndex::build_with_capacity(a, 0)] {
            assert_eq!((0..a.len()).map(|i| idx.is_duplicate(i)).collect::<Vec<_>>(), want_dup);
            for (&(u, t), rows) in &want_rows {
                assert_eq!(&idx.rows(u, t).collect::<Vec<_>>(), rows, "user {u} at {t}");
                assert!(idx.has(u, t));
            }
            for (u, t) in [(0, T0 - 1), (0, T0 + 1_000), (10, T0), (u32::MAX, T0)] {
                assert!(!idx.has(u, t) && idx.rows(u, t).next().is_none(), "user {u} at {t}");
            }
        }
    }
}

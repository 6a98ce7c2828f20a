//! Strict semantics: what privacy and the known data-quality problems demand (the default).
//!
//! 1. One customer per email: the row with the greatest `lastUpdateDate`, then greatest
//!    `registrationDate`, then the last read. `customer_trusted` = those with research consent.
//! 2. Exact-duplicate accelerometer / step_trainer records (all fields equal) count once.
//! 3. `accelerometer_trusted` = readings of trusted customers at or after their consent date.
//! 4. `customers_curated` = trusted customers with at least one trusted reading.
//! 5. Device ownership: a step reading belongs to the one de-duplicated customer with its serial;
//!    if several share the serial, to the one among them with a landing accelerometer reading at
//!    exactly `sensorReadingTime`, if exactly one has; otherwise it has no known owner.
//! 6. `step_trainer_trusted` = readings whose owner is curated, at or after the owner's consent.
//! 7. `machine_learning_curated` = step × accelerometer trusted on owner = user and time = timestamp
//!    (no email column).

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Derived, Facts, Flow, NONE};
use crate::model::{float_key, Customer, Landing};

/// Index of the landing accelerometer rows by (user, timestamp), exact duplicates left out:
/// `heads` gives the first row with a key, `next` chains the other (distinct) rows with that key.
struct ReadingIndex {
    heads: Heads,
    next: Vec<u32>,
    duplicate: Vec<bool>,
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
            .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        let fits = l.emails.len() < (1 << USER_BITS) && (n == 0 || (max as i128 - min as i128) < (1i128 << TIME_BITS));
        if fits {
            Heads::Packed {
                min_ts: if n == 0 { 0 } else { min },
                map: FxHashMap::with_capacity_and_hasher(n, Default::default()),
            }
        } else {
            Heads::Wide(FxHashMap::with_capacity_and_hasher(n, Default::default()))
        }
    }

    /// The packed key, or `None` when `ts` is outside the indexed span (then nothing has it).
    #[inline]
    fn pack(min_ts: i64, user: u32, ts: i64) -> Option<u64> {
        let off = (ts as i128) - (min_ts as i128);
        (0..(1i128 << TIME_BITS))
            .contains(&off)
            .then(|| ((user as u64) << TIME_BITS) | off as u64)
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
    fn build(l: &Landing) -> ReadingIndex {
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
            let Some(mut j) = heads.head_or_insert(a.user[i], a.timestamp[i], i as u32) else {
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
    fn rows(&self, user: u32, ts: i64) -> impl Iterator<Item = u32> + '_ {
        let mut cur = self.heads.get(user, ts).unwrap_or(NONE);
        std::iter::from_fn(move || {
            (cur != NONE).then(|| {
                let r = cur;
                cur = self.next[r as usize];
                r
            })
        })
    }

    fn has(&self, user: u32, ts: i64) -> bool {
        self.heads.get(user, ts).is_some()
    }
}

/// Rule 1: the row kept for each email (indexed by email id; `NONE` if the email has no customer row).
pub fn latest_customer_per_email(l: &Landing) -> Vec<u32> {
    let key = |c: &Customer| (c.last_update_date, c.registration_date);
    let mut best = vec![NONE; l.emails.len()];
    for (i, c) in l.customers.iter().enumerate() {
        let b = &mut best[c.email as usize];
        // `>=`: on equal dates the later-read row wins.
        if *b == NONE || key(c) >= key(&l.customers[*b as usize]) {
            *b = i as u32;
        }
    }
    best
}

pub fn run(l: &Landing) -> (Derived, Facts) {
    let mut facts = Facts::default();
    let n_emails = l.emails.len();

    // 1. One customer per email; consent per email.
    let best = latest_customer_per_email(l);
    let mut deduped: Vec<u32> = best.iter().copied().filter(|&b| b != NONE).collect();
    deduped.sort_unstable();
    let mut consent: Vec<Option<i64>> = vec![None; n_emails];
    let mut customer_trusted = Vec::new();
    for &i in &deduped {
        let c = &l.customers[i as usize];
        if let Some(d) = c.share_with_research_as_of_date {
            consent[c.email as usize] = Some(d);
            customer_trusted.push(i);
        }
    }
    facts.duplicate_emails = duplicate_emails(l);
    let customer_flow = Flow::new("customer_trusted", "customer_landing", l.customers.len())
        .removed(
            "superseded_duplicate",
            "an older row of an email that has a newer one",
            l.customers.len() - deduped.len(),
        )
        .removed(
            "no_research_consent",
            "latest row has no shareWithResearchAsOfDate",
            deduped.len() - customer_trusted.len(),
        )
        .out(customer_trusted.len());

    // 2–3. Accelerometer: exact duplicates once, trusted users, at or after consent.
    let idx = ReadingIndex::build(l);
    let a = &l.accelerometer;
    let has_customer: Vec<bool> = (0..n_emails).map(|e| best[e] != NONE).collect();
    let (mut dup, mut unknown, mut no_consent, mut early) = (0usize, 0usize, 0usize, 0usize);
    let mut accelerometer_trusted = Vec::new();
    let mut has_trusted_reading = vec![false; n_emails];
    for i in 0..a.len() {
        let user = a.user[i] as usize;
        if idx.duplicate[i] {
            dup += 1;
        } else if !has_customer[user] {
            unknown += 1;
        } else {
            match consent[user] {
                None => no_consent += 1,
                Some(c) if a.timestamp[i] < c => early += 1,
                Some(_) => {
                    accelerometer_trusted.push(i as u32);
                    has_trusted_reading[user] = true;
                }
            }
        }
    }
    facts.accelerometer_exact_duplicates = dup as u64;
    facts.accelerometer_unknown_user = unknown as u64;
    facts.accelerometer_before_consent = early as u64;
    let accel_flow = Flow::new("accelerometer_trusted", "accelerometer_landing", a.len())
        .removed(
            "exact_duplicate",
            "same user, timestamp, x, y and z as an earlier reading",
            dup,
        )
        .removed("unknown_user", "no customer has this email", unknown)
        .removed(
            "no_research_consent",
            "the user's customer record has no research consent",
            no_consent,
        )
        .removed(
            "before_consent",
            "timestamp earlier than the user's shareWithResearchAsOfDate",
            early,
        )
        .out(accelerometer_trusted.len());

    // 4. Curated customers.
    let customers_curated: Vec<u32> = customer_trusted
        .iter()
        .copied()
        .filter(|&i| has_trusted_reading[l.customers[i as usize].email as usize])
        .collect();
    let curated_flow = Flow::new("customers_curated", "customer_trusted", customer_trusted.len())
        .removed(
            "no_trusted_reading",
            "no accelerometer reading at or after consent",
            customer_trusted.len() - customers_curated.len(),
        )
        .out(customers_curated.len());

    // 5. Device ownership: serial → de-duplicated customers holding it.
    let mut owners: Vec<Vec<u32>> = vec![Vec::new(); l.serials.len()];
    for &i in &deduped {
        let c = &l.customers[i as usize];
        if let Some(s) = c.serial_number {
            owners[s as usize].push(c.email);
        }
    }
    facts.shared_serials = owners
        .iter()
        .enumerate()
        .filter(|(_, o)| o.len() > 1)
        .map(|(s, o)| (s as u32, o.clone()))
        .collect();
    let mut curated = vec![false; n_emails];
    for &i in &customers_curated {
        curated[l.customers[i as usize].email as usize] = true;
    }

    // 6. Step trainer: exact duplicates once, owned, owner curated, at or after consent.
    let s = &l.step_trainer;
    let mut seen: FxHashSet<(u32, i64, Option<i64>)> = FxHashSet::with_capacity_and_hasher(s.len(), Default::default());
    let (mut sdup, mut no_owner, mut ambiguous, mut not_curated, mut searly) = (0usize, 0, 0, 0, 0);
    let mut step_trainer_trusted = Vec::new();
    let mut step_owner = Vec::new();
    for i in 0..s.len() {
        let (serial, t) = (s.serial_number[i], s.sensor_reading_time[i]);
        if !seen.insert((serial, t, s.distance_from_object[i])) {
            sdup += 1;
            continue;
        }
        let candidates = &owners[serial as usize];
        let owner = match candidates.len() {
            0 => None,
            1 => Some(candidates[0]),
            _ => {
                let mut with_reading = candidates.iter().filter(|&&e| idx.has(e, t));
                match (with_reading.next(), with_reading.next()) {
                    (Some(&e), None) => Some(e),
                    _ => {
                        ambiguous += 1;
                        continue;
                    }
                }
            }
        };
        let Some(owner) = owner else {
            no_owner += 1;
            continue;
        };
        if !curated[owner as usize] {
            not_curated += 1;
        } else if t < consent[owner as usize].expect("curated customers have consent") {
            searly += 1;
        } else {
            step_trainer_trusted.push(i as u32);
            step_owner.push(owner);
        }
    }
    facts.step_trainer_exact_duplicates = sdup as u64;
    facts.step_trainer_no_owner = no_owner as u64;
    facts.step_trainer_ambiguous_owner = ambiguous as u64;
    facts.step_trainer_before_consent = searly as u64;
    let step_flow = Flow::new("step_trainer_trusted", "step_trainer_landing", s.len())
        .removed(
            "exact_duplicate",
            "same sensorReadingTime, serialNumber and distance as an earlier reading",
            sdup,
        )
        .removed("no_owner", "no customer has this serial number", no_owner)
        .removed(
            "ambiguous_owner",
            "several customers share the serial and not exactly one has a reading at this time",
            ambiguous,
        )
        .removed(
            "owner_not_curated",
            "the owner is not in customers_curated",
            not_curated,
        )
        .removed(
            "before_consent",
            "sensorReadingTime earlier than the owner's shareWithResearchAsOfDate",
            searly,
        )
        .out(step_trainer_trusted.len());

    // 7. Machine-learning table: same owner, same instant. Every distinct reading of a curated
    // owner at a time at or after consent is trusted, so the index gives the partners directly.
    let mut machine_learning_curated = Vec::new();
    let mut unmatched = 0usize;
    for (k, &si) in step_trainer_trusted.iter().enumerate() {
        let before = machine_learning_curated.len();
        for ai in idx.rows(step_owner[k], s.sensor_reading_time[si as usize]) {
            machine_learning_curated.push((si, ai));
        }
        if machine_learning_curated.len() == before {
            unmatched += 1;
        }
    }
    let matched = step_trainer_trusted.len() - unmatched;
    let ml_flow = Flow::new("machine_learning_curated", "step_trainer_trusted", step_trainer_trusted.len())
        .joined(
            "join_owner_reading",
            "joined to the owner's accelerometer readings at the same instant (unmatched readings drop; several partners add rows)",
            unmatched,
            machine_learning_curated.len() - matched,
        )
        .out(machine_learning_curated.len());

    let derived = Derived {
        customer_trusted,
        accelerometer_trusted,
        customers_curated,
        step_trainer_trusted,
        machine_learning_curated,
        step_owner,
        flows: vec![customer_flow, accel_flow, curated_flow, step_flow, ml_flow],
    };
    (derived, facts)
}

/// Emails with several customer rows, with the distinct research-consent values among them.
fn duplicate_emails(l: &Landing) -> Vec<(u32, u32, Vec<Option<i64>>)> {
    let mut rows = vec![0u32; l.emails.len()];
    for c in &l.customers {
        rows[c.email as usize] += 1;
    }
    let mut consents: FxHashMap<u32, Vec<Option<i64>>> = FxHashMap::default();
    for c in l.customers.iter().filter(|c| rows[c.email as usize] > 1) {
        let v = consents.entry(c.email).or_default();
        if !v.contains(&c.share_with_research_as_of_date) {
            v.push(c.share_with_research_as_of_date);
        }
    }
    let mut out: Vec<_> = consents.into_iter().map(|(e, v)| (e, rows[e as usize], v)).collect();
    out.sort_unstable_by_key(|(e, _, _)| *e);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zones::testkit::*;

    #[test]
    fn latest_row_per_email_decides_consent() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 10, Some(5)), // superseded by the next row
                cust("a@x", "s1", Some(2), 10, None),    // latest: consent withdrawn
                cust("b@x", "s2", Some(3), 10, None),
                cust("b@x", "s2", Some(3), 11, Some(7)), // same update date, later registration wins
                cust("c@x", "s3", None, 10, Some(1)),
                cust("c@x", "s3", None, 10, Some(2)), // full tie: the last read wins
            ],
            &[],
            &[],
        );
        let (d, f) = run(&l);
        assert_eq!(emails(&l, &d.customer_trusted), ["b@x", "c@x"]);
        assert_eq!(
            l.customers[d.customer_trusted[1] as usize].share_with_research_as_of_date,
            Some(2)
        );
        assert_eq!(d.flows[0].rules[0].removed, 3);
        assert_eq!(d.flows[0].rules[1].removed, 1);
        assert_eq!(f.duplicate_emails.len(), 3);
        // a@x had consent 5 and then none: a conflict.
        assert_eq!(f.duplicate_emails[0].2, vec![Some(5), None]);
    }

    #[test]
    fn readings_before_consent_duplicates_and_unknown_users_are_dropped() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(100)),
                cust("n@x", "s2", Some(1), 1, None),
            ],
            &[
                acc("a@x", 99, 1.0),
                acc("a@x", 100, 1.0),
                acc("a@x", 100, 1.0),
                acc("a@x", 101, -0.0),
                acc("a@x", 101, 0.0),
                acc("z@x", 200, 1.0),
                acc("n@x", 200, 1.0),
            ],
            &[],
        );
        let (d, f) = run(&l);
        assert_eq!(readings(&l, &d.accelerometer_trusted), [("a@x", 100), ("a@x", 101)]);
        assert_eq!(
            f.accelerometer_exact_duplicates, 2,
            "an exact copy, and -0.0 equal to 0.0"
        );
        assert_eq!(f.accelerometer_before_consent, 1);
        assert_eq!(f.accelerometer_unknown_user, 1);
        assert_eq!(emails(&l, &d.customers_curated), ["a@x"]);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn customers_without_trusted_readings_are_not_curated() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(100)),
                cust("b@x", "s2", Some(1), 1, Some(100)),
            ],
            &[acc("a@x", 150, 1.0), acc("b@x", 50, 1.0)],
            &[],
        );
        let (d, _) = run(&l);
        assert_eq!(emails(&l, &d.customer_trusted), ["a@x", "b@x"]);
        assert_eq!(emails(&l, &d.customers_curated), ["a@x"]);
    }

    #[test]
    fn device_ownership_resolves_shared_serials_by_reading_time() {
        let l = landing(
            &[
                cust("a@x", "shared", Some(1), 1, Some(0)),
                cust("b@x", "shared", Some(1), 1, Some(0)),
                cust("c@x", "solo", Some(1), 1, Some(0)),
            ],
            &[
                acc("a@x", 10, 1.0),
                acc("b@x", 20, 2.0),
                acc("a@x", 30, 3.0),
                acc("b@x", 30, 4.0),
                acc("c@x", 10, 5.0),
                acc("c@x", 10, 6.0),
            ],
            &[
                step(10, "shared", 1), // only a@x read at 10 → a@x
                step(20, "shared", 2), // only b@x → b@x
                step(30, "shared", 3), // both → ambiguous
                step(40, "shared", 4), // neither → ambiguous
                step(10, "solo", 5),   // single owner; two partner readings
                step(10, "solo", 5),   // exact duplicate
                step(10, "nobody", 6), // no owner
            ],
        );
        let (d, f) = run(&l);
        assert_eq!(f.shared_serials.len(), 1);
        assert_eq!(
            (
                f.step_trainer_ambiguous_owner,
                f.step_trainer_no_owner,
                f.step_trainer_exact_duplicates
            ),
            (2, 1, 1)
        );
        let st: Vec<(i64, i64)> = d
            .step_trainer_trusted
            .iter()
            .map(|&i| {
                (
                    l.step_trainer.sensor_reading_time[i as usize],
                    l.step_trainer.distance_from_object[i as usize].unwrap(),
                )
            })
            .collect();
        assert_eq!(st, [(10, 1), (20, 2), (10, 5)]);
        // Pairs: (step distance, partner x): a@x's reading at 10, b@x's at 20, c@x's two at 10.
        let ml: Vec<(i64, f64)> = d
            .machine_learning_curated
            .iter()
            .map(|&(s, a)| {
                (
                    l.step_trainer.distance_from_object[s as usize].unwrap(),
                    l.accelerometer.x[a as usize].unwrap(),
                )
            })
            .collect();
        assert_eq!(ml, [(1, 1.0), (2, 2.0), (5, 5.0), (5, 6.0)]);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn reading_index_works_with_packed_and_wide_keys() {
        // Timestamps 2^50 apart cannot be packed: the wide map must give the same answers.
        let far = 1i64 << 50;
        for (t1, t2) in [(100, 200), (-far, far)] {
            let l = landing(
                &[cust("a@x", "s1", Some(1), 1, Some(i64::MIN + 1))],
                &[
                    acc("a@x", t1, 1.0),
                    acc("a@x", t2, 2.0),
                    acc("a@x", t2, 2.0),
                    acc("a@x", t2, 3.0),
                ],
                &[step(t2, "s1", 7), step(t1 - 1, "s1", 8)],
            );
            let idx = ReadingIndex::build(&l);
            assert_eq!(matches!(idx.heads, Heads::Packed { .. }), t1 == 100);
            assert_eq!(idx.duplicate, [false, false, true, false]);
            assert_eq!(idx.rows(0, t2).collect::<Vec<_>>(), [1, 3]);
            assert!(idx.has(0, t1) && !idx.has(0, t1 - 1) && !idx.has(1, t1) && !idx.has(0, i64::MAX));
            let (d, _) = run(&l);
            assert_eq!(d.machine_learning_curated, [(0, 1), (0, 3)]);
        }
    }

    #[test]
    fn step_readings_need_a_curated_owner_and_consent() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(100)),
                cust("b@x", "s2", Some(1), 1, None),
            ],
            &[acc("a@x", 100, 1.0), acc("b@x", 100, 1.0)],
            &[step(99, "s1", 1), step(100, "s1", 2), step(100, "s2", 3)],
        );
        let (d, f) = run(&l);
        assert_eq!(d.step_trainer_trusted, [1]);
        assert_eq!(f.step_trainer_before_consent, 1);
        assert_eq!(
            d.flows[3]
                .rules
                .iter()
                .find(|r| r.rule == "owner_not_curated")
                .unwrap()
                .removed,
            1
        );
        assert_eq!(d.machine_learning_curated, [(1, 0)]);
    }
}

//! Strict semantics: what privacy and the known data-quality problems demand (the default).
//!
//! 1. One customer per email: the row with the greatest `lastUpdateDate`, then greatest
//!    `registrationDate`, then the last read. `customer_trusted` = those whose research consent is
//!    a plausible millisecond date ([`research_consent`]: ≤ 0 or below 10^11 is not consent).
//! 2. Exact-duplicate accelerometer / step_trainer records (all fields equal) count once.
//! 3. `accelerometer_trusted` = readings of trusted customers at or after their consent date.
//! 4. `customers_curated` = trusted customers with at least one trusted reading.
//! 5. Device ownership: a step reading belongs to the one de-duplicated customer with its serial
//!    ([`serial_holders`]: an absent or empty serial owns nothing); if several share the serial,
//!    to the one among them with a landing accelerometer reading at exactly `sensorReadingTime`,
//!    if exactly one has; otherwise it has no known owner (`resolve_owner`).
//! 6. `step_trainer_trusted` = readings whose owner is curated, at or after the owner's consent.
//! 7. `machine_learning_curated` = step × accelerometer trusted on owner = user and time = timestamp,
//!    with no email and no serial number: the device appears as an opaque `deviceId`
//!    ([`device_ids`]), a number that is in no other table.
//!
//! `docs/sql/strict.sql` is the same, as SQL; `docs/semantics.md` says why.

use hashbrown::hash_table::{Entry, HashTable};
use rustc_hash::FxHashMap;

use super::reading_index::ReadingIndex;
use super::sizing::{capacity, key_hash, mix};
use super::{Derived, Facts, Flow, RowLimit, NONE};
use crate::catalog::TableId;
use crate::model::{Customer, Landing, StepTrainer};

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

/// The smallest `shareWithResearchAsOfDate` strict accepts as consent: 10^11 ms (1973-03-03).
/// Below it a value is a placeholder (0, negatives: the course's own Glue job reads 0 as "no
/// consent") or an epoch in seconds (1655564005 s is June 2022, but as milliseconds January 1970,
/// which would let every reading count as after consent).
pub const MIN_CONSENT_MS: i64 = 100_000_000_000;

/// What a customer row's `shareWithResearchAsOfDate` means under the strict rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consent {
    /// No value (`null` or missing): no consent.
    Absent,
    /// A value that is not a plausible millisecond date (≤ 0 or below [`MIN_CONSENT_MS`]): no
    /// consent, counted apart as `consent_not_a_date`.
    NotADate(i64),
    /// Consent since this epoch (milliseconds).
    Since(i64),
}

/// Rule 1b: read a research-consent value. Source: issue #10 §5 ("consent that cannot be a date").
pub fn research_consent(value: Option<i64>) -> Consent {
    match value {
        None => Consent::Absent,
        Some(t) if t < MIN_CONSENT_MS => Consent::NotADate(t),
        Some(t) => Consent::Since(t),
    }
}

/// Rule 5a: per serial id, the emails of the de-duplicated customers (`deduped`: customer rows)
/// holding it, in row order. A customer without a serial, or with an empty one, holds nothing, so
/// no reading is ever assigned through a missing serial.
pub fn serial_holders(l: &Landing, deduped: &[u32]) -> Vec<Vec<u32>> {
    let mut holders: Vec<Vec<u32>> = vec![Vec::new(); l.serials.len()];
    for &i in deduped {
        let c = &l.customers[i as usize];
        if let Some(s) = c.serial_number.filter(|&s| !l.serials.get(s).is_empty()) {
            holders[s as usize].push(c.email);
        }
    }
    holders
}

/// Who a step reading belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// No customer holds the serial (`no_owner`).
    Nobody,
    /// Several hold it and not exactly one of them has a reading at that instant (`ambiguous_owner`).
    Ambiguous,
    /// This email.
    One(u32),
}

/// Rule 5b: the owner of a step reading taken at `t` by a device whose holders are `holders`
/// (from [`serial_holders`]): the only holder, else the only holder with a landing accelerometer
/// reading at exactly `t`.
fn resolve_owner(holders: &[u32], t: i64, idx: &ReadingIndex) -> Owner {
    match holders {
        [] => Owner::Nobody,
        [one] => Owner::One(*one),
        _ => {
            let mut with_reading = holders.iter().filter(|&&e| idx.has(e, t));
            match (with_reading.next(), with_reading.next()) {
                (Some(&e), None) => Owner::One(e),
                _ => Owner::Ambiguous,
            }
        }
    }
}

/// Rule 2 for step readings: whether each landing step row repeats an earlier one exactly
/// (same sensorReadingTime, serialNumber and distanceFromObject). The set holds row numbers; a
/// key is read back from the columns (see `reading_index`).
fn step_duplicates(l: &Landing) -> Vec<bool> {
    let s = &l.step_trainer;
    step_duplicates_sized(l, capacity(s.len(), (0..s.len()).map(|i| step_row_hash(s, i))))
}

/// [`step_duplicates`] with the set first sized for `cap` keys (it grows past them).
fn step_duplicates_sized(l: &Landing, cap: usize) -> Vec<bool> {
    let s = &l.step_trainer;
    let mut seen: HashTable<u32> = HashTable::with_capacity(cap);
    (0..s.len())
        .map(|i| {
            let k = step_key(s, i);
            let entry = seen.entry(
                step_row_hash(s, i),
                |&r| step_key(s, r as usize) == k,
                |&r| step_row_hash(s, r as usize),
            );
            match entry {
                Entry::Occupied(_) => true,
                Entry::Vacant(v) => {
                    v.insert(i as u32);
                    false
                }
            }
        })
        .collect()
}

/// Step row `r`'s full key: (serial id, sensorReadingTime, distanceFromObject).
#[inline]
fn step_key(s: &StepTrainer, r: usize) -> (u32, i64, Option<i64>) {
    (
        s.serial_number[r],
        s.sensor_reading_time.get(r),
        s.distance_from_object.get(r),
    )
}

/// [`step_key_hash`] of step row `r`.
#[inline]
fn step_row_hash(s: &StepTrainer, r: usize) -> u64 {
    let (serial, t, d) = step_key(s, r);
    step_key_hash(serial, t, d)
}

/// A step reading's full key (serial, time, distance) hashed: for [`capacity`] and the duplicate set.
pub(crate) fn step_key_hash(serial: u32, t: i64, distance: Option<i64>) -> u64 {
    mix(key_hash(serial, t) ^ distance.map_or(u64::MAX, |d| d as u64))
}

/// Rule 7b: the opaque device key of the strict `machine_learning_curated` table (`ml`: its
/// (step row, accelerometer row) pairs). Indexed by serial id: 0 when the serial has no row in
/// `ml`, else its rank 1..n in the order (the earliest `sensorReadingTime` of its rows in `ml`,
/// then the serial number as bytes) — SQL's `dense_rank() OVER (ORDER BY first_time,
/// serialNumber)`. The same input gives the same numbers on every platform; the number carries
/// no key material and appears in no other table. Source: issue #10 §5 ("anonymity").
pub fn device_ids(l: &Landing, ml: &[(u32, u32)]) -> Vec<u32> {
    let s = &l.step_trainer;
    let mut first: Vec<Option<i64>> = vec![None; l.serials.len()];
    for &(si, _) in ml {
        let (serial, t) = (
            s.serial_number[si as usize] as usize,
            s.sensor_reading_time.get(si as usize),
        );
        first[serial] = Some(first[serial].map_or(t, |f| f.min(t)));
    }
    let mut order: Vec<(i64, u32)> = first
        .iter()
        .enumerate()
        .filter_map(|(serial, f)| f.map(|t| (t, serial as u32)))
        .collect();
    order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| l.serials.get(a.1).cmp(l.serials.get(b.1))));
    let mut ids = vec![0u32; l.serials.len()];
    for (rank, &(_, serial)) in order.iter().enumerate() {
        ids[serial as usize] = rank as u32 + 1;
    }
    ids
}

/// Apply strict rules 1–7 (the module comment; `docs/sql/strict.sql`) to the landing tables: the
/// five derived tables with each one's [`Flow`], and the data-quality [`Facts`]. Errors: the
/// machine-learning join would exceed `max_rows` (rule 7 fans out on conflicting readings).
pub fn run(l: &Landing, max_rows: u64) -> Result<(Derived, Facts), RowLimit> {
    let mut facts = Facts::default();
    let customers = trusted_customers(l, &mut facts); // rule 1
    let idx = ReadingIndex::build(&l.accelerometer); // rule 2, accelerometer
    let readings = trusted_readings(l, &idx, &customers, &mut facts); // rules 2–3
    let curated = curated_customers(l, &customers, &readings); // rule 4
    let steps = trusted_step_readings(l, &idx, &customers, &curated, &mut facts); // rules 2, 5–6
    let ml = machine_learning_pairs(l, &idx, &steps, max_rows)?; // rule 7
    let derived = Derived {
        customer_trusted: customers.trusted,
        accelerometer_trusted: readings.trusted,
        customers_curated: curated.rows,
        step_trainer_trusted: steps.trusted,
        machine_learning_curated: ml.pairs,
        step_owner: steps.owner,
        flows: vec![customers.flow, readings.flow, curated.flow, steps.flow, ml.flow],
    };
    Ok((derived, facts))
}

/// Rule 1's result: the row kept per email, the consent of each email, `customer_trusted`.
struct Customers {
    /// Per email id: the kept customer row, or `NONE`.
    best: Vec<u32>,
    /// The kept rows, in row order.
    deduped: Vec<u32>,
    /// Per email id: its consent, read from the kept row.
    consent: Vec<Consent>,
    /// `customer_trusted`: kept rows whose consent is a date.
    trusted: Vec<u32>,
    flow: Flow,
}

/// Rule 1: one customer per email ([`latest_customer_per_email`]), trusted when its research
/// consent is a date ([`research_consent`]).
fn trusted_customers(l: &Landing, facts: &mut Facts) -> Customers {
    let best = latest_customer_per_email(l);
    let mut deduped: Vec<u32> = best.iter().copied().filter(|&b| b != NONE).collect();
    deduped.sort_unstable();
    let mut consent: Vec<Consent> = vec![Consent::Absent; l.emails.len()];
    let mut trusted = Vec::new();
    let mut not_a_date = 0usize;
    for &i in &deduped {
        let c = &l.customers[i as usize];
        let v = research_consent(c.share_with_research_as_of_date);
        consent[c.email as usize] = v;
        match v {
            Consent::Since(_) => trusted.push(i),
            Consent::NotADate(_) => not_a_date += 1,
            Consent::Absent => {}
        }
    }
    facts.duplicate_emails = duplicate_emails(l);
    facts.consent_not_a_date = l
        .customers
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(research_consent(c.share_with_research_as_of_date), Consent::NotADate(_)))
        .map(|(i, c)| (i as u32, best[c.email as usize] == i as u32))
        .collect();
    let flow = Flow::new(TableId::CustomerTrusted, TableId::CustomerLanding, l.customers.len())
        .removed(
            "superseded_duplicate",
            "an older row of an email that has a newer one",
            l.customers.len() - deduped.len(),
        )
        .removed(
            "no_research_consent",
            "latest row has no shareWithResearchAsOfDate",
            deduped.len() - trusted.len() - not_a_date,
        )
        .removed(
            "consent_not_a_date",
            "latest row's shareWithResearchAsOfDate is 0 or below, or below 10^11 (seconds, not milliseconds): not a consent date",
            not_a_date,
        )
        .out(trusted.len());
    Customers {
        best,
        deduped,
        consent,
        trusted,
        flow,
    }
}

/// Rules 2–3's result: `accelerometer_trusted` and which emails have a trusted reading.
struct Readings {
    trusted: Vec<u32>,
    /// Per email id.
    has_trusted_reading: Vec<bool>,
    flow: Flow,
}

/// Rules 2–3: accelerometer readings, exact duplicates once, of a known customer with consent,
/// taken at or after the consent date.
fn trusted_readings(l: &Landing, idx: &ReadingIndex, customers: &Customers, facts: &mut Facts) -> Readings {
    let a = &l.accelerometer;
    let (mut dup, mut unknown, mut no_consent, mut bad_consent, mut early) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut trusted = Vec::new();
    let mut has_trusted_reading = vec![false; l.emails.len()];
    for (i, (&user, ts)) in a.user.iter().zip(a.timestamp.iter()).enumerate() {
        let user = user as usize;
        if idx.is_duplicate(i) {
            dup += 1;
        } else if customers.best[user] == NONE {
            unknown += 1;
        } else {
            match customers.consent[user] {
                Consent::Absent => no_consent += 1,
                Consent::NotADate(_) => bad_consent += 1,
                Consent::Since(c) if ts < c => early += 1,
                Consent::Since(_) => {
                    trusted.push(i as u32);
                    has_trusted_reading[user] = true;
                }
            }
        }
    }
    facts.accelerometer_exact_duplicates = dup as u64;
    facts.accelerometer_unknown_user = unknown as u64;
    facts.accelerometer_before_consent = early as u64;
    let flow = Flow::new(TableId::AccelerometerTrusted, TableId::AccelerometerLanding, a.len())
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
            "consent_not_a_date",
            "the user's research consent is not a millisecond date (0 or below, or seconds)",
            bad_consent,
        )
        .removed(
            "before_consent",
            "timestamp earlier than the user's shareWithResearchAsOfDate",
            early,
        )
        .out(trusted.len());
    Readings {
        trusted,
        has_trusted_reading,
        flow,
    }
}

/// Rule 4's result: `customers_curated` and, per email id, whether it is curated.
struct Curated {
    rows: Vec<u32>,
    by_email: Vec<bool>,
    flow: Flow,
}

/// Rule 4: trusted customers with at least one trusted reading.
fn curated_customers(l: &Landing, customers: &Customers, readings: &Readings) -> Curated {
    let rows: Vec<u32> = customers
        .trusted
        .iter()
        .copied()
        .filter(|&i| readings.has_trusted_reading[l.customers[i as usize].email as usize])
        .collect();
    let mut by_email = vec![false; l.emails.len()];
    for &i in &rows {
        by_email[l.customers[i as usize].email as usize] = true;
    }
    let n = customers.trusted.len();
    let flow = Flow::new(TableId::CustomersCurated, TableId::CustomerTrusted, n)
        .removed(
            "no_trusted_reading",
            "no accelerometer reading at or after consent",
            n - rows.len(),
        )
        .out(rows.len());
    Curated { rows, by_email, flow }
}

/// Rules 5–6's result: `step_trainer_trusted` and each row's owner (email id).
struct Steps {
    trusted: Vec<u32>,
    owner: Vec<u32>,
    flow: Flow,
}

/// Rules 2, 5 and 6: step readings, exact duplicates once, whose device has one known owner
/// ([`serial_holders`], `resolve_owner`) who is curated, taken at or after the owner's consent.
fn trusted_step_readings(
    l: &Landing,
    idx: &ReadingIndex,
    customers: &Customers,
    curated: &Curated,
    facts: &mut Facts,
) -> Steps {
    let holders = serial_holders(l, &customers.deduped);
    facts.shared_serials = holders
        .iter()
        .enumerate()
        .filter(|(_, o)| o.len() > 1)
        .map(|(s, o)| (s as u32, o.clone()))
        .collect();
    let s = &l.step_trainer;
    let duplicate = step_duplicates(l);
    let (mut sdup, mut no_owner, mut ambiguous, mut not_curated, mut searly) = (0usize, 0, 0, 0, 0);
    let mut trusted = Vec::new();
    let mut owners = Vec::new();
    for (i, (&serial, t)) in s.serial_number.iter().zip(s.sensor_reading_time.iter()).enumerate() {
        if duplicate[i] {
            sdup += 1;
            continue;
        }
        let owner = match resolve_owner(&holders[serial as usize], t, idx) {
            Owner::Nobody => {
                no_owner += 1;
                continue;
            }
            Owner::Ambiguous => {
                ambiguous += 1;
                continue;
            }
            Owner::One(e) => e,
        };
        match customers.consent[owner as usize] {
            _ if !curated.by_email[owner as usize] => not_curated += 1,
            Consent::Since(c) if t < c => searly += 1,
            Consent::Since(_) => {
                trusted.push(i as u32);
                owners.push(owner);
            }
            Consent::Absent | Consent::NotADate(_) => unreachable!("curated customers have consent"),
        }
    }
    facts.step_trainer_exact_duplicates = sdup as u64;
    facts.step_trainer_no_owner = no_owner as u64;
    facts.step_trainer_ambiguous_owner = ambiguous as u64;
    facts.step_trainer_before_consent = searly as u64;
    let flow = Flow::new(TableId::StepTrainerTrusted, TableId::StepTrainerLanding, s.len())
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
        .out(trusted.len());
    Steps {
        trusted,
        owner: owners,
        flow,
    }
}

/// Rule 7's result: `machine_learning_curated` as (step row, accelerometer row) pairs.
struct MachineLearning {
    pairs: Vec<(u32, u32)>,
    flow: Flow,
}

/// Rule 7: each trusted step reading with its owner's accelerometer readings at the same
/// instant. Every distinct reading of a curated owner at or after consent is trusted, so the
/// index gives the partners directly. (The deviceId column is computed from these pairs by
/// [`device_ids`] when the table is written.) Several distinct readings of one owner at one
/// instant pair with each other (n × m rows): the rows are counted first, and over `max_rows`
/// none is held.
fn machine_learning_pairs(
    l: &Landing,
    idx: &ReadingIndex,
    steps: &Steps,
    max_rows: u64,
) -> Result<MachineLearning, RowLimit> {
    let s = &l.step_trainer;
    // Counted first: refused before any row is held, and then held in one exact allocation (a
    // growing vector of 8-byte pairs held up to 1.5x them, and both copies while it moved). Each
    // step's first partner is found once (the probes miss the cache); the count and the pairs
    // then follow its chain.
    let heads: Vec<u32> = (0..steps.trusted.len())
        .map(|k| {
            let t = s.sensor_reading_time.get(steps.trusted[k] as usize);
            idx.head(steps.owner[k], t).unwrap_or(NONE)
        })
        .collect();
    let partners = |k: usize| idx.chain(heads[k]);
    let rows: u64 = (0..heads.len()).map(|k| partners(k).count() as u64).sum();
    RowLimit::check(
        TableId::MachineLearningCurated,
        rows,
        max_rows,
        "join_owner_reading pairs every distinct step reading of an owner with every distinct accelerometer reading of that owner at the same instant, so conflicting readings at one instant multiply rows",
        "data_quality.json's conflicting_step_readings (from a run over part of the data) lists such instants; raise --max-rows if you have the memory and disk for it.",
    )?;
    let mut pairs = Vec::with_capacity(rows as usize);
    let mut unmatched = 0usize;
    for (k, &si) in steps.trusted.iter().enumerate() {
        let before = pairs.len();
        pairs.extend(partners(k).map(|ai| (si, ai)));
        if pairs.len() == before {
            unmatched += 1;
        }
    }
    let n = steps.trusted.len();
    let flow = Flow::new(TableId::MachineLearningCurated, TableId::StepTrainerTrusted, n)
        .joined(
            "join_owner_reading",
            "joined to the owner's accelerometer readings at the same instant (unmatched readings drop; several partners add rows)",
            unmatched,
            pairs.len() - (n - unmatched),
        )
        .out(pairs.len());
    Ok(MachineLearning { pairs, flow })
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
    use crate::rules::testkit::*;

    fn rule(d: &Derived, table: usize, name: &str) -> u64 {
        d.flows[table]
            .rules
            .iter()
            .find(|r| r.rule == name)
            .unwrap_or_else(|| panic!("no rule {name}"))
            .removed
    }

    #[test]
    fn latest_customer_per_email_breaks_ties_by_dates_then_read_order() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 10, None),
                cust("a@x", "s1", Some(2), 10, None), // greater lastUpdateDate
                cust("b@x", "s2", Some(3), 11, None), // greater registrationDate
                cust("b@x", "s2", Some(3), 10, None),
                cust("c@x", "s3", None, 10, None),
                cust("c@x", "s3", None, 10, None), // full tie: the last read
                cust("d@x", "s4", Some(1), 10, None),
                cust("d@x", "s4", None, 99, None), // a missing date sorts below any date
            ],
            &[],
            &[],
        );
        assert_eq!(latest_customer_per_email(&l), [1, 2, 5, 6]);
    }

    #[test]
    fn latest_row_per_email_decides_consent() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 10, Some(T0 + 5)), // superseded by the next row
                cust("a@x", "s1", Some(2), 10, None),         // latest: consent withdrawn
                cust("b@x", "s2", Some(3), 10, None),
                cust("b@x", "s2", Some(3), 11, Some(T0 + 7)), // same update date, later registration wins
                cust("c@x", "s3", None, 10, Some(T0 + 1)),
                cust("c@x", "s3", None, 10, Some(T0 + 2)), // full tie: the last read wins
            ],
            &[],
            &[],
        );
        let (d, f) = run(&l, u64::MAX).unwrap();
        assert_eq!(emails(&l, &d.customer_trusted), ["b@x", "c@x"]);
        assert_eq!(
            l.customers[d.customer_trusted[1] as usize].share_with_research_as_of_date,
            Some(T0 + 2)
        );
        assert_eq!(rule(&d, 0, "superseded_duplicate"), 3);
        assert_eq!(rule(&d, 0, "no_research_consent"), 1);
        assert_eq!(rule(&d, 0, "consent_not_a_date"), 0);
        assert_eq!(f.duplicate_emails.len(), 3);
        // a@x had consent T0+5 and then none: a conflict.
        assert_eq!(f.duplicate_emails[0].2, vec![Some(T0 + 5), None]);
    }

    #[test]
    fn research_consent_must_be_a_millisecond_date() {
        assert_eq!(research_consent(None), Consent::Absent);
        for v in [0, -1, i64::MIN, 1, 1_655_564_005, MIN_CONSENT_MS - 1] {
            assert_eq!(research_consent(Some(v)), Consent::NotADate(v), "{v}");
        }
        for v in [MIN_CONSENT_MS, T0, i64::MAX] {
            assert_eq!(research_consent(Some(v)), Consent::Since(v), "{v}");
        }
    }

    #[test]
    fn consent_that_is_not_a_date_makes_the_customer_untrusted() {
        let l = landing(
            &[
                cust("zero@x", "s1", Some(1), 1, Some(0)),
                cust("neg@x", "s2", Some(1), 1, Some(-5)),
                cust("secs@x", "s3", Some(1), 1, Some(1_655_564_005)), // seconds
                cust("ok@x", "s4", Some(1), 1, Some(T0)),
                cust("old@x", "s5", Some(1), 1, Some(0)), // superseded: listed, not decisive
                cust("old@x", "s5", Some(2), 1, Some(T0)),
                cust("none@x", "s6", Some(1), 1, None),
            ],
            &[
                acc("zero@x", T0 + 1, 1.0),
                acc("secs@x", T0 + 1, 1.0),
                acc("ok@x", T0 + 1, 1.0),
                acc("old@x", T0 + 1, 1.0),
                acc("none@x", T0 + 1, 1.0),
            ],
            &[step(T0 + 1, "s1", 1), step(T0 + 1, "s4", 2)],
        );
        let (d, f) = run(&l, u64::MAX).unwrap();
        assert_eq!(emails(&l, &d.customer_trusted), ["ok@x", "old@x"]);
        assert_eq!(rule(&d, 0, "consent_not_a_date"), 3);
        assert_eq!(rule(&d, 0, "no_research_consent"), 1);
        assert_eq!(rule(&d, 1, "consent_not_a_date"), 2);
        assert_eq!(rule(&d, 1, "no_research_consent"), 1);
        assert_eq!(
            readings(&l, &d.accelerometer_trusted),
            [("ok@x", T0 + 1), ("old@x", T0 + 1)]
        );
        assert_eq!(f.consent_not_a_date, [(0, true), (1, true), (2, true), (4, false)]);
        // zero@x's device reading is not trusted: its owner is not curated.
        assert_eq!(rule(&d, 3, "owner_not_curated"), 1);
        assert_eq!(d.step_trainer_trusted, [1]);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn readings_before_consent_duplicates_and_unknown_users_are_dropped() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(T0 + 100)),
                cust("n@x", "s2", Some(1), 1, None),
            ],
            &[
                acc("a@x", T0 + 99, 1.0),
                acc("a@x", T0 + 100, 1.0),
                acc("a@x", T0 + 100, 1.0),
                acc("a@x", T0 + 101, -0.0),
                acc("a@x", T0 + 101, 0.0),
                acc("z@x", T0 + 200, 1.0),
                acc("n@x", T0 + 200, 1.0),
            ],
            &[],
        );
        let (d, f) = run(&l, u64::MAX).unwrap();
        assert_eq!(
            readings(&l, &d.accelerometer_trusted),
            [("a@x", T0 + 100), ("a@x", T0 + 101)]
        );
        assert_eq!(
            f.accelerometer_exact_duplicates, 2,
            "an exact copy, and -0.0 equal to 0.0"
        );
        assert_eq!(f.accelerometer_before_consent, 1);
        assert_eq!(f.accelerometer_unknown_user, 1);
        assert_eq!(rule(&d, 1, "no_research_consent"), 1);
        assert_eq!(emails(&l, &d.customers_curated), ["a@x"]);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn customers_without_trusted_readings_are_not_curated() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(T0 + 100)),
                cust("b@x", "s2", Some(1), 1, Some(T0 + 100)),
            ],
            &[acc("a@x", T0 + 150, 1.0), acc("b@x", T0 + 50, 1.0)],
            &[],
        );
        let (d, _) = run(&l, u64::MAX).unwrap();
        assert_eq!(emails(&l, &d.customer_trusted), ["a@x", "b@x"]);
        assert_eq!(emails(&l, &d.customers_curated), ["a@x"]);
        assert_eq!(rule(&d, 2, "no_trusted_reading"), 1);
    }

    #[test]
    fn step_duplicates_are_equal_in_all_three_fields() {
        let l = landing(
            &[],
            &[],
            &[
                step(T0, "s1", 1),
                step(T0, "s1", 1),     // exact copy
                step(T0, "s1", 2),     // other distance
                step(T0, "s2", 1),     // other device
                step(T0 + 1, "s1", 1), // other time
                set(&step(T0, "s1", 0), "distanceFromObject", "null"),
                set(&step(T0, "s1", 0), "distanceFromObject", "null"), // null equals null
            ],
        );
        assert_eq!(step_duplicates(&l), [false, true, false, false, false, false, true]);
    }

    /// Against a plain set over 50,000 readings of 10 devices at 500 instants with four
    /// distances (one of them missing): sized from the estimate, and from nothing (it grows).
    #[test]
    fn step_duplicates_agree_with_a_plain_set_sized_or_grown() {
        let mut rng = fastrand::Rng::with_seed(15);
        let lines: Vec<String> = (0..50_000)
            .map(|_| {
                let line = step(T0 + rng.i64(0..500), &format!("s{}", rng.u32(0..10)), rng.i64(0..3));
                if rng.u8(0..4) == 0 {
                    set(&line, "distanceFromObject", "null")
                } else {
                    line
                }
            })
            .collect();
        let l = landing(&[], &[], &lines);
        let s = &l.step_trainer;
        let mut seen = std::collections::HashSet::new();
        let want: Vec<bool> = (0..s.len())
            .map(|i| {
                !seen.insert((
                    s.serial_number[i],
                    s.sensor_reading_time.get(i),
                    s.distance_from_object.get(i),
                ))
            })
            .collect();
        assert!(want.iter().filter(|&&d| d).count() > 10_000 && seen.len() > 10_000);
        assert_eq!(step_duplicates(&l), want);
        assert_eq!(step_duplicates_sized(&l, 0), want);
    }

    #[test]
    fn serial_holders_ignore_absent_and_empty_serials() {
        let mut l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(T0)),
                cust("b@x", "s1", Some(1), 1, Some(T0)),
                set(&cust("none@x", "x", Some(1), 1, Some(T0)), "serialNumber", "null"),
                cust("empty@x", "", Some(1), 1, Some(T0)),
            ],
            &[acc("none@x", T0, 1.0), acc("empty@x", T0, 1.0)],
            &[step(T0, "s1", 1)],
        );
        let deduped: Vec<u32> = (0..4).collect();
        let holders = serial_holders(&l, &deduped);
        let s1 = l.serials.lookup("s1").unwrap() as usize;
        assert_eq!(holders[s1], [0, 1]);
        assert_eq!(
            holders.iter().map(Vec::len).sum::<usize>(),
            2,
            "no one holds an empty serial"
        );
        // Whatever ingest makes of an empty step serial, a reading under it has no owner (built
        // by hand here: ingest may quarantine such a record).
        let empty = l.serials.intern("");
        l.step_trainer.sensor_reading_time.push(T0);
        l.step_trainer.serial_number.push(empty);
        l.step_trainer.distance_from_object.push(Some(9));
        let (d, f) = run(&l, u64::MAX).unwrap();
        assert_eq!(f.step_trainer_no_owner, 1);
        assert_eq!(
            f.step_trainer_ambiguous_owner, 1,
            "s1 is shared by a@x and b@x, neither read at T0"
        );
        assert!(d.step_trainer_trusted.is_empty());
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn resolve_owner_needs_one_holder_or_one_reading_at_the_instant() {
        let l = landing(
            &[],
            &[
                acc("a@x", T0, 1.0),
                acc("b@x", T0 + 1, 1.0),
                acc("a@x", T0 + 2, 1.0),
                acc("b@x", T0 + 2, 1.0),
            ],
            &[],
        );
        let idx = ReadingIndex::build(&l.accelerometer);
        let (a, b, c) = (0, 1, 7); // c has no readings at all
        assert_eq!(resolve_owner(&[], T0, &idx), Owner::Nobody);
        assert_eq!(
            resolve_owner(&[c], T0, &idx),
            Owner::One(c),
            "a single holder needs no reading"
        );
        assert_eq!(resolve_owner(&[a, b, c], T0, &idx), Owner::One(a));
        assert_eq!(resolve_owner(&[a, b], T0 + 1, &idx), Owner::One(b));
        assert_eq!(resolve_owner(&[a, b], T0 + 2, &idx), Owner::Ambiguous, "both read then");
        assert_eq!(
            resolve_owner(&[a, b], T0 + 3, &idx),
            Owner::Ambiguous,
            "neither read then"
        );
    }

    #[test]
    fn device_ownership_resolves_shared_serials_by_reading_time() {
        let l = landing(
            &[
                cust("a@x", "shared", Some(1), 1, Some(T0)),
                cust("b@x", "shared", Some(1), 1, Some(T0)),
                cust("c@x", "solo", Some(1), 1, Some(T0)),
            ],
            &[
                acc("a@x", T0 + 10, 1.0),
                acc("b@x", T0 + 20, 2.0),
                acc("a@x", T0 + 30, 3.0),
                acc("b@x", T0 + 30, 4.0),
                acc("c@x", T0 + 10, 5.0),
                acc("c@x", T0 + 10, 6.0),
            ],
            &[
                step(T0 + 10, "shared", 1), // only a@x read at 10 → a@x
                step(T0 + 20, "shared", 2), // only b@x → b@x
                step(T0 + 30, "shared", 3), // both → ambiguous
                step(T0 + 40, "shared", 4), // neither → ambiguous
                step(T0 + 10, "solo", 5),   // single owner; two partner readings
                step(T0 + 10, "solo", 5),   // exact duplicate
                step(T0 + 10, "nobody", 6), // no owner
            ],
        );
        let (d, f) = run(&l, u64::MAX).unwrap();
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
                    l.step_trainer.sensor_reading_time.get(i as usize) - T0,
                    l.step_trainer.distance_from_object.get(i as usize).unwrap(),
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
                    l.step_trainer.distance_from_object.get(s as usize).unwrap(),
                    l.accelerometer.x[a as usize].get().unwrap(),
                )
            })
            .collect();
        assert_eq!(ml, [(1, 1.0), (2, 2.0), (5, 5.0), (5, 6.0)]);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn step_readings_need_a_curated_owner_and_consent() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(T0 + 100)),
                cust("b@x", "s2", Some(1), 1, None),
            ],
            &[acc("a@x", T0 + 100, 1.0), acc("b@x", T0 + 100, 1.0)],
            &[step(T0 + 99, "s1", 1), step(T0 + 100, "s1", 2), step(T0 + 100, "s2", 3)],
        );
        let (d, f) = run(&l, u64::MAX).unwrap();
        assert_eq!(d.step_trainer_trusted, [1]);
        assert_eq!(f.step_trainer_before_consent, 1);
        assert_eq!(rule(&d, 3, "owner_not_curated"), 1);
        assert_eq!(d.machine_learning_curated, [(1, 0)]);
    }

    #[test]
    fn ml_join_that_fans_out_past_the_row_limit_is_refused_with_its_full_size() {
        // One owner, one instant: 30 distinct step readings (distances) × 40 distinct phone
        // readings (x) = 1,200 pairs from 70 records, plus one ordinary pair later.
        let steps: Vec<String> = (0..30)
            .map(|d| step(T0 + 5, "s1", d))
            .chain([step(T0 + 9, "s1", 1)])
            .collect();
        let accs: Vec<String> = (0..40)
            .map(|x| acc("a@x", T0 + 5, x as f64))
            .chain([acc("a@x", T0 + 9, 1.0)])
            .collect();
        let l = landing(&[cust("a@x", "s1", Some(1), 1, Some(T0))], &accs, &steps);
        let (d, _) = run(&l, 1_201).unwrap();
        assert_eq!(d.machine_learning_curated.len(), 1_201);
        for limit in [0, 100, 1_200] {
            let e = run(&l, limit).unwrap_err();
            assert_eq!(
                (e.table, e.rows, e.limit),
                (TableId::MachineLearningCurated, 1_201, limit)
            );
            assert!(e.to_string().contains("--max-rows"), "{e}");
        }
    }

    #[test]
    fn ml_join_pairs_a_reading_only_with_its_owners_phone() {
        // b@x reads at the same instant as a@x's device: strict does not pair them.
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(T0)),
                cust("b@x", "s2", Some(1), 1, Some(T0)),
            ],
            &[
                acc("a@x", T0 + 1, 1.0),
                acc("b@x", T0 + 1, 2.0),
                acc("b@x", T0 + 2, 3.0),
            ],
            &[step(T0 + 1, "s1", 1), step(T0 + 2, "s1", 2)],
        );
        let (d, _) = run(&l, u64::MAX).unwrap();
        assert_eq!(d.machine_learning_curated, [(0, 0)]);
        let ml = &d.flows[4];
        assert_eq!((ml.rules[0].removed, ml.rules[0].added, ml.rows_out), (1, 0, 1));
    }

    #[test]
    fn device_ids_rank_devices_by_first_ml_time_then_serial() {
        let l = landing(
            &[],
            &[],
            &[
                step(T0 + 5, "s-b", 1),
                step(T0 + 3, "s-c", 1),
                step(T0 + 1, "s-c", 2),  // s-c's earliest: T0+1
                step(T0 + 5, "s-a", 1),  // ties with s-b at T0+5: s-a < s-b
                step(T0, "s-unused", 1), // not in the ML table: no id
            ],
        );
        let serial = |s: &str| l.serials.lookup(s).unwrap() as usize;
        let ml = [(0, 0), (1, 0), (2, 0), (2, 1), (3, 0)];
        let ids = device_ids(&l, &ml);
        assert_eq!(
            [
                ids[serial("s-c")],
                ids[serial("s-a")],
                ids[serial("s-b")],
                ids[serial("s-unused")]
            ],
            [1, 2, 3, 0]
        );
        // Only the ML rows count: without s-c's early row, s-c starts at T0+3.
        let ids = device_ids(&l, &[(0, 0), (1, 0), (3, 0)]);
        assert_eq!([ids[serial("s-c")], ids[serial("s-a")], ids[serial("s-b")]], [1, 2, 3]);
        let ids = device_ids(&l, &[(0, 0), (3, 0)]);
        assert_eq!([ids[serial("s-a")], ids[serial("s-b")], ids[serial("s-c")]], [1, 2, 0]);
        assert!(device_ids(&l, &[]).iter().all(|&i| i == 0));
    }

    #[test]
    fn device_ids_do_not_depend_on_read_order() {
        let customers = [
            cust("a@x", "s-a", Some(1), 1, Some(T0)),
            cust("b@x", "s-b", Some(1), 1, Some(T0)),
        ];
        let acc_rows = [acc("a@x", T0 + 2, 1.0), acc("b@x", T0 + 1, 1.0)];
        let steps = [step(T0 + 2, "s-a", 1), step(T0 + 1, "s-b", 1)];
        let by_serial = |c: &[String], a: &[String], s: &[String]| {
            let l = landing(c, a, s);
            let (d, _) = run(&l, u64::MAX).unwrap();
            let ids = device_ids(&l, &d.machine_learning_curated);
            ["s-a", "s-b"].map(|s| ids[l.serials.lookup(s).unwrap() as usize])
        };
        let forward = by_serial(&customers, &acc_rows, &steps);
        let rev = |v: &[String]| v.iter().rev().cloned().collect::<Vec<_>>();
        let backward = by_serial(&rev(&customers), &rev(&acc_rows), &rev(&steps));
        assert_eq!(forward, [2, 1], "s-b's device reads first");
        assert_eq!(forward, backward);
    }
}

//! The data-quality report: what is wrong with the landing data, whatever rules were applied.
//! Built from the ingest account (quarantine), the facts the strict rules found, and a few
//! checks of the landing tables themselves (epoch scales, conflicting step readings).

use std::collections::BTreeMap;

use hashbrown::hash_table::{Entry, HashTable};
use serde::Serialize;

use crate::ingest::{IngestReport, Quarantined, Reason};
use crate::model::{Landing, Source};
use crate::rules::sizing::{capacity, key_hash};
use crate::rules::Facts;

/// Lists in the report are cut to this many entries (their totals are always exact).
pub const LIST_LIMIT: usize = 1000;

/// `data_quality.json`: what is wrong with the landing data (docs/semantics.md, "The data-quality
/// report"). Computed with the strict rules' facts whatever the mode; records are never changed.
/// Lists are cut to [`LIST_LIMIT`] entries, their counts are exact.
#[derive(Debug, Serialize)]
pub struct QualityReport {
    /// Every quarantined record and rejected file.
    pub quarantined: QuarantineSection,
    /// Serial numbers held by more than one de-duplicated customer (reused by the fulfilment site).
    pub shared_serials: SharedSerials,
    /// Emails with more than one customer row.
    pub duplicate_emails: DuplicateEmails,
    /// Accelerometer and step readings equal in every field to an earlier one (strict rule 2).
    pub exact_duplicates: PerReadingSource,
    /// Distinct readings of consenting customers taken before their consent date (strict rules 3
    /// and 6; step readings counted only for curated owners).
    pub readings_before_consent: PerReadingSource,
    /// Distinct step readings strict could assign to no owner (strict rule 5).
    pub readings_without_owner: WithoutOwner,
    /// Accelerometer readings (exact duplicates not counted) whose user has no customer record.
    pub accelerometer_unknown_user: u64,
    /// Customer rows whose research consent is set but is not a millisecond date.
    pub consent_not_a_date: ConsentNotADate,
    /// Step readings of one device at one instant with different distances (kept, flagged).
    pub conflicting_step_readings: ConflictingStepReadings,
    /// The range of epoch values (milliseconds, `[from, to)`: 2000-01-01 to 2100-01-01 UTC)
    /// taken as plausible times; the counts below are of values outside it.
    pub plausible_epoch_range_ms: [i64; 2],
    /// Epoch values that look like seconds, not milliseconds (between 10^9 and 10^10: years
    /// 2001–2286 in seconds, January 1970 in milliseconds). Kept as given, flagged here.
    pub epochs_in_seconds: EpochCounts,
    /// Epoch values that look like microseconds (10^15 to 10^16: 2001–2286 in µs, tens of
    /// thousands of years ahead in ms). Kept as given, flagged here.
    pub epochs_in_microseconds: EpochCounts,
    /// Epoch values that look like nanoseconds (10^18 and above: 2001–2262 in ns). Kept, flagged.
    pub epochs_in_nanoseconds: EpochCounts,
    /// Any other epoch value outside `plausible_epoch_range_ms` (0, negatives, before 2000,
    /// after 2100). Kept as given, flagged here.
    pub epochs_out_of_range: EpochCounts,
    /// Keys of kept records that no source defines (schema drift), per source: key, count, first
    /// file and line. The records are kept; the values of these keys are not in any table. At most
    /// [`crate::ingest::UNKNOWN_KEYS_LISTED`] keys per source, the alphabetically first.
    pub schema_drift: Vec<DriftedKey>,
    /// Occurrences of drifted keys beyond the listed ones, summed over the sources.
    pub schema_drift_not_listed: u64,
}

/// One key that no source defines.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DriftedKey {
    /// The source of the records holding it.
    pub source: Source,
    /// The key, as written in the records.
    pub key: String,
    /// Kept records holding it.
    pub count: u64,
    /// The file it was first seen in (the path as given to the ingest).
    pub first_file: String,
    /// The 1-based line of that file where the record holding it starts.
    pub first_line: u64,
}

/// Epoch values of one kind per source. Customer counts cover its five epoch fields
/// (registrationDate, lastUpdateDate, shareWith{Research,Public,Friends}AsOfDate); accelerometer
/// `timestamp`; step_trainer `sensorReadingTime`.
#[derive(Debug, Serialize, Default, PartialEq, Eq)]
pub struct EpochCounts {
    /// Values over the five customer epoch fields of every landing customer row.
    pub customer: u64,
    /// Landing accelerometer `timestamp` values.
    pub accelerometer: u64,
    /// Landing step_trainer `sensorReadingTime` values.
    pub step_trainer: u64,
}

/// First plausible epoch: 2000-01-01T00:00:00Z in milliseconds. The STEDI devices, the phones
/// and their apps are all later; earlier values are placeholders or another unit.
pub const PLAUSIBLE_FROM_MS: i64 = 946_684_800_000;
/// End of the plausible range: 2100-01-01T00:00:00Z in milliseconds (no reading is from then).
pub const PLAUSIBLE_TO_MS: i64 = 4_102_444_800_000;

/// How an epoch value reads (the data is specified in milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EpochScale {
    /// In `[PLAUSIBLE_FROM_MS, PLAUSIBLE_TO_MS)`.
    Milliseconds,
    /// `[10^9, 10^10)`.
    Seconds,
    /// `[10^15, 10^16)`.
    Microseconds,
    /// `10^18` and above.
    Nanoseconds,
    /// Anything else.
    OutOfRange,
}

/// Classify one epoch value (see [`EpochScale`]).
pub fn epoch_scale(t: i64) -> EpochScale {
    match t {
        PLAUSIBLE_FROM_MS..PLAUSIBLE_TO_MS => EpochScale::Milliseconds,
        1_000_000_000..10_000_000_000 => EpochScale::Seconds,
        1_000_000_000_000_000..10_000_000_000_000_000 => EpochScale::Microseconds,
        1_000_000_000_000_000_000.. => EpochScale::Nanoseconds,
        _ => EpochScale::OutOfRange,
    }
}

/// Per-source counts of the epoch values of `scale`.
fn count_epochs(landing: &Landing, scale: EpochScale) -> EpochCounts {
    let is = |t: i64| epoch_scale(t) == scale;
    EpochCounts {
        customer: landing
            .customers
            .iter()
            .flat_map(|c| {
                [
                    c.registration_date,
                    c.last_update_date,
                    c.share_with_research_as_of_date,
                    c.share_with_public_as_of_date,
                    c.share_with_friends_as_of_date,
                ]
            })
            .flatten()
            .filter(|&t| is(t))
            .count() as u64,
        accelerometer: landing.accelerometer.timestamp.iter().filter(|&t| is(t)).count() as u64,
        step_trainer: landing
            .step_trainer
            .sensor_reading_time
            .iter()
            .filter(|&t| is(t))
            .count() as u64,
    }
}

/// Customer rows whose research consent is not a millisecond date (strict rule 1, "Consent is a
/// date", [`crate::rules::strict::research_consent`]).
#[derive(Debug, Serialize)]
pub struct ConsentNotADate {
    /// Customer landing rows with a `shareWithResearchAsOfDate` that is 0 or below, or below
    /// 10^11 (seconds): every such row, whichever mode ran (rubric trusts them, strict does not).
    pub rows: usize,
    /// Of those, rows that are their email's latest row: customers strict leaves out of
    /// `customer_trusted` under the rule `consent_not_a_date`.
    pub customers_not_trusted_in_strict: usize,
    /// The rows, in landing order (first [`LIST_LIMIT`]).
    pub list: Vec<ConsentRow>,
}

/// One customer row whose research consent is not a date.
#[derive(Debug, Serialize)]
pub struct ConsentRow {
    /// The row's email.
    pub email: String,
    /// The value as landed: below 10^11 (0, negative, or an epoch in seconds, not milliseconds).
    pub share_with_research_as_of_date: i64,
    /// Whether this is the email's latest row (the one the strict rules read consent from).
    pub latest_row: bool,
}

/// Examples listed of conflicting step readings.
pub const CONFLICT_EXAMPLES: usize = 10;

/// One device at one instant with different distances (docs/semantics.md, "The data-quality
/// report"). The readings are all kept: nothing says which is right.
#[derive(Debug, Serialize, PartialEq)]
pub struct ConflictingStepReadings {
    /// (serialNumber, sensorReadingTime) pairs with more than one distinct distanceFromObject
    /// (a missing distance counts as a value of its own).
    pub instants: u64,
    /// Distinct (serial, time, distance) readings at those instants (exact duplicates once).
    pub readings: u64,
    /// The first few such instants, in the order their conflict appears in the landing data.
    pub examples: Vec<ConflictingStepReading>,
}

/// One conflicting instant.
#[derive(Debug, Serialize, PartialEq)]
pub struct ConflictingStepReading {
    /// The device's serial number.
    pub serial_number: String,
    /// The instant, epoch milliseconds as landed.
    pub sensor_reading_time: i64,
    /// The distinct distances, in read order.
    pub distances: Vec<Option<i64>>,
}

/// Step readings of one device at one instant that disagree on the distance, over every landing
/// step row (exact duplicates count once; examples: the first [`CONFLICT_EXAMPLES`]).
pub fn conflicting_step_readings(landing: &Landing) -> ConflictingStepReadings {
    let s = &landing.step_trainer;
    // Sized for the distinct instants, not the rows (`rules::sizing`).
    let cap = capacity(
        s.len(),
        s.serial_number
            .iter()
            .zip(s.sensor_reading_time.iter())
            .map(|(&n, t)| key_hash(n, t)),
    );
    conflicting_step_readings_sized(landing, cap)
}

/// [`conflicting_step_readings`] with its table first sized for `cap` instants (it grows past them).
fn conflicting_step_readings_sized(landing: &Landing, cap: usize) -> ConflictingStepReadings {
    let s = &landing.step_trainer;
    // (the instant's first row, index into `groups` once a second distance is seen, else NONE),
    // keyed by the first row's (serial, time), read back from the columns (`rules::reading_index`).
    const NONE: u32 = u32::MAX;
    let key = |r: u32| (s.serial_number[r as usize], s.sensor_reading_time.get(r as usize));
    let mut first: HashTable<(u32, u32)> = HashTable::with_capacity(cap);
    // ((serial, time), its distinct distances in read order), one per conflicting instant.
    type Group = ((u32, i64), Vec<Option<i64>>);
    let mut groups: Vec<Group> = Vec::new();
    for i in 0..s.len() {
        let (k, d) = (key(i as u32), s.distance_from_object.get(i));
        let entry = first.entry(
            key_hash(k.0, k.1),
            |&(r, _)| key(r) == k,
            |&(r, _)| {
                let (n, t) = key(r);
                key_hash(n, t)
            },
        );
        match entry {
            Entry::Vacant(v) => {
                v.insert((i as u32, NONE));
            }
            Entry::Occupied(mut o) => {
                let (r0, g) = *o.get();
                if g != NONE {
                    let distances = &mut groups[g as usize].1;
                    if !distances.contains(&d) {
                        distances.push(d);
                    }
                } else {
                    let d0 = s.distance_from_object.get(r0 as usize);
                    if d0 != d {
                        o.get_mut().1 = groups.len() as u32;
                        groups.push((k, vec![d0, d]));
                    }
                }
            }
        }
    }
    ConflictingStepReadings {
        instants: groups.len() as u64,
        readings: groups.iter().map(|(_, d)| d.len() as u64).sum(),
        examples: groups
            .into_iter()
            .take(CONFLICT_EXAMPLES)
            .map(|((serial, t), distances)| ConflictingStepReading {
                serial_number: landing.serials.get(serial).to_string(),
                sensor_reading_time: t,
                distances,
            })
            .collect(),
    }
}

/// The quarantine: counts by source and reason, rejected files, and the records themselves.
#[derive(Debug, Serialize)]
pub struct QuarantineSection {
    /// Records quarantined, over every source and `unrouted` (a binary file rejected whole counts as one).
    pub total: u64,
    /// source → reason → records (`unrouted` for files that matched no source).
    pub by_source: BTreeMap<&'static str, BTreeMap<Reason, u64>>,
    /// Files rejected whole, with why.
    pub rejected_files: Vec<RejectedFile>,
    /// The first [`crate::ingest::QUARANTINE_SAMPLE_LIMIT`] quarantined records, in read order
    /// (the same list as `quarantine.ndjson`).
    pub records: Vec<Quarantined>,
    /// Quarantined records beyond that limit: counted in `total`, not listed.
    pub records_not_listed: u64,
}

/// A file with a file-level error: binary (rejected whole), not routed to any source, or holding no records.
#[derive(Debug, Serialize)]
pub struct RejectedFile {
    /// The path as given to the ingest.
    pub file: String,
    /// Why, as a sentence (`FileReport.error`).
    pub error: String,
}

/// Serial numbers more than one customer holds (strict rule 5 resolves their readings' owner).
#[derive(Debug, Serialize)]
pub struct SharedSerials {
    /// Serial numbers held by more than one (de-duplicated) customer.
    pub serials: usize,
    /// Customers holding them, summed over those serials.
    pub customers: usize,
    /// The serials in serial id (first-read) order, first [`LIST_LIMIT`].
    pub list: Vec<SharedSerial>,
}

/// One shared serial number.
#[derive(Debug, Serialize)]
pub struct SharedSerial {
    /// The serial number.
    pub serial_number: String,
    /// The emails of the de-duplicated customers holding it, in customer row order.
    pub emails: Vec<String>,
}

/// Emails with more than one customer row (strict rule 1 keeps the latest).
#[derive(Debug, Serialize)]
pub struct DuplicateEmails {
    /// Emails with more than one customer row.
    pub emails: usize,
    /// Customer rows of those emails, all rows counted.
    pub rows: u64,
    /// Of those, emails whose rows disagree on research consent.
    pub with_conflicting_consent: usize,
    /// The emails in email id (first-read) order, first [`LIST_LIMIT`].
    pub list: Vec<DuplicateEmail>,
}

/// One email with several customer rows.
#[derive(Debug, Serialize)]
pub struct DuplicateEmail {
    /// The email.
    pub email: String,
    /// Its customer rows.
    pub rows: u32,
    /// The distinct `shareWithResearchAsOfDate` values among its rows (epoch ms or null), in read order.
    pub research_consent_values: Vec<Option<i64>>,
    /// Whether there is more than one such value.
    pub conflicting_consent: bool,
}

/// One count per reading source.
#[derive(Debug, Serialize)]
pub struct PerReadingSource {
    /// Accelerometer readings.
    pub accelerometer: u64,
    /// Step_trainer readings.
    pub step_trainer: u64,
}

/// Step readings strict drops for want of an owner (strict rule 5, exact duplicates not counted).
#[derive(Debug, Serialize)]
pub struct WithoutOwner {
    /// No customer has the serial number.
    pub no_owner: u64,
    /// Several customers share the serial and not exactly one has a reading at that instant.
    pub ambiguous_owner: u64,
}

/// The report over the landing tables, the ingest account and the strict rules' facts
/// ([`crate::rules::run`] computes them in both modes).
pub fn report(landing: &Landing, ingest: &IngestReport, facts: &Facts) -> QualityReport {
    let mut by_source: BTreeMap<&'static str, BTreeMap<Reason, u64>> = BTreeMap::new();
    for (src, c) in &ingest.sources {
        by_source.insert(src.name(), c.quarantined.clone());
    }
    if ingest.unrouted.records_read > 0 {
        by_source.insert("unrouted", ingest.unrouted.quarantined.clone());
    }
    let total = ingest.sources.values().map(|c| c.quarantined_total).sum::<u64>() + ingest.unrouted.quarantined_total;
    let rejected_files = ingest
        .files
        .iter()
        .filter_map(|f| {
            f.error.as_ref().map(|e| RejectedFile {
                file: f.name.clone(),
                error: e.clone(),
            })
        })
        .collect();

    let email = |e: u32| landing.emails.get(e).to_string();
    let shared_list = facts
        .shared_serials
        .iter()
        .take(LIST_LIMIT)
        .map(|(s, emails)| SharedSerial {
            serial_number: landing.serials.get(*s).to_string(),
            emails: emails.iter().map(|&e| email(e)).collect(),
        })
        .collect();
    let conflicting = |v: &Vec<Option<i64>>| v.len() > 1;
    let dup_list = facts
        .duplicate_emails
        .iter()
        .take(LIST_LIMIT)
        .map(|(e, rows, v)| DuplicateEmail {
            email: email(*e),
            rows: *rows,
            research_consent_values: v.clone(),
            conflicting_consent: conflicting(v),
        })
        .collect();

    QualityReport {
        quarantined: QuarantineSection {
            total,
            by_source,
            rejected_files,
            records: ingest.quarantine.clone(),
            records_not_listed: ingest.quarantine_not_listed,
        },
        shared_serials: SharedSerials {
            serials: facts.shared_serials.len(),
            customers: facts.shared_serials.iter().map(|(_, e)| e.len()).sum(),
            list: shared_list,
        },
        duplicate_emails: DuplicateEmails {
            emails: facts.duplicate_emails.len(),
            rows: facts.duplicate_emails.iter().map(|(_, r, _)| *r as u64).sum(),
            with_conflicting_consent: facts.duplicate_emails.iter().filter(|(_, _, v)| conflicting(v)).count(),
            list: dup_list,
        },
        exact_duplicates: PerReadingSource {
            accelerometer: facts.accelerometer_exact_duplicates,
            step_trainer: facts.step_trainer_exact_duplicates,
        },
        readings_before_consent: PerReadingSource {
            accelerometer: facts.accelerometer_before_consent,
            step_trainer: facts.step_trainer_before_consent,
        },
        readings_without_owner: WithoutOwner {
            no_owner: facts.step_trainer_no_owner,
            ambiguous_owner: facts.step_trainer_ambiguous_owner,
        },
        accelerometer_unknown_user: facts.accelerometer_unknown_user,
        consent_not_a_date: ConsentNotADate {
            rows: facts.consent_not_a_date.len(),
            customers_not_trusted_in_strict: facts.consent_not_a_date.iter().filter(|(_, latest)| *latest).count(),
            list: facts
                .consent_not_a_date
                .iter()
                .take(LIST_LIMIT)
                .map(|&(row, latest)| {
                    let c = &landing.customers[row as usize];
                    ConsentRow {
                        email: email(c.email),
                        share_with_research_as_of_date: c
                            .share_with_research_as_of_date
                            .expect("listed rows have a value"),
                        latest_row: latest,
                    }
                })
                .collect(),
        },
        conflicting_step_readings: conflicting_step_readings(landing),
        plausible_epoch_range_ms: [PLAUSIBLE_FROM_MS, PLAUSIBLE_TO_MS],
        epochs_in_seconds: count_epochs(landing, EpochScale::Seconds),
        epochs_in_microseconds: count_epochs(landing, EpochScale::Microseconds),
        epochs_in_nanoseconds: count_epochs(landing, EpochScale::Nanoseconds),
        epochs_out_of_range: count_epochs(landing, EpochScale::OutOfRange),
        schema_drift: ingest
            .schema_drift
            .iter()
            .flat_map(|(&source, d)| {
                d.keys.iter().map(move |(key, k)| DriftedKey {
                    source,
                    key: key.clone(),
                    count: k.count,
                    first_file: k.first_file.clone(),
                    first_line: k.first_line,
                })
            })
            .collect(),
        schema_drift_not_listed: ingest.schema_drift.values().map(|d| d.not_listed).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Ingest;
    use crate::model::Source;
    use crate::rules::strict;
    use crate::rules::testkit::*;

    #[test]
    fn epoch_scale_bands() {
        use EpochScale::*;
        let cases = [
            (T0, Milliseconds),
            (PLAUSIBLE_FROM_MS, Milliseconds),
            (PLAUSIBLE_FROM_MS - 1, OutOfRange), // 1999-12-31
            (PLAUSIBLE_TO_MS - 1, Milliseconds),
            (PLAUSIBLE_TO_MS, OutOfRange), // 2100
            (0, OutOfRange),
            (-1, OutOfRange),
            (i64::MIN, OutOfRange),
            (999_999_999, OutOfRange),
            (1_655_564_005, Seconds),
            (9_999_999_999, Seconds),
            (T0 * 1_000, Microseconds),
            (999_999_999_999_999, OutOfRange),
            (T0 * 1_000_000, Nanoseconds),
            (i64::MAX, Nanoseconds),
        ];
        for (t, want) in cases {
            assert_eq!(epoch_scale(t), want, "{t}");
        }
    }

    #[test]
    fn conflicting_step_readings_count_instants_and_distinct_readings() {
        let l = landing(
            &[],
            &[],
            &[
                step(T0, "s1", 1),
                step(T0, "s1", 1), // exact duplicate: no conflict by itself
                step(T0 + 1, "s1", 1),
                step(T0 + 1, "s2", 2),
                step(T0 + 1, "s2", 3), // conflict: s2 at T0+1
                step(T0 + 1, "s2", 3),
                step(T0 + 1, "s2", 4),
                step(T0, "s1", 5), // conflict: s1 at T0 (appears after s2's)
                set(&step(T0 + 2, "s1", 0), "distanceFromObject", "null"),
                step(T0 + 2, "s1", 7), // a missing distance differs from 7
            ],
        );
        let c = conflicting_step_readings(&l);
        assert_eq!((c.instants, c.readings), (3, 7));
        let ex: Vec<(&str, i64, &[Option<i64>])> = c
            .examples
            .iter()
            .map(|e| (e.serial_number.as_str(), e.sensor_reading_time - T0, &e.distances[..]))
            .collect();
        assert_eq!(
            ex,
            [
                ("s2", 1, &[Some(2), Some(3), Some(4)][..]),
                ("s1", 0, &[Some(1), Some(5)][..]),
                ("s1", 2, &[None, Some(7)][..]),
            ]
        );
        let many: Vec<String> = (0..2 * CONFLICT_EXAMPLES as i64)
            .flat_map(|t| [step(T0 + t, "s", 1), step(T0 + t, "s", 2)])
            .collect();
        let c = conflicting_step_readings(&landing(&[], &[], &many));
        assert_eq!(
            (c.instants, c.examples.len()),
            (2 * CONFLICT_EXAMPLES as u64, CONFLICT_EXAMPLES)
        );
    }

    /// Against a plain map over 40,000 readings of 20 devices at 500 instants with three
    /// distances (many instants in conflict, many exact copies): instants, distinct readings and
    /// the examples (the first conflicts in landing order, each distance in read order); sized
    /// from the estimate, and from nothing (the table grows, re-reading every key's hash).
    #[test]
    fn conflicting_step_readings_agree_with_a_plain_map_sized_or_grown() {
        use std::collections::HashMap;
        let mut rng = fastrand::Rng::with_seed(15);
        let lines: Vec<String> = (0..40_000)
            .map(|_| step(T0 + rng.i64(0..500), &format!("s{}", rng.u32(0..20)), rng.i64(0..3)))
            .collect();
        let l = landing(&[], &[], &lines);
        let s = &l.step_trainer;
        // (serial, time) → distinct distances in read order; conflicts in the order they appear.
        let mut distances: HashMap<(u32, i64), Vec<Option<i64>>> = HashMap::new();
        let mut order = Vec::new();
        for i in 0..s.len() {
            let key = (s.serial_number[i], s.sensor_reading_time.get(i));
            let d = distances.entry(key).or_default();
            if !d.contains(&s.distance_from_object.get(i)) {
                d.push(s.distance_from_object.get(i));
                if d.len() == 2 {
                    order.push(key);
                }
            }
        }
        let conflicts: Vec<usize> = distances.values().map(Vec::len).filter(|&n| n > 1).collect();
        assert!(conflicts.len() > 1_000 && conflicts.len() < distances.len());
        let examples: Vec<(String, i64, Vec<Option<i64>>)> = order
            .iter()
            .take(CONFLICT_EXAMPLES)
            .map(|&(n, t)| (l.serials.get(n).to_string(), t, distances[&(n, t)].clone()))
            .collect();
        for c in [conflicting_step_readings(&l), conflicting_step_readings_sized(&l, 0)] {
            assert_eq!(
                (c.instants, c.readings),
                (conflicts.len() as u64, conflicts.iter().sum::<usize>() as u64)
            );
            let got: Vec<(String, i64, Vec<Option<i64>>)> = c
                .examples
                .into_iter()
                .map(|e| (e.serial_number, e.sensor_reading_time, e.distances))
                .collect();
            assert_eq!(got, examples);
        }
    }

    fn ingest(customers: &[String], accelerometer: &[String], step_trainer: &[String]) -> Ingest {
        let mut ing = Ingest::new();
        for (src, lines) in [
            (Source::Customer, customers),
            (Source::Accelerometer, accelerometer),
            (Source::StepTrainer, step_trainer),
        ] {
            ing.add_file("t.json", Some(src), lines.join("\n").as_bytes());
        }
        ing
    }

    #[test]
    fn report_lists_every_consent_value_that_is_not_a_date() {
        let ing = ingest(
            &[
                cust("zero@x", "s1", Some(1), T0, Some(0)),
                cust("secs@x", "s2", Some(1), T0, Some(1_655_564_005)),
                cust("old@x", "s3", Some(1), T0, Some(-1)),
                cust("old@x", "s3", Some(2), T0, Some(T0)),
                cust("ok@x", "s4", Some(1), T0, Some(T0)),
            ],
            &[],
            &[],
        );
        // The report is built from the strict facts in both modes (`rules::run`), so what it
        // lists does not depend on the mode; strict itself trusts only ok@x and old@x.
        let (d, facts) = strict::run(&ing.landing, u64::MAX).unwrap();
        assert_eq!(d.customer_trusted.len(), 2);
        let q = report(&ing.landing, &ing.report, &facts);
        let c = &q.consent_not_a_date;
        assert_eq!((c.rows, c.customers_not_trusted_in_strict), (3, 2));
        let list: Vec<(&str, i64, bool)> = c
            .list
            .iter()
            .map(|r| (r.email.as_str(), r.share_with_research_as_of_date, r.latest_row))
            .collect();
        assert_eq!(
            list,
            [
                ("zero@x", 0, true),
                ("secs@x", 1_655_564_005, true),
                ("old@x", -1, false)
            ]
        );
    }

    #[test]
    fn report_counts_epochs_by_scale_per_source() {
        let ing = ingest(
            &[cust("a@x", "s1", Some(1_655_564_005), T0, Some(0))], // lastUpdate in s, registration fine, consent 0
            &[
                acc("a@x", T0, 1.0),
                acc("a@x", 1_655_564_005, 1.0),
                acc("a@x", T0 * 1_000, 1.0),
                acc("a@x", T0 * 1_000_000, 1.0),
                acc("a@x", 5_000_000_000_000, 1.0), // year 2128
            ],
            &[step(-5, "s1", 1), step(T0, "s1", 1)],
        );
        let (_, facts) = strict::run(&ing.landing, u64::MAX).unwrap();
        let q = report(&ing.landing, &ing.report, &facts);
        let counts = |c: &EpochCounts| (c.customer, c.accelerometer, c.step_trainer);
        assert_eq!(counts(&q.epochs_in_seconds), (1, 1, 0));
        assert_eq!(counts(&q.epochs_in_microseconds), (0, 1, 0));
        assert_eq!(counts(&q.epochs_in_nanoseconds), (0, 1, 0));
        assert_eq!(counts(&q.epochs_out_of_range), (1, 1, 1));
        assert_eq!(q.plausible_epoch_range_ms, [PLAUSIBLE_FROM_MS, PLAUSIBLE_TO_MS]);
    }

    #[test]
    fn keys_no_source_defines_are_listed_with_count_and_first_place() {
        let mut ing = Ingest::new();
        ing.add_file(
            "landing/accelerometer/a.json",
            None,
            b"{\"user\":\"a@x\",\"timestamp\":1655564000000,\"deviceTemp\":31}\n{\"user\":\"a@x\",\"timestamp\":1655564001000}\n{\"user\":\"a@x\",\"timestamp\":1655564002000,\"deviceTemp\":30,\"z_raw\":[1]}\n",
        );
        let (_, facts) = crate::rules::run(&ing.landing, crate::rules::Mode::Strict, u64::MAX).unwrap();
        let q = report(&ing.landing, &ing.report, &facts);
        assert_eq!(
            q.schema_drift,
            vec![
                DriftedKey {
                    source: Source::Accelerometer,
                    key: "deviceTemp".into(),
                    count: 2,
                    first_file: "landing/accelerometer/a.json".into(),
                    first_line: 1
                },
                DriftedKey {
                    source: Source::Accelerometer,
                    key: "z_raw".into(),
                    count: 1,
                    first_file: "landing/accelerometer/a.json".into(),
                    first_line: 3
                },
            ]
        );
        assert_eq!(ing.landing.accelerometer.len(), 3, "the records are kept");
    }
}

//! The data-quality report: what is wrong with the landing data, whatever rules were applied.
//! Built from the ingest account (quarantine) and the facts the strict rules found.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ingest::{IngestReport, Quarantined};
use crate::model::Landing;
use crate::zones::Facts;

/// Lists in the report are cut to this many entries (their totals are always exact).
pub const LIST_LIMIT: usize = 1000;

#[derive(Debug, Serialize)]
pub struct QualityReport {
    pub quarantined: QuarantineSection,
    pub shared_serials: SharedSerials,
    pub duplicate_emails: DuplicateEmails,
    pub exact_duplicates: PerReadingSource,
    pub readings_before_consent: PerReadingSource,
    pub readings_without_owner: WithoutOwner,
    /// Accelerometer readings whose user has no customer record.
    pub accelerometer_unknown_user: u64,
    /// Epoch values that look like seconds, not milliseconds (between 10^9 and 10^10: years
    /// 2001–2286 in seconds, January 1970 in milliseconds). Kept as given, flagged here.
    pub epochs_in_seconds: EpochsInSeconds,
}

#[derive(Debug, Serialize)]
pub struct EpochsInSeconds {
    pub customer: u64,
    pub accelerometer: u64,
    pub step_trainer: u64,
}

fn looks_like_seconds(t: i64) -> bool {
    (1_000_000_000..10_000_000_000).contains(&t)
}

#[derive(Debug, Serialize)]
pub struct QuarantineSection {
    pub total: u64,
    /// source → reason → records (`unrouted` for files that matched no source).
    pub by_source: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// Files rejected whole, with why.
    pub rejected_files: Vec<RejectedFile>,
    pub records: Vec<Quarantined>,
    pub records_not_listed: u64,
}

#[derive(Debug, Serialize)]
pub struct RejectedFile {
    pub file: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct SharedSerials {
    /// Serial numbers held by more than one (de-duplicated) customer.
    pub serials: usize,
    pub customers: usize,
    pub list: Vec<SharedSerial>,
}

#[derive(Debug, Serialize)]
pub struct SharedSerial {
    pub serial_number: String,
    pub emails: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct DuplicateEmails {
    /// Emails with more than one customer row.
    pub emails: usize,
    pub rows: u64,
    /// Of those, emails whose rows disagree on research consent.
    pub with_conflicting_consent: usize,
    pub list: Vec<DuplicateEmail>,
}

#[derive(Debug, Serialize)]
pub struct DuplicateEmail {
    pub email: String,
    pub rows: u32,
    pub research_consent_values: Vec<Option<i64>>,
    pub conflicting_consent: bool,
}

#[derive(Debug, Serialize)]
pub struct PerReadingSource {
    pub accelerometer: u64,
    pub step_trainer: u64,
}

#[derive(Debug, Serialize)]
pub struct WithoutOwner {
    /// No customer has the serial number.
    pub no_owner: u64,
    /// Several customers share the serial and not exactly one has a reading at that instant.
    pub ambiguous_owner: u64,
}

pub fn report(landing: &Landing, ingest: &IngestReport, facts: &Facts) -> QualityReport {
    let mut by_source: BTreeMap<&'static str, BTreeMap<&'static str, u64>> = BTreeMap::new();
    for (src, c) in &ingest.sources {
        by_source.insert(src, c.quarantined.clone());
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
        epochs_in_seconds: EpochsInSeconds {
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
                .filter(|&t| looks_like_seconds(t))
                .count() as u64,
            accelerometer: landing
                .accelerometer
                .timestamp
                .iter()
                .filter(|&&t| looks_like_seconds(t))
                .count() as u64,
            step_trainer: landing
                .step_trainer
                .sensor_reading_time
                .iter()
                .filter(|&&t| looks_like_seconds(t))
                .count() as u64,
        },
    }
}

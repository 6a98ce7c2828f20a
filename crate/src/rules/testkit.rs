//! Helpers for the zone tests: build tiny landing sets from hand-written records and read the
//! derived tables back as plain values.

use crate::ingest::Ingest;
use crate::model::{Landing, Source};

/// A plausible millisecond epoch (2022-06-18) to write test times relative to: the strict rules
/// do not take values below 10^11 as consent dates.
pub const T0: i64 = 1_655_560_000_000;

/// A customer line: email, serial, lastUpdateDate, registrationDate, shareWithResearchAsOfDate.
pub fn cust(email: &str, serial: &str, last_update: Option<i64>, registration: i64, consent: Option<i64>) -> String {
    let opt = |v: Option<i64>| v.map_or("null".to_string(), |v| v.to_string());
    format!(
        r#"{{"customerName":"N {email}","email":"{email}","phone":"555","birthDay":"1990-01-01","serialNumber":"{serial}","registrationDate":{registration},"lastUpdateDate":{},"shareWithResearchAsOfDate":{},"shareWithPublicAsOfDate":null,"shareWithFriendsAsOfDate":null}}"#,
        opt(last_update),
        opt(consent)
    )
}

/// `line` (a JSON object) with `key` set to the JSON text `value` (e.g. `"null"`, `"\"\""`).
pub fn set(line: &str, key: &str, value: &str) -> String {
    let mut v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).expect("test line is an object");
    v.insert(key.into(), serde_json::from_str(value).expect("test value is JSON"));
    serde_json::to_string(&v).expect("serializes")
}

/// An accelerometer line with x as given and y = z = 0.
pub fn acc(user: &str, ts: i64, x: f64) -> String {
    format!(r#"{{"user":"{user}","timestamp":{ts},"x":{x:?},"y":0.0,"z":0.0}}"#)
}

/// A step-trainer line.
pub fn step(t: i64, serial: &str, distance: i64) -> String {
    format!(r#"{{"sensorReadingTime":{t},"serialNumber":"{serial}","distanceFromObject":{distance}}}"#)
}

/// Ingest the three sources; panics if any test record is quarantined.
pub fn landing(customers: &[String], accelerometer: &[String], step_trainer: &[String]) -> Landing {
    let mut ing = Ingest::new();
    for (src, lines) in [
        (Source::Customer, customers),
        (Source::Accelerometer, accelerometer),
        (Source::StepTrainer, step_trainer),
    ] {
        ing.add_file("test.json", Some(src), lines.join("\n").as_bytes());
        assert_eq!(ing.report.sources[&src].quarantined_total, 0, "test input must decode");
    }
    ing.landing
}

pub fn emails<'a>(l: &'a Landing, rows: &[u32]) -> Vec<&'a str> {
    rows.iter()
        .map(|&i| l.emails.get(l.customers[i as usize].email))
        .collect()
}

pub fn readings<'a>(l: &'a Landing, rows: &[u32]) -> Vec<(&'a str, i64)> {
    let a = &l.accelerometer;
    rows.iter()
        .map(|&i| (l.emails.get(a.user[i as usize]), a.timestamp.get(i as usize)))
        .collect()
}

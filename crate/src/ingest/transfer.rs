//! A decoded landing set as bytes, so decoding can be split across workers (or threads) and the
//! parts merged in file order with [`Ingest::append`]: `export` on the side that decoded a share
//! of the files, `import` + `append` on the side that runs the rules. postcard (serde) does the
//! encoding; the wire types below carry names as strings and map them back to the engine's own
//! `&'static str` names on import, so a foreign or corrupt buffer is an error, not a panic.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Coverage, FileReport, Ingest, IngestReport, Quarantined, Reason, SchemaDrift, SourceCounts};
use crate::model::{Accelerometer, Customer, Interner, Landing, Source, StepTrainer};

/// Bumped whenever the wire layout changes; both sides come from the same build anyway.
const WIRE_VERSION: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    emails: Vec<String>,
    serials: Vec<String>,
    customers: Vec<Customer>,
    accelerometer: Accelerometer,
    step_trainer: StepTrainer,
    sources: Vec<(String, Counts)>,
    unrouted: Counts,
    files: Vec<File>,
    quarantine: Vec<Quarantine>,
    quarantine_not_listed: u64,
    schema_drift: Vec<(String, SchemaDrift)>,
}

#[derive(Serialize, Deserialize)]
struct Counts {
    files: u64,
    bytes: u64,
    records_read: u64,
    kept: u64,
    quarantined_total: u64,
    quarantined: Vec<(String, u64)>,
    coverage: Coverage,
}

#[derive(Serialize, Deserialize)]
struct File {
    name: String,
    source: Option<String>,
    routed_by: String,
    bytes: u64,
    encoding: String,
    records: u64,
    kept: u64,
    quarantined: u64,
    coverage: Coverage,
    error: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct Quarantine {
    file: String,
    line: u64,
    source: Option<String>,
    reason: String,
    detail: String,
    raw: String,
}

impl Ingest {
    /// Everything read so far (an open file is closed first), as bytes for [`Ingest::import`].
    pub fn export(&mut self) -> Vec<u8> {
        self.close();
        let (l, r) = (&self.landing, &self.report);
        let counts = |c: &SourceCounts| Counts {
            files: c.files,
            bytes: c.bytes,
            records_read: c.records_read,
            kept: c.kept,
            quarantined_total: c.quarantined_total,
            quarantined: c.quarantined.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            coverage: c.coverage,
        };
        let wire = Wire {
            version: WIRE_VERSION,
            emails: l.emails.strings().map(str::to_string).collect(),
            serials: l.serials.strings().map(str::to_string).collect(),
            customers: l.customers.clone(),
            accelerometer: l.accelerometer.clone(),
            step_trainer: l.step_trainer.clone(),
            sources: r.sources.iter().map(|(k, c)| (k.to_string(), counts(c))).collect(),
            unrouted: counts(&r.unrouted),
            files: r
                .files
                .iter()
                .map(|f| File {
                    name: f.name.clone(),
                    source: f.source.map(str::to_string),
                    routed_by: f.routed_by.to_string(),
                    encoding: f.encoding.to_string(),
                    coverage: f.coverage,
                    bytes: f.bytes,
                    records: f.records,
                    kept: f.kept,
                    quarantined: f.quarantined,
                    error: f.error.clone(),
                })
                .collect(),
            quarantine: r
                .quarantine
                .iter()
                .map(|q| Quarantine {
                    file: q.file.clone(),
                    line: q.line,
                    source: q.source.map(str::to_string),
                    reason: q.reason.as_str().to_string(),
                    detail: q.detail.clone(),
                    raw: q.raw.clone(),
                })
                .collect(),
            quarantine_not_listed: r.quarantine_not_listed,
            schema_drift: r.schema_drift.iter().map(|(k, d)| (k.to_string(), d.clone())).collect(),
        };
        postcard::to_allocvec(&wire).expect("landing data serializes")
    }

    /// An ingest from [`Ingest::export`]'s bytes. Ids are checked against the interners.
    pub fn import(bytes: &[u8]) -> Result<Ingest, String> {
        let w: Wire = postcard::from_bytes(bytes).map_err(|e| format!("not an exported landing set: {e}"))?;
        if w.version != WIRE_VERSION {
            return Err(format!(
                "exported landing set version {} (this build reads {WIRE_VERSION})",
                w.version
            ));
        }
        let interner = |strings: &[String]| {
            let mut i = Interner::default();
            for s in strings {
                i.intern(s);
            }
            i
        };
        let landing = Landing {
            emails: interner(&w.emails),
            serials: interner(&w.serials),
            customers: w.customers,
            accelerometer: w.accelerometer,
            step_trainer: w.step_trainer,
        };
        check_ids(&landing)?;
        let counts = |c: Counts| -> Result<SourceCounts, String> {
            Ok(SourceCounts {
                files: c.files,
                bytes: c.bytes,
                records_read: c.records_read,
                kept: c.kept,
                quarantined_total: c.quarantined_total,
                quarantined: c
                    .quarantined
                    .into_iter()
                    .map(|(k, v)| Ok((reason(&k)?.as_str(), v)))
                    .collect::<Result<BTreeMap<_, _>, String>>()?,
                coverage: c.coverage,
            })
        };
        let mut report = IngestReport::default();
        for (name, c) in w.sources {
            report.sources.insert(source(&name)?, counts(c)?);
        }
        report.unrouted = counts(w.unrouted)?;
        for f in w.files {
            report.files.push(FileReport {
                name: f.name,
                source: f.source.as_deref().map(source).transpose()?,
                routed_by: routed_by(&f.routed_by)?,
                bytes: f.bytes,
                encoding: encoding(&f.encoding)?,
                coverage: f.coverage,
                records: f.records,
                kept: f.kept,
                quarantined: f.quarantined,
                error: f.error,
            });
        }
        for q in w.quarantine {
            report.quarantine.push(Quarantined {
                file: q.file,
                line: q.line,
                source: q.source.as_deref().map(source).transpose()?,
                reason: reason(&q.reason)?,
                detail: q.detail,
                raw: q.raw,
            });
        }
        report.quarantine_not_listed = w.quarantine_not_listed;
        for (name, d) in w.schema_drift {
            report.schema_drift.insert(source(&name)?, d);
        }
        Ok(Ingest {
            landing,
            report,
            open: None,
        })
    }
}

fn source(name: &str) -> Result<&'static str, String> {
    Source::parse(name)
        .map(Source::name)
        .ok_or_else(|| format!("unknown source {name:?}"))
}

fn reason(name: &str) -> Result<Reason, String> {
    Reason::ALL
        .into_iter()
        .find(|r| r.as_str() == name)
        .ok_or_else(|| format!("unknown reason {name:?}"))
}

fn encoding(name: &str) -> Result<&'static str, String> {
    ["utf-8", "utf-16le", "utf-16be", "binary"]
        .into_iter()
        .find(|r| *r == name)
        .ok_or_else(|| format!("unknown encoding {name:?}"))
}

fn routed_by(name: &str) -> Result<&'static str, String> {
    ["given", "path", "keys", "none"]
        .into_iter()
        .find(|r| *r == name)
        .ok_or_else(|| format!("unknown routing {name:?}"))
}

/// Every interned id a row holds must exist, and the columns must be equally long.
fn check_ids(l: &Landing) -> Result<(), String> {
    let (ne, ns) = (l.emails.len() as u32, l.serials.len() as u32);
    let a = &l.accelerometer;
    let s = &l.step_trainer;
    let ok = l
        .customers
        .iter()
        .all(|c| c.email < ne && c.serial_number.is_none_or(|x| x < ns))
        && a.user.iter().all(|&u| u < ne)
        && s.serial_number.iter().all(|&x| x < ns)
        && [a.timestamp.len(), a.x.len(), a.y.len(), a.z.len()]
            .iter()
            .all(|&n| n == a.user.len())
        && [s.serial_number.len(), s.distance_from_object.len()]
            .iter()
            .all(|&n| n == s.sensor_reading_time.len());
    ok.then_some(())
        .ok_or_else(|| "exported landing set is inconsistent".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_import_round_trips_and_rejects_garbage() {
        let mut a = Ingest::new();
        a.add_file(
            "landing/customer/c.json",
            None,
            b"{\"email\":\"a@x\",\"serialNumber\":\"s1\",\"shareWithResearchAsOfDate\":1}\nnot json\n",
        );
        a.add_file(
            "landing/accelerometer/a.json",
            None,
            b"{\"user\":\"a@x\",\"timestamp\":5,\"x\":1.5,\"y\":null,\"z\":0}\n",
        );
        a.add_file("notes.json", None, b"{\"hello\":1}\n");
        let bytes = a.export();
        let b = Ingest::import(&bytes).unwrap();
        assert_eq!(b.report, a.report);
        assert_eq!(b.landing.customers, a.landing.customers);
        assert_eq!(b.landing.accelerometer.x, a.landing.accelerometer.x);
        assert_eq!(b.landing.emails.strings().collect::<Vec<_>>(), ["a@x"]);
        assert!(Ingest::import(&bytes[..bytes.len() / 2]).is_err());
        assert!(Ingest::import(b"\x07garbage").is_err());
    }
}

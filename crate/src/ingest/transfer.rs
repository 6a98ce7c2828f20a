//! A decoded landing set as bytes, so decoding can be split across workers (or threads) and the
//! parts merged in file order with [`Ingest::append`]: `export` on the side that decoded a share
//! of the files, `import` + `append` on the side that runs the rules. postcard (serde) encodes the
//! engine's own types (the report's sources, reasons, routing and encodings are enums, so a
//! foreign or corrupt buffer fails to decode instead of smuggling in a name); interned ids,
//! column lengths and the presence of every source's counts are checked on import.

use serde::{Deserialize, Serialize};

use super::{Ingest, IngestReport};
use crate::error::Error;
use crate::model::{Accelerometer, Customer, Interner, Landing, Source, StepTrainer};

/// Bumped whenever the wire layout changes; both sides come from the same build anyway.
const WIRE_VERSION: u32 = 5;

#[derive(Serialize, Deserialize)]
struct Wire {
    version: u32,
    emails: Vec<String>,
    serials: Vec<String>,
    customers: Vec<Customer>,
    accelerometer: Accelerometer,
    step_trainer: StepTrainer,
    report: IngestReport,
}

impl Ingest {
    /// Everything read so far (an open file is closed first), as bytes for [`Ingest::import`].
    pub fn export(&mut self) -> Vec<u8> {
        self.close();
        let l = &self.landing;
        let wire = Wire {
            version: WIRE_VERSION,
            emails: l.emails.strings().map(str::to_string).collect(),
            serials: l.serials.strings().map(str::to_string).collect(),
            customers: l.customers.clone(),
            accelerometer: l.accelerometer.clone(),
            step_trainer: l.step_trainer.clone(),
            report: self.report.clone(),
        };
        postcard::to_allocvec(&wire).expect("landing data serializes")
    }

    /// An ingest from [`Ingest::export`]'s bytes. Errors: not an export of this build's version,
    /// or ids and column lengths that do not agree.
    pub fn import(bytes: &[u8]) -> crate::Result<Ingest> {
        let w: Wire =
            postcard::from_bytes(bytes).map_err(|e| Error::Import(format!("not an exported landing set: {e}")))?;
        if w.version != WIRE_VERSION {
            return Err(Error::Import(format!(
                "exported landing set version {} (this build reads {WIRE_VERSION})",
                w.version
            )));
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
        check_ids(&landing).map_err(Error::Import)?;
        if !Source::ALL.iter().all(|s| w.report.sources.contains_key(s)) {
            return Err(Error::Import(
                "exported landing set is inconsistent: a source is missing".into(),
            ));
        }
        Ok(Ingest {
            landing,
            report: w.report,
            open: None,
        })
    }
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
        // Decodes, but a source's counts are missing: refused (append would have nowhere to add).
        let mut c = Ingest::new();
        c.report.sources.remove(&Source::Customer);
        let e = Ingest::import(&c.export()).err().expect("refused");
        assert!(e.to_string().contains("a source is missing"), "{e}");
    }
}

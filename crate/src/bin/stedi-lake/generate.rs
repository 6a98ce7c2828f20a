//! Deterministic STEDI-shaped landing data for fixtures and benchmarks (`stedi-lake generate`).
//!
//! Same seed and size → the same bytes. The data carries the real export's problems on purpose:
//! consent dates after registration (and sometimes after the first readings), cohorts of customers
//! whose sessions share timestamps, reused serial numbers, duplicate customers (some changing their
//! consent), exact-duplicate readings, older export styles (`timeStamp`, trailing `},`, float
//! epochs, numeric phones, CRLF) and a few malformed lines of each kind.

use std::io::{self, Write};

/// What to generate (`stedi-lake generate --seed N --size S`).
#[derive(Clone, Debug)]
pub struct GenOptions {
    /// PRNG seed: the same seed and size give the same bytes; also names the files (`customer-<seed>.json`).
    pub seed: u64,
    /// Approximate total size of the landing files in bytes.
    pub target_bytes: u64,
}

/// What [`generate`] wrote. Line counts are lines as written (duplicates included); malformed
/// lines are counted only in `malformed_lines`, so the four line counts add up to every record line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Distinct customers in the customer file (a few generated customers are left out of the export).
    pub customers: u64,
    /// Well-formed customer lines, later updates and exact copies included.
    pub customer_lines: u64,
    /// Well-formed accelerometer lines, exact copies included.
    pub accelerometer_lines: u64,
    /// Well-formed step_trainer lines, exact copies and the unregistered device's reading included.
    pub step_trainer_lines: u64,
    /// Lines made to be quarantined (truncated, missing key, wrong type, a CSV header): 9 in every set.
    pub malformed_lines: u64,
    /// Bytes written over all files, line ends included.
    pub bytes: u64,
    /// The relative paths written, in order (`customer/customer-42.json`, then accelerometer and step_trainer pairs).
    pub files: Vec<String>,
}

const FIRST: &[&str] = &[
    "Santosh",
    "Ben",
    "Frank",
    "Jerry",
    "Sarah",
    "Bobby",
    "Eric",
    "Lyn",
    "Liz",
    "Don",
    "Spencer",
    "Kate",
    "Mohammed",
    "Ava",
    "Senthil",
    "Rick",
    "Gail",
    "Jeff",
    "Dan",
    "Stephanie",
    "Chris",
    "Larry",
    "Jacob",
    "Grace",
    "Steve",
    "Manoj",
    "Jay",
];
const LAST: &[&str] = &[
    "Clayton",
    "Khatib",
    "Doshi",
    "Huey",
    "Lincoln",
    "Miller",
    "Mitra",
    "Anandh",
    "Wu",
    "Abram",
    "Davis",
    "Hansen",
    "Jackson",
    "Aristotle",
    "Fibonacci",
    "Staples",
    "Lee",
    "Stark",
    "Olsen",
    "Habschied",
    "Spencer",
    "Rodriguez",
];
const BASE_TIME: i64 = 1_655_560_000_000;
/// Rough landing bytes one customer brings (its record and its readings).
const BYTES_PER_CUSTOMER: u64 = 8_500;
/// Each accelerometer / step_trainer file holds about this much before the next one starts.
const FILE_BYTES: u64 = 64 << 20;

struct Cust {
    email: String,
    serial: String,
    cohort: u64,
    registration: i64,
    consent: Option<i64>,
    /// Written to the customer file (readings of the others have no customer).
    exported: bool,
}

/// Counts bytes and lines written to one landing file.
struct LandingFile {
    w: Box<dyn Write>,
    bytes: u64,
    /// Older export style: `timeStamp` key and a trailing comma after every record.
    old_style: bool,
    crlf: bool,
}

impl LandingFile {
    fn line(&mut self, s: &str) -> io::Result<()> {
        let end: &[u8] = match (self.old_style, self.crlf) {
            (true, _) => b",\n",
            (false, true) => b"\r\n",
            (false, false) => b"\n",
        };
        self.w.write_all(s.as_bytes())?;
        self.w.write_all(end)?;
        self.bytes += (s.len() + end.len()) as u64;
        Ok(())
    }
}

/// Write the landing files through `create(relative_path)`, e.g. `customer/customer-1.json`:
/// one customer file, and `target_bytes / 64 MiB` (at least two) accelerometer and as many
/// step_trainer files. Errors: the first `io::Error` from `create` or a write.
pub fn generate(opts: &GenOptions, create: &mut dyn FnMut(&str) -> io::Result<Box<dyn Write>>) -> io::Result<GenStats> {
    let mut rng = fastrand::Rng::with_seed(opts.seed);
    let mut stats = GenStats::default();
    let n = (opts.target_bytes / BYTES_PER_CUSTOMER).max(12);

    let reading_files = (opts.target_bytes / FILE_BYTES).max(2) as usize;

    // Customers, in cohorts of three whose sessions run at the same instants.
    let mut custs: Vec<Cust> = Vec::with_capacity(n as usize);
    for i in 0..n {
        let cohort = i / 3;
        let start = BASE_TIME + cohort as i64 * 600_000;
        let registration = start - rng.i64(3_600_000..86_400_000);
        // The fulfilment site reuses serials: sometimes a cohort-mate's (sessions at the same
        // instants, so ownership can be ambiguous), sometimes anybody's.
        let serial = match rng.u8(0..100) {
            0..=3 if i % 3 != 0 => custs[i as usize - 1].serial.clone(),
            4..=6 if i > 3 => custs[rng.usize(0..i as usize)].serial.clone(),
            _ => uuid(&mut rng),
        };
        // Most consent before the first session; some in the middle of it (earlier readings are not covered).
        let consent = (rng.u8(0..100) < 65).then(|| match rng.u8(0..4) {
            0 => start + rng.i64(0..30_000),
            _ => (start - rng.i64(0..3_600_000)).max(registration),
        });
        let email = format!(
            "{}.{}{}@test.com",
            FIRST[rng.usize(0..FIRST.len())],
            LAST[rng.usize(0..LAST.len())],
            i
        );
        let exported = rng.u8(0..100) >= 2 && i != 5; // a few customers are missing from the export
        custs.push(Cust {
            email,
            serial,
            cohort,
            registration,
            consent,
            exported,
        });
    }

    stats.customers = custs.iter().filter(|c| c.exported).count() as u64;
    let mut cfile = LandingFile {
        w: create(&format!("customer/customer-{}.json", opts.seed))?,
        bytes: 0,
        old_style: false,
        crlf: false,
    };
    stats.files.push(format!("customer/customer-{}.json", opts.seed));
    let mut deferred = Vec::new(); // later versions of some customers, written at the end
    for c in custs.iter().filter(|c| c.exported) {
        let last_update = c.registration + rng.i64(0..1_000_000);
        let first = customer_line(&mut rng, c, c.consent, last_update);
        cfile.line(&first)?;
        stats.customer_lines += 1;
        match rng.u8(0..100) {
            // A later update of the same email, sometimes withdrawing or moving consent.
            0..=5 => {
                let consent = match rng.u8(0..3) {
                    0 => None,
                    1 => c.consent.map(|t| t + 60_000),
                    _ => Some(c.registration + 1),
                };
                deferred.push(customer_line(&mut rng, c, consent, last_update + 5_000_000));
            }
            // An exact copy (the export repeats rows).
            6 => deferred.push(first),
            _ => {}
        }
    }
    for line in deferred {
        cfile.line(&line)?;
        stats.customer_lines += 1;
    }
    for bad in [
        r#"{"customerName":"Broken Row","email":"broken@test.com","phone":"8015551212""#, // truncated
        r#"{"customerName":"No Email","phone":"8015551212","registrationDate":1655564376361}"#, // missing key
        r#"{"customerName":"Bad Date","email":"bad.date@test.com","registrationDate":"yesterday"}"#, // wrong type
    ] {
        cfile.line(bad)?;
        stats.malformed_lines += 1;
    }
    stats.bytes += cfile.bytes;
    cfile.w.flush()?; // a failed last write (disk full) is an error, not a silent drop
    drop(cfile);

    // Readings: per customer, files chosen round-robin; one accelerometer file in the old style,
    // one step_trainer file with CRLF line ends.
    let mut accel: Vec<LandingFile> = Vec::new();
    let mut steps: Vec<LandingFile> = Vec::new();
    for k in 0..reading_files {
        let a = format!("accelerometer/accelerometer-{}-{k}.json", opts.seed);
        let s = format!("step_trainer/step_trainer-{}-{k}.json", opts.seed);
        accel.push(LandingFile {
            w: create(&a)?,
            bytes: 0,
            old_style: k == 1,
            crlf: false,
        });
        steps.push(LandingFile {
            w: create(&s)?,
            bytes: 0,
            old_style: false,
            crlf: k == 1,
        });
        stats.files.push(a);
        stats.files.push(s);
    }
    let mut line = String::with_capacity(160);
    for (i, c) in custs.iter().enumerate() {
        if rng.u8(0..100) < 15 && c.exported {
            continue; // registered, never used the device
        }
        let (af, sf) = (i % reading_files, (i / 2) % reading_files);
        let start = BASE_TIME + c.cohort as i64 * 600_000;
        let readings = 30 + (c.cohort % 7) as i64 * 6 - rng.i64(0..4);
        for j in 0..readings {
            let t = start + j * 997;
            let (x, y, z) = (axis(&mut rng), axis(&mut rng), axis(&mut rng));
            line.clear();
            let key = if accel[af].old_style { "timeStamp" } else { "timestamp" };
            use std::fmt::Write as _;
            let _ = write!(
                line,
                r#"{{"user":"{}","{key}":{t},"x":{x:?},"y":{y:?},"z":{z:?}}}"#,
                c.email
            );
            let copies = if rng.u8(0..100) == 0 { 2 } else { 1 };
            for _ in 0..copies {
                accel[af].line(&line)?;
                stats.accelerometer_lines += 1;
            }
            if rng.u8(0..10) == 0 {
                // A phone-only reading between two step readings.
                line.clear();
                let _ = write!(
                    line,
                    r#"{{"user":"{}","{key}":{},"x":{x:?},"y":{y:?},"z":{z:?}}}"#,
                    c.email,
                    t + 500
                );
                accel[af].line(&line)?;
                stats.accelerometer_lines += 1;
            }
            line.clear();
            let _ = write!(
                line,
                r#"{{"sensorReadingTime":{t},"serialNumber":"{}","distanceFromObject":{}}}"#,
                c.serial,
                rng.i64(200..320)
            );
            let copies = if rng.u8(0..100) == 0 { 2 } else { 1 };
            for _ in 0..copies {
                steps[sf].line(&line)?;
                stats.step_trainer_lines += 1;
            }
        }
    }
    // A step reading from a device nobody registered, and malformed readings.
    steps[0].line(r#"{"sensorReadingTime":1655560000000,"serialNumber":"00000000-dead-beef-0000-000000000000","distanceFromObject":250}"#)?;
    stats.step_trainer_lines += 1;
    for bad in [
        r#"{"user":"Truncated.Reading@test.com","timestamp":16555"#,
        r#"{"user":"Bool.Axis@test.com","timestamp":1655560000000,"x":true,"y":0,"z":0}"#,
        r#"{"timestamp":1655560000000,"x":0.1,"y":0.2,"z":0.3}"#,
    ] {
        accel[0].line(bad)?;
        stats.malformed_lines += 1;
    }
    for bad in [
        r#"{"sensorReadingTime":"1655560000000","serialNumber":"x","distanceFromObject":1}"#,
        r#"{"serialNumber":"missing-time","distanceFromObject":1}"#,
        r#"sensorReadingTime,serialNumber,distanceFromObject"#,
    ] {
        steps[0].line(bad)?;
        stats.malformed_lines += 1;
    }
    stats.bytes += accel.iter().chain(&steps).map(|f| f.bytes).sum::<u64>();
    for f in accel.iter_mut().chain(steps.iter_mut()) {
        f.w.flush()?;
    }
    Ok(stats)
}

fn customer_line(rng: &mut fastrand::Rng, c: &Cust, consent: Option<i64>, last_update: i64) -> String {
    let name = c.email.split('@').next().unwrap_or("").replace('.', " ");
    let name = name.trim_end_matches(|ch: char| ch.is_ascii_digit());
    let old = rng.u8(0..100) < 10; // an older export: explicit nulls, float epochs, numeric phone
    let epoch = |v: Option<i64>| match (v, old) {
        (Some(t), true) => format!("{t}.0"),
        (Some(t), false) => t.to_string(),
        (None, _) => "null".to_string(),
    };
    let phone = if old {
        "8015551212".to_string()
    } else {
        "\"8015551212\"".to_string()
    };
    let year = 1930 + rng.u16(0..75);
    let public = consent.filter(|_| rng.bool());
    let mut s = format!(
        r#"{{"customerName":"{name}","email":"{}","phone":{phone},"birthDay":"{year}-01-01","serialNumber":"{}","registrationDate":{},"lastUpdateDate":{}"#,
        c.email,
        c.serial,
        epoch(Some(c.registration)),
        epoch(Some(last_update))
    );
    for (k, v) in [
        ("shareWithResearchAsOfDate", consent),
        ("shareWithPublicAsOfDate", public),
        ("shareWithFriendsAsOfDate", public),
    ] {
        if v.is_some() || old {
            s.push_str(&format!(r#","{k}":{}"#, epoch(v)));
        }
    }
    s.push('}');
    s
}

fn axis(rng: &mut fastrand::Rng) -> f64 {
    (rng.i32(-2000..2000) as f64) / 1000.0
}

fn uuid(rng: &mut fastrand::Rng) -> String {
    let h = |rng: &mut fastrand::Rng, n: usize| {
        (0..n)
            .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap())
            .collect::<String>()
    };
    format!("{}-{}-{}-{}-{}", h(rng, 8), h(rng, 4), h(rng, 4), h(rng, 4), h(rng, 12))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    type Files = Arc<Mutex<Vec<(String, Arc<Mutex<Vec<u8>>>)>>>;

    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn gen(seed: u64, bytes: u64) -> (GenStats, Vec<(String, Vec<u8>)>) {
        let files: Files = Default::default();
        let f2 = files.clone();
        let stats = generate(
            &GenOptions {
                seed,
                target_bytes: bytes,
            },
            &mut |p| {
                let buf = Arc::new(Mutex::new(Vec::new()));
                f2.lock().unwrap().push((p.to_string(), buf.clone()));
                Ok(Box::new(Shared(buf)))
            },
        )
        .unwrap();
        let out = files
            .lock()
            .unwrap()
            .iter()
            .map(|(p, b)| (p.clone(), b.lock().unwrap().clone()))
            .collect();
        (stats, out)
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (s1, a) = gen(7, 200_000);
        let (_, b) = gen(7, 200_000);
        let (_, c) = gen(8, 200_000);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let total: u64 = a.iter().map(|(_, b)| b.len() as u64).sum();
        assert_eq!(total, s1.bytes);
        assert!(total > 100_000 && total < 400_000, "size near the target: {total}");
    }

    #[test]
    fn generated_data_ingests_with_exactly_the_malformed_lines_quarantined() {
        let (stats, files) = gen(3, 300_000);
        let mut ing = stedi_lake::ingest::Ingest::new();
        for (p, b) in &files {
            ing.add_file(p, None, b);
        }
        let q: u64 = ing.report.sources.values().map(|c| c.quarantined_total).sum();
        assert_eq!(q, stats.malformed_lines);
        let read: u64 = ing.report.sources.values().map(|c| c.records_read).sum();
        assert_eq!(
            read,
            stats.customer_lines + stats.accelerometer_lines + stats.step_trainer_lines + stats.malformed_lines
        );
    }
}

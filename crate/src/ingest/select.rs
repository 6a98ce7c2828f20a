//! Which files under a root are landing data: the one rule for a local folder (CLI), a dropped
//! folder (page) and an S3 prefix (`presign`). Paths are relative to what the user gave (the root's
//! own name may be their first part), `/`-separated (`\` is accepted too).
//!
//! A path is skipped, with a reason the caller lists, when:
//! 1. it is something stedi-lake wrote ([`Skip::EngineOutput`]): a table part
//!    (`…/<table name>/part-NNNNN.<ext>`, any of the eight table names), the marker
//!    [`OUTPUT_MARKER`], and beside them (in an output root: a folder holding the marker,
//!    `ddl/all_tables.sql` or table folders) `ddl/`, `ndjson/` and the report files. Only those
//!    paths: an S3 prefix holds the landing data and the outputs side by side;
//! 2. a part of it starts with `.` ([`Skip::Hidden`]: `.DS_Store`, `.part-0000.crc`);
//! 3. a part of it starts with `_` or ends with `$folder$` ([`Skip::Bookkeeping`]: what Spark, Glue
//!    and S3 tools leave behind: `_SUCCESS`, `_temporary/`, `x_$folder$`);
//! 4. the paths that remain include some below a folder named `landing` (ours `landing/<source>/`
//!    or Udacity's `<source>/landing/`), and this one is not ([`Skip::OutsideLanding`]).
//!
//! Everything else is read, and routed by [`super::route`].

use std::collections::BTreeSet;

use crate::output::Output;
use crate::tables::TableId;

/// The file stedi-lake writes at the root of every output folder; a folder holding it is never
/// read as landing data. `_`-prefixed, so Spark, Athena and Glue skip it too.
pub const OUTPUT_MARKER: &str = "_stedi-lake.json";

/// The files an output root holds directly (reports and the marker): every output whose path has
/// no folder, from the output catalogue itself.
fn root_files() -> Vec<String> {
    Output::all()
        .into_iter()
        .map(Output::path)
        .filter(|p| !p.contains('/'))
        .collect()
}

/// Why a path is not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// A table, DDL, report or marker file that stedi-lake wrote.
    EngineOutput,
    /// A hidden file or folder (name starting with `.`).
    Hidden,
    /// Spark/Glue/S3 bookkeeping (name starting with `_`, or ending with `$folder$`).
    Bookkeeping,
    /// The root holds `landing` folders and this path is not below one.
    OutsideLanding,
}

impl Skip {
    /// The reason in words, for listings.
    pub fn reason(self) -> &'static str {
        match self {
            Skip::EngineOutput => "written by stedi-lake (an output table, DDL, report or marker), never landing data",
            Skip::Hidden => "hidden file or folder (name starts with '.')",
            Skip::Bookkeeping => "Spark/Glue bookkeeping (name starts with '_' or ends with '$folder$')",
            Skip::OutsideLanding => "not below a landing/ folder (the root holds landing folders; only those are read)",
        }
    }
}

fn parts(path: &str) -> Vec<&str> {
    path.split(['/', '\\']).filter(|p| !p.is_empty() && *p != ".").collect()
}

/// If `parts` is a table part stedi-lake writes (`[…, <zone>, <table>, part-NNNNN.ext]`, with
/// `ndjson/` before the zone for NDJSON copies), the length of its output root.
fn table_part_root(parts: &[&str]) -> Option<usize> {
    let n = parts.len();
    if n < 2 || !parts[n - 1].starts_with("part-") {
        return None;
    }
    TableId::ALL.iter().find(|t| t.name() == parts[n - 2])?;
    // Root: above the zone folder, and above `ndjson/` when present.
    let mut root = n.saturating_sub(3);
    if root > 0 && parts[root - 1] == "ndjson" {
        root -= 1;
    }
    Some(root)
}

/// For each path, `None` (read it) or why it is skipped. See the module comment for the rule.
pub fn select<S: AsRef<str>>(paths: &[S]) -> Vec<Option<Skip>> {
    let split: Vec<Vec<&str>> = paths.iter().map(|p| parts(p.as_ref())).collect();
    // Output roots: folders holding the marker, `ddl/all_tables.sql`, or table parts.
    let mut roots: BTreeSet<Vec<&str>> = BTreeSet::new();
    for p in &split {
        let n = p.len();
        if n >= 1 && p[n - 1] == OUTPUT_MARKER {
            roots.insert(p[..n - 1].to_vec());
        } else if n >= 2 && p[n - 2] == "ddl" && p[n - 1] == "all_tables.sql" {
            roots.insert(p[..n - 2].to_vec());
        } else if let Some(r) = table_part_root(p) {
            roots.insert(p[..r].to_vec());
        }
    }
    let root_files = root_files();
    let engine_output = |p: &[&str]| {
        table_part_root(p).is_some()
            || roots.iter().any(|r| {
                p.len() > r.len()
                    && p.starts_with(r)
                    && (matches!(p[r.len()], "ddl" | "ndjson" | OUTPUT_MARKER)
                        || (p.len() == r.len() + 1 && root_files.iter().any(|f| f == p[r.len()])))
            })
    };
    let mut out: Vec<Option<Skip>> = split
        .iter()
        .map(|p| {
            if engine_output(p) {
                Some(Skip::EngineOutput)
            } else if p.iter().any(|c| c.starts_with('.')) {
                Some(Skip::Hidden)
            } else if p.iter().any(|c| c.starts_with('_') || c.ends_with("$folder$")) {
                Some(Skip::Bookkeeping)
            } else {
                None
            }
        })
        .collect();
    let below_landing = |p: &[&str]| p.len() >= 2 && p[..p.len() - 1].iter().any(|c| c.eq_ignore_ascii_case("landing"));
    if split.iter().zip(&out).any(|(p, s)| s.is_none() && below_landing(p)) {
        for (p, s) in split.iter().zip(out.iter_mut()) {
            if s.is_none() && !below_landing(p) {
                *s = Some(Skip::OutsideLanding);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(paths: &[&str]) -> Vec<(String, Option<Skip>)> {
        paths.iter().map(|p| p.to_string()).zip(select(paths)).collect()
    }

    fn skipped<'a>(paths: &[&'a str]) -> Vec<(&'a str, Skip)> {
        let mut v = Vec::new();
        for (p, s) in paths.iter().zip(select(paths)) {
            if let Some(s) = s {
                v.push((*p, s));
            }
        }
        v
    }

    #[test]
    fn hidden_and_bookkeeping_files_are_skipped_and_named() {
        assert_eq!(
            skipped(&[
                "L/customer/c.json",
                "L/customer/.DS_Store",
                "L/.git/config",
                "L/accelerometer/_SUCCESS",
                "L/accelerometer/_temporary/0/part-1.json",
                "L/step_trainer/.part-0.json.crc",
                "L/step_trainer_$folder$",
            ]),
            vec![
                ("L/customer/.DS_Store", Skip::Hidden),
                ("L/.git/config", Skip::Hidden),
                ("L/accelerometer/_SUCCESS", Skip::Bookkeeping),
                ("L/accelerometer/_temporary/0/part-1.json", Skip::Bookkeeping),
                ("L/step_trainer/.part-0.json.crc", Skip::Hidden),
                ("L/step_trainer_$folder$", Skip::Bookkeeping),
            ]
        );
    }

    #[test]
    fn only_landing_folders_are_read_when_the_root_has_them() {
        // Ours and Udacity's layouts, beside other data.
        assert_eq!(
            skipped(&[
                "stedi/landing/customer/c.json",
                "stedi/accelerometer/landing/a.json",
                "stedi/accelerometer/trusted/run-1.json",
                "stedi/notes.txt",
            ]),
            vec![
                ("stedi/accelerometer/trusted/run-1.json", Skip::OutsideLanding),
                ("stedi/notes.txt", Skip::OutsideLanding),
            ]
        );
        // No landing folder at all: everything is read (routed later by path or keys).
        assert_eq!(skipped(&["data/customer/c.json", "data/upload.json"]), vec![]);
        // A file named landing is not a folder named landing.
        assert_eq!(skipped(&["x/landing", "x/customer.json"]), vec![]);
    }

    #[test]
    fn every_output_in_the_catalogue_is_engine_output() {
        // Any output a run writes, under a folder holding the marker or beside ddl/all_tables.sql,
        // is never read back; a new output added to the catalogue is covered or this fails.
        for root in ["out", "L/out", "landing/customer/out"] {
            let mut paths: Vec<String> = Output::all()
                .into_iter()
                .map(|o| format!("{root}/{}", o.path()))
                .collect();
            paths.push("landing/customer/c.json".into());
            let verdicts = select(&paths);
            for (p, v) in paths.iter().zip(&verdicts) {
                let expected = if p.starts_with(root) {
                    Some(Skip::EngineOutput)
                } else {
                    None
                };
                assert_eq!(*v, expected, "{p}");
            }
        }
    }

    #[test]
    fn what_the_engine_wrote_is_never_landing_data() {
        // `stedi-lake run L --out L/out`, then run again over L.
        let paths = [
            "L/customer/c.json",
            "L/out/_stedi-lake.json",
            "L/out/summary.json",
            "L/out/data_quality.json",
            "L/out/quarantine.ndjson",
            "L/out/ddl/all_tables.sql",
            "L/out/ddl/customer_trusted.sql",
            "L/out/typed_landing/customer_landing/part-00000.parquet",
            "L/out/trusted/customer_trusted/part-00000.parquet",
            "L/out/ndjson/typed_landing/customer_landing/part-00000.json",
            "L/out/ndjson/curated/machine_learning_curated/part-00000.json",
        ];
        let d = decide(&paths);
        assert_eq!(d[0].1, None);
        for (p, s) in &d[1..] {
            assert_eq!(*s, Some(Skip::EngineOutput), "{p}");
        }
        // The same published to S3 by an older version (no marker; landing copies under landing/),
        // beside the real landing data: the copies are output, the landing JSON is read.
        let s3 = [
            "landing/customer/customer-1.json",
            "landing/customer_landing/part-00000.parquet",
            "ndjson/landing/accelerometer_landing/part-00000.json",
            "trusted/customer_trusted/part-00000.parquet",
            "summary.json",
            "ddl/all_tables.sql",
        ];
        let d = decide(&s3);
        assert_eq!(d[0].1, None);
        for (p, s) in &d[1..] {
            assert_eq!(*s, Some(Skip::EngineOutput), "{p}");
        }
        // A marker at the root of a prefix that also holds the landing data marks only outputs.
        assert_eq!(
            skipped(&["_stedi-lake.json", "landing/customer/c.json"]),
            vec![("_stedi-lake.json", Skip::EngineOutput)]
        );
        // A landing file that merely is called summary.json, with no output beside it, is read.
        assert_eq!(skipped(&["landing/customer/summary.json"]), vec![]);
    }
}

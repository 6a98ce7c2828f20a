//! `stedi-lake run`: read the landing files in chunks into a [`stedi_lake::Lake`], apply the
//! rules, write every output into the output folder, and report.

use std::fmt::Write as _;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use stedi_lake::local::landing::printable;
use stedi_lake::local::out_dir::OutDir;
use stedi_lake::local::{read_lake, write, LocalError, TableFormat};
use stedi_lake::{Mode, Output, RunOptions, Source};

use crate::cli::Failure;
use crate::progress::{Progress, Ui};

/// A run whose outputs are written: what is left to report.
pub(crate) struct Done {
    /// The human tables (stdout by default).
    pub(crate) report: String,
    /// The bytes of the written `summary.json` (`--json`).
    pub(crate) summary_json: Vec<u8>,
    /// Records quarantined, over every source (`--fail-on-quarantine`).
    pub(crate) quarantined: u64,
    /// `--timings`: lines for stderr, and the one-line `BENCH {json}` that bench/bench.sh reads.
    pub(crate) timings: String,
    pub(crate) bench: String,
}

impl From<LocalError> for Failure {
    fn from(e: LocalError) -> Failure {
        match e {
            LocalError::Refused(e) => Failure::Usage(e),
            LocalError::Io(e) => Failure::Run(e),
        }
    }
}

pub(crate) fn run(
    landing: &[PathBuf],
    out: &Path,
    overwrite: bool,
    opts: RunOptions,
    formats: &[TableFormat],
    ui: Ui,
    threads: usize,
) -> Result<Done, Failure> {
    let dir = OutDir::prepare(out, overwrite, landing)?;
    let result = run_into(landing, &[out, &dir.tmp], &dir.tmp, opts, formats, ui, threads);
    match result {
        Ok(done) => {
            dir.commit()?;
            Ok(done)
        }
        Err(e) => {
            dir.abandon();
            Err(e)
        }
    }
}

/// Read, apply the rules and write every output into `out` (the temporary tree); report
/// nothing on stdout (that waits until the tree is in place, see `main`).
pub(crate) fn run_into(
    landing: &[PathBuf],
    outs: &[&Path],
    out: &Path,
    opts: RunOptions,
    formats: &[TableFormat],
    ui: Ui,
    threads: usize,
) -> Result<Done, Failure> {
    let t0 = Instant::now();
    let final_out = outs[0];
    let progress = Progress::new(ui);
    let (mut lake, read) = read_lake(landing, outs, threads, &progress)?;
    let (files, skipped, bytes) = (read.files, read.skipped, read.bytes);
    // A file rejected whole is counted in summary.json (files[].error) and the run goes on: a
    // notice, kept back under --quiet unless the run then fails for it.
    let mut held_back: Vec<String> = Vec::new();
    for r in lake.ingest_report().files.iter().filter(|r| r.error.is_some()) {
        let line = format!(
            "stedi-lake: {}: {}",
            printable(&r.name),
            r.error.as_deref().unwrap_or_default()
        );
        if !ui.quiet {
            progress.note(&line);
        } else if held_back.len() < 20 {
            held_back.push(line);
        }
    }
    let t_ingest = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    progress.rules(match opts.mode {
        Mode::Strict => "strict",
        Mode::Rubric => "rubric",
    });
    // With two threads or more the landing tables' Parquet files (they need no rule) are written
    // while the rules run, and after them on this thread; the bar counts them once the rules are done.
    let (ran, written) = write::run_and_write_landing_beside(&mut lake, opts, out, formats, threads);
    ran.map_err(|e| Failure::Run(e.to_string()))?;
    let written = written?;
    let t_zones = t1.elapsed().as_secs_f64();

    progress.writing(write::output_count(formats));
    written.iter().for_each(|_| stedi_lake::local::Observer::output_done(&progress));

    let times = write::write_outputs(&lake, out, formats, &written, threads, &progress)?;
    let (t_parquet, t_ndjson, t_reports) = (times.parquet, times.ndjson, times.reports);
    progress.finish();
    let summary_path = out.join(Output::Summary.path());
    let summary_json = fs::read(&summary_path).map_err(|e| format!("{}: {e}", summary_path.display()))?;

    let summary = lake.summary().map_err(|e| e.to_string())?;
    if summary.sources.values().all(|c| c.files == 0) {
        return Err(Failure::Run(format!(
            "no STEDI landing data: {} file(s) read, none routed to customer, accelerometer or step_trainer ({} skipped){}",
            files.len(),
            skipped.len(),
            if held_back.is_empty() {
                "; see the messages above".to_owned()
            } else {
                format!(":\n{}", held_back.join("\n"))
            }
        )));
    }
    // Writing to a String can not fail.
    let mut report = String::new();
    let _ = writeln!(
        report,
        "{:<15} {:>10} {:>10} {:>12}",
        "source", "read", "kept", "quarantined"
    );
    for s in Source::ALL {
        let c = &summary.sources[&s];
        let _ = writeln!(
            report,
            "{:<15} {:>10} {:>10} {:>12}",
            s.name(),
            c.records_read,
            c.kept,
            c.quarantined_total
        );
    }
    if summary.unrouted.records_read > 0 {
        let c = summary.unrouted;
        let _ = writeln!(
            report,
            "{:<15} {:>10} {:>10} {:>12}",
            "(unrouted)", c.records_read, c.kept, c.quarantined_total
        );
    }
    let _ = writeln!(report);
    let _ = writeln!(report, "{:<26} {:<8} {:>10}", "table", "zone", "rows");
    for id in stedi_lake::tables::TableId::ALL {
        let t = summary.tables.get(id);
        let _ = writeln!(report, "{:<26} {:<8} {:>10}", id.name(), t.zone.name(), t.rows);
    }
    let quarantined: u64 =
        summary.sources.values().map(|c| c.quarantined_total).sum::<u64>() + summary.unrouted.quarantined_total;
    let _ = writeln!(
        report,
        "\nmode {}: {} landing records, {} quarantined; {}; outputs in {}",
        summary.mode.name(),
        summary.sources.values().map(|c| c.records_read).sum::<u64>() + summary.unrouted.records_read,
        quarantined,
        if summary.accounted {
            "every record accounted for"
        } else {
            "ACCOUNTING DOES NOT BALANCE"
        },
        final_out.display()
    );
    if !summary.accounted {
        note!("{report}");
        return Err(Failure::Run(
            "internal error: the record accounting does not balance (see the tables above)".into(),
        ));
    }
    let total = t0.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    let mut timings = String::new();
    let _ = writeln!(timings, "timings: {mb:.1} MB landing in {} files", files.len());
    let _ = writeln!(timings, "  ingest   {t_ingest:>7.3} s  {:>7.1} MB/s", mb / t_ingest);
    // With 2+ threads the landing tables' Parquet is written beside the rules: in `zones`.
    let beside = if written.is_empty() { "" } else { "  (with the landing tables' Parquet, written beside)" };
    let _ = writeln!(timings, "  zones    {t_zones:>7.3} s{beside}");
    let _ = writeln!(timings, "  parquet  {t_parquet:>7.3} s");
    let _ = writeln!(timings, "  ndjson   {t_ndjson:>7.3} s");
    let _ = writeln!(timings, "  reports  {t_reports:>7.3} s");
    let _ = writeln!(
        timings,
        "  total    {total:>7.3} s  {:>7.1} MB/s end to end",
        mb / total
    );
    if let Some(kb) = peak_rss_kb() {
        let _ = writeln!(timings, "  peak RSS {:>7.1} MB", kb as f64 / 1024.0);
    }
    let bench = format!(
        "BENCH {{\"mb\":{mb:.3},\"ingest_s\":{t_ingest:.4},\"zones_s\":{t_zones:.4},\"parquet_s\":{t_parquet:.4},\"ndjson_s\":{t_ndjson:.4},\"reports_s\":{t_reports:.4},\"total_s\":{total:.4},\"peak_rss_mb\":{:.1}}}",
        peak_rss_kb().unwrap_or(0) as f64 / 1024.0
    );
    Ok(Done {
        report,
        summary_json,
        quarantined,
        timings,
        bench,
    })
}

pub(crate) fn peak_rss_kb() -> Option<u64> {
    let s = fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

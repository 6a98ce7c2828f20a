//! Writing every output of a run into a folder: the tables (Parquet, then NDJSON, largest first)
//! and the reports, each output one file, `threads` writers taking the next output from a shared
//! counter. The tables are written independently from the same read-only lake, so the bytes do
//! not depend on the number of threads or their order (tested: `tests/test_cli_run.py`).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::{LocalError, Observer, TableFormat};
use crate::lake::LandingTables;
use crate::tables::TableId;
use crate::{Lake, Output};

/// Seconds each phase of [`write_outputs`] took.
#[derive(Clone, Copy, Debug, Default)]
pub struct WriteTimes {
    /// The Parquet tables.
    pub parquet: f64,
    /// The NDJSON tables.
    pub ndjson: f64,
    /// DDL, summary, data-quality report, quarantine and the marker.
    pub reports: f64,
}

/// Write every output of `lake`'s last run under `dir` at its [`Output::path`]: the tables in
/// `formats`, then every report, except the outputs in `written` (already there: see
/// [`run_and_write_landing_beside`]). Errors: [`LocalError::Io`] naming the file (an output that could
/// not be created or written, or a lake that has not run).
pub fn write_outputs(
    lake: &Lake,
    dir: &Path,
    formats: &[TableFormat],
    written: &[Output],
    threads: usize,
    observer: &dyn Observer,
) -> Result<WriteTimes, LocalError> {
    // Largest tables first, so the last output a writer takes is a small one.
    let rows = |o: &Output| match o {
        Output::Parquet(t) | Output::Ndjson(t) => lake.row_count(*t).unwrap_or(0),
        _ => 0,
    };
    let pick = |f: fn(&Output) -> bool| {
        let mut v: Vec<Output> = Output::all()
            .into_iter()
            .filter(|o| f(o) && wanted(o, formats) && !written.contains(o))
            .collect();
        v.sort_by_key(|o| std::cmp::Reverse(rows(o)));
        v
    };
    let parquet = pick(|o| matches!(o, Output::Parquet(_)));
    let ndjson = pick(|o| matches!(o, Output::Ndjson(_)));
    let reports = pick(|o| !matches!(o, Output::Parquet(_) | Output::Ndjson(_)));
    let write = |o: Output| -> Result<(), LocalError> {
        observer.output(&o.path());
        write_file(&dir.join(o.path()), |w| lake.write_output(o, w))?;
        observer.output_done();
        Ok(())
    };
    let phase = |outputs: Vec<Output>| -> Result<f64, LocalError> {
        let t = Instant::now();
        let next = AtomicUsize::new(0);
        let workers = threads.clamp(1, outputs.len().max(1));
        let results: Vec<Result<(), LocalError>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(&o) = outputs.get(i) else { return Ok(()) };
                        if let Err(e) = write(o) {
                            next.store(outputs.len(), Ordering::Relaxed);
                            return Err(e);
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("an output writer panicked"))
                .collect()
        });
        results.into_iter().collect::<Result<(), LocalError>>()?;
        Ok(t.elapsed().as_secs_f64())
    };
    Ok(WriteTimes {
        parquet: phase(parquet)?,
        ndjson: phase(ndjson)?,
        reports: phase(reports)?,
    })
}

/// Create `path` (and its folders) and fill it with `fill`, through a 1 MiB buffer. Errors name the file.
fn write_file(path: &Path, fill: impl FnOnce(&mut BufWriter<File>) -> crate::Result<()>) -> Result<(), LocalError> {
    let err = |e: &dyn std::fmt::Display| LocalError::Io(format!("{}: {e}", path.display()));
    fs::create_dir_all(path.parent().expect("outputs are in folders or at the root")).map_err(|e| err(&e))?;
    let f = File::create(path).map_err(|e| err(&e))?;
    let mut w = BufWriter::with_capacity(1 << 20, f);
    fill(&mut w).map_err(|e| err(&e))?;
    w.flush().map_err(|e| err(&e))
}

/// Apply the rules ([`Lake::run_beside`]) and, when `threads` > 1 and Parquet is wanted, write
/// the landing tables' Parquet files under `dir` meanwhile: they need no rule, and they are the
/// largest outputs (real data x100: the accelerometer one is 8.1 M rows, 0.75 s against the
/// rules' 0.4 s). A second thread takes them largest first from the start; this one joins in
/// once the rules are done. Returns the run's outcome and the outputs written (for
/// [`write_outputs`]' `written`) or the error naming the file.
pub fn run_and_write_landing_beside(
    lake: &mut Lake,
    options: crate::RunOptions,
    dir: &Path,
    formats: &[TableFormat],
    threads: usize,
) -> (crate::Result<()>, Result<Vec<Output>, LocalError>) {
    if threads < 2 || !formats.contains(&TableFormat::Parquet) {
        return (lake.run(options).map(drop), Ok(Vec::new()));
    }
    let next = AtomicUsize::new(0);
    // Each side writes landing tables from the shared queue until it is empty (or one failed).
    let take = |landing: LandingTables<'_>| -> Result<Vec<Output>, LocalError> {
        let mut tables = [
            TableId::CustomerLanding,
            TableId::AccelerometerLanding,
            TableId::StepTrainerLanding,
        ];
        tables.sort_by_key(|&t| std::cmp::Reverse(landing.rows(t)));
        let mut done = Vec::new();
        while let Some(&id) = tables.get(next.fetch_add(1, Ordering::Relaxed)) {
            let o = Output::Parquet(id);
            if let Err(e) = write_file(&dir.join(o.path()), |w| landing.write_parquet(id, w)) {
                next.store(tables.len(), Ordering::Relaxed);
                return Err(e);
            }
            done.push(o);
        }
        Ok(done)
    };
    let (ran, beside, after) = lake.run_beside(options, take, take);
    let written = beside.and_then(|mut b| {
        b.extend(after.transpose()?.unwrap_or_default());
        Ok(b)
    });
    (ran.map(drop), written)
}

/// Number of outputs [`write_outputs`] writes for `formats` (for a progress bar's length).
pub fn output_count(formats: &[TableFormat]) -> usize {
    Output::all().into_iter().filter(|o| wanted(o, formats)).count()
}

/// Whether `formats` asks for output `o` (reports always; tables in the formats named).
fn wanted(o: &Output, formats: &[TableFormat]) -> bool {
    match o {
        Output::Parquet(_) => formats.contains(&TableFormat::Parquet),
        Output::Ndjson(_) => formats.contains(&TableFormat::Ndjson),
        _ => true,
    }
}

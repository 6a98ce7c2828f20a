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
/// `formats`, then every report. Errors: [`LocalError::Io`] naming the file (an output that could
/// not be created or written, or a lake that has not run).
pub fn write_outputs(
    lake: &Lake,
    dir: &Path,
    formats: &[TableFormat],
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
            .filter(|o| f(o) && wanted(o, formats))
            .collect();
        v.sort_by_key(|o| std::cmp::Reverse(rows(o)));
        v
    };
    let parquet = pick(|o| matches!(o, Output::Parquet(_)));
    let ndjson = pick(|o| matches!(o, Output::Ndjson(_)));
    let reports = pick(|o| !matches!(o, Output::Parquet(_) | Output::Ndjson(_)));
    let write = |o: Output| -> Result<(), LocalError> {
        let path = dir.join(o.path());
        let err = |e: &dyn std::fmt::Display| LocalError::Io(format!("{}: {e}", path.display()));
        observer.output(&o.path());
        fs::create_dir_all(path.parent().expect("outputs are in folders or at the root")).map_err(|e| err(&e))?;
        let f = File::create(&path).map_err(|e| err(&e))?;
        let mut w = BufWriter::with_capacity(1 << 20, f);
        lake.write_output(o, &mut w).map_err(|e| err(&e))?;
        w.flush().map_err(|e| err(&e))?;
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

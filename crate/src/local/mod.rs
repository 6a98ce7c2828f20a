//! Runs over local files (native only): which files under the given paths are landing data
//! (`landing`), decoding them on every core into one [`crate::Lake`] (`read`), and writing every
//! output into a folder with Spark's save modes (`out_dir`, `write`). The CLI's `run` and the
//! Python package compose these same steps, so both read the same files and write the same bytes.
//!
//! Data flow: paths → [`landing::landing_files`] (files, skipped) → [`read::read_landing`]
//! (one `Ingest`, file order) → [`read_lake`] (a [`crate::Lake`] with the skipped paths noted)
//! → `Lake::run` → [`write::write_outputs`] into an [`out_dir::OutDir`]'s temporary tree →
//! [`out_dir::OutDir::commit`].

pub mod landing;
pub mod out_dir;
pub mod read;
pub mod write;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::Lake;

/// What a local run reports while it works (a progress bar, or nothing). Called once per chunk
/// read and once per output written, never per record, from several threads at once.
pub trait Observer: Sync {
    /// The files about to be read (path, display name) and the paths skipped.
    fn start(&self, _files: &[(PathBuf, String)], _skipped: &[landing::Skipped]) {}
    /// `bytes` more landing bytes read.
    fn read(&self, _bytes: u64) {}
    /// `files_done` of `files` landing files decoded and merged.
    fn file_done(&self, _files_done: usize, _files: usize) {}
    /// Output `path` (see [`crate::Output::path`]) is being written.
    fn output(&self, _path: &str) {}
    /// One more output written.
    fn output_done(&self) {}
}

/// An [`Observer`] that shows nothing.
pub struct Quiet;

impl Observer for Quiet {}

/// What can go wrong with local files: a folder refused by the save-mode rules (a usage error:
/// the CLI exits 2), or a file-system error (named path and the system's message).
#[derive(Debug, PartialEq)]
pub enum LocalError {
    /// The output folder may not be written (not empty, not a stedi-lake output, holds an input…).
    Refused(String),
    /// Reading or writing a path failed: `<path>: <reason>`.
    Io(String),
}

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalError::Refused(e) | LocalError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LocalError {}

impl From<String> for LocalError {
    fn from(e: String) -> LocalError {
        LocalError::Io(e)
    }
}

/// The table formats a run writes besides the reports (both by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFormat {
    /// `<zone>/<table>/part-0.snappy.parquet`.
    Parquet,
    /// `ndjson/<zone>/<table>.json`.
    Ndjson,
}

/// What [`read_lake`] read.
pub struct ReadStats {
    /// The landing files read (path, display name), in the order they were read.
    pub files: Vec<(PathBuf, String)>,
    /// Paths under the inputs that were not read, and why (also noted in the lake's summary).
    pub skipped: Vec<landing::Skipped>,
    /// Landing bytes read (the files' sizes).
    pub bytes: u64,
}

/// Read the landing files under `paths` (never under `exclude`: the run's output folders) with
/// `threads` decoders into a [`Lake`] ready to run, the skipped paths noted for `summary.json`.
/// Errors: a path or file that cannot be read ([`LocalError::Io`], named).
pub fn read_lake(
    paths: &[PathBuf],
    exclude: &[&Path],
    threads: usize,
    observer: &dyn Observer,
) -> Result<(Lake, ReadStats), LocalError> {
    let (files, skipped) = landing::landing_files(paths, exclude)?;
    observer.start(&files, &skipped);
    let (ingest, bytes) = read::read_landing(&files, threads, observer)?;
    let mut lake = Lake::from_ingest(ingest);
    for s in &skipped {
        lake.note_skipped(&s.name, &s.reason);
    }
    Ok((lake, ReadStats { files, skipped, bytes }))
}

//! `--out`: Spark-style save modes. Outputs are written into a hidden temporary sibling and
//! swapped in whole at the end; `--overwrite` replaces only a folder stedi-lake wrote.

use std::fs::{self};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::landing::printable;
use super::LocalError;
use crate::ingest::select;

/// The first file under a previous output folder `out` that `--overwrite` may not delete,
/// described for a message; `None` when everything there is stedi-lake's. Its marker must be
/// stedi-lake's (`written_by`, `outputs`); then only its listed outputs, files in the folders
/// those outputs sit in (stale parts of a table folder), and what the landing rule knows as
/// engine output (an older layout's table parts) may go. Anything else (a document, another
/// tool's folder, a symlink) stops the run.
fn foreign_files(out: &Path) -> Result<Option<String>, String> {
    let marker = select::OUTPUT_MARKER;
    let text = fs::read_to_string(out.join(marker)).unwrap_or_default();
    let listed: Vec<String> = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) if v["written_by"] == "stedi-lake" => v["outputs"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
        _ => return Ok(Some(format!("its {marker} was not written by stedi-lake"))),
    };
    let listed_dirs: std::collections::BTreeSet<&str> = listed
        .iter()
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    let mut files = Vec::new();
    fn walk(root: &Path, dir: &Path, files: &mut Vec<Result<String, String>>) -> Result<(), String> {
        for e in fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
            let e = e.map_err(|e| format!("{}: {e}", dir.display()))?;
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
            let t = e.file_type().map_err(|e| format!("{}: {e}", p.display()))?;
            if t.is_dir() {
                walk(root, &p, files)?;
            } else if t.is_file() {
                files.push(Ok(rel));
            } else {
                files.push(Err(rel)); // a symlink or special file: never ours
            }
        }
        Ok(())
    }
    walk(out, out, &mut files)?;
    let names: Vec<&str> = files.iter().filter_map(|f| f.as_deref().ok()).collect();
    let engine = select::select(&names);
    let mut verdicts = engine.into_iter();
    for f in &files {
        match f {
            Err(rel) => return Ok(Some(format!("'{}' is not a regular file", printable(rel)))),
            Ok(rel) => {
                let is_engine = verdicts.next().flatten() == Some(select::Skip::EngineOutput);
                let in_listed_dir = rel.rsplit_once('/').is_some_and(|(d, _)| listed_dirs.contains(d));
                if !(listed.contains(rel) || in_listed_dir || is_engine) {
                    return Ok(Some(format!("'{}' was not written by stedi-lake", printable(rel))));
                }
            }
        }
    }
    Ok(None)
}

/// Where the run's outputs are written: a temporary sibling of `--out`, swapped in at the end.
pub struct OutDir {
    /// The folder asked for (`--out`).
    pub out: PathBuf,
    /// The hidden temporary sibling the outputs are written into.
    pub tmp: PathBuf,
}

impl OutDir {
    /// Check `--out` (Spark's save modes: refuse a non-empty folder unless it is a previous
    /// stedi-lake output and `--overwrite` is given) and create the temporary sibling.
    pub fn prepare(out: &Path, overwrite: bool, inputs: &[PathBuf]) -> Result<OutDir, LocalError> {
        let marker = select::OUTPUT_MARKER;
        match fs::symlink_metadata(out) {
            Ok(m) if !m.is_dir() => {
                return Err(LocalError::Refused(format!(
                    "--out {}: exists and is not a folder",
                    out.display()
                )))
            }
            Ok(_) => {
                let non_empty = fs::read_dir(out)
                    .map_err(|e| format!("{}: {e}", out.display()))?
                    .next()
                    .is_some();
                let ours = out.join(marker).is_file();
                if non_empty && !overwrite {
                    return Err(LocalError::Refused(format!(
                        "--out {}: the folder is not empty; refusing to write tables beside files that are not this run's (Athena and Spark read every file of a table's folder). Use --overwrite to replace a previous stedi-lake output, or choose a new folder.",
                        out.display()
                    )));
                }
                if non_empty && !ours {
                    return Err(LocalError::Refused(format!(
                        "--out {}: not a stedi-lake output (it has no {marker}); --overwrite only replaces a folder that stedi-lake wrote. Choose a new folder.",
                        out.display()
                    )));
                }
                if non_empty {
                    if let Some(foreign) = foreign_files(out)? {
                        return Err(LocalError::Refused(format!(
                            "--out {}: {foreign}; --overwrite replaces only a stedi-lake output (its outputs, and stale parts in its table folders). Move it away or choose a new folder.",
                            out.display()
                        )));
                    }
                }
                let canon = fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))?;
                for i in inputs {
                    if fs::canonicalize(i).is_ok_and(|i| i.starts_with(&canon)) {
                        return Err(LocalError::Refused(format!(
                            "--out {}: holds the input {}; replacing it would delete landing data",
                            out.display(),
                            i.display()
                        )));
                    }
                }
            }
            Err(_) => {}
        }
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        let name = out
            .file_name()
            .ok_or_else(|| LocalError::Refused(format!("--out {}: not a folder name", out.display())))?
            .to_string_lossy()
            .into_owned();
        // Hidden, so that a walk over the parent never reads it; unique per call (process id and
        // a counter: two writers in one process, e.g. Python threads, never share one), and never
        // someone else's: an existing one (left by a crashed process that had this id) is kept.
        static CALLS: AtomicU64 = AtomicU64::new(0);
        let tmp = loop {
            let n = CALLS.fetch_add(1, Ordering::Relaxed);
            let tmp = parent.join(format!(".{name}.stedi-lake-tmp-{}-{n}", std::process::id()));
            match fs::create_dir(&tmp) {
                Ok(()) => break tmp,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1_000_000 => continue,
                Err(e) => return Err(LocalError::Io(format!("{}: {e}", tmp.display()))),
            }
        };
        Ok(OutDir {
            out: out.to_path_buf(),
            tmp,
        })
    }

    /// Swap the complete new tree in place of `--out` (the old tree, if any, is removed).
    pub fn commit(self) -> Result<(), LocalError> {
        let err = |p: &Path, e: std::io::Error| LocalError::Io(format!("{}: {e}", p.display()));
        let old = self.tmp.with_file_name(
            self.tmp
                .file_name()
                .expect("tmp has a name")
                .to_string_lossy()
                .replace(".stedi-lake-tmp-", ".stedi-lake-old-"),
        );
        // Each step is one rename, so `out` is always absent or a complete tree. Another writer
        // of the same folder may move it between two steps: then this one fails, and leaves
        // neither its temporary tree nor the tree it moved aside behind (the other's is in place).
        let result = (|| {
            if fs::symlink_metadata(&self.out).is_ok() {
                fs::rename(&self.out, &old).map_err(|e| err(&self.out, e))?;
                if let Err(e) = fs::rename(&self.tmp, &self.out) {
                    // Put the previous tree back; if another writer's tree took its place, drop ours.
                    if fs::rename(&old, &self.out).is_err() && fs::symlink_metadata(&self.out).is_ok() {
                        let _ = fs::remove_dir_all(&old);
                    }
                    return Err(err(&self.out, e));
                }
                fs::remove_dir_all(&old).map_err(|e| err(&old, e))
            } else {
                fs::rename(&self.tmp, &self.out).map_err(|e| err(&self.out, e))
            }
        })();
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Give up: remove the temporary tree.
    pub fn abandon(&self) {
        let _ = fs::remove_dir_all(&self.tmp);
    }
}

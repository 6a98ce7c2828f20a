//! Finding the landing files under the paths given to `run`: a walk that reads only regular
//! files, skips hidden folders and the run's own output, and applies the one landing rule
//! ([`crate::ingest::select`]); names as they are printed and reported.

use std::fs::{self};
use std::path::{Path, PathBuf};

use crate::ingest::select;

/// A file or folder under the inputs that is not read, and why.
pub struct Skipped {
    /// Its display name (see [`display_name`]); a folder's ends in `/`.
    pub name: String,
    /// Why it is not read, for `summary.json`'s `skipped` list.
    pub reason: String,
}

/// Landing files (path, display name), sorted, and the paths skipped.
pub type LandingFiles = (Vec<(PathBuf, String)>, Vec<Skipped>);

/// The landing files under the given paths, sorted, with their display names; and what was
/// skipped. Only regular files are read (a FIFO or a device would hang or read as empty);
/// hidden folders and `exclude` (this run's output folder) are not entered; the rest is decided
/// by the one landing rule, `stedi_lake::ingest::select`. Errors: a path that cannot be
/// read (named).
pub fn landing_files(paths: &[PathBuf], exclude: &[&Path]) -> Result<LandingFiles, String> {
    fn walk(
        root: &[PathBuf],
        p: &Path,
        exclude: &[&Path],
        files: &mut Vec<(PathBuf, String)>,
        skipped: &mut Vec<Skipped>,
    ) -> Result<(), String> {
        let meta = fs::metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
        if meta.is_dir() {
            if exclude.iter().any(|x| same_path(p, x)) {
                skipped.push(Skipped {
                    name: display_name(root, p),
                    reason: "this run's output folder (--out), never input".into(),
                });
                return Ok(());
            }
            let mut entries: Vec<PathBuf> = fs::read_dir(p)
                .map_err(|e| format!("{}: {e}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            entries.sort();
            for e in entries {
                let hidden_dir = e
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with('.'))
                    && fs::metadata(&e).is_ok_and(|m| m.is_dir());
                if hidden_dir {
                    // Not entered (a .git tree can be huge); listed once.
                    skipped.push(Skipped {
                        name: display_name(root, &e) + "/",
                        reason: select::Skip::Hidden.reason().into(),
                    });
                    continue;
                }
                walk(root, &e, exclude, files, skipped)?;
            }
        } else if meta.is_file() {
            // A file reached through a symlink may still lie inside the output folder, which
            // --overwrite replaces: never read it (and so never delete landing data there).
            let real = fs::canonicalize(p).map_err(|e| format!("{}: {e}", p.display()))?;
            if exclude
                .iter()
                .any(|x| fs::canonicalize(x).is_ok_and(|x| real.starts_with(x)))
            {
                skipped.push(Skipped {
                    name: display_name(root, p),
                    reason: "inside this run's output folder (--out), reached through a symlink: never input".into(),
                });
            } else {
                files.push((p.to_path_buf(), display_name(root, p)));
            }
        } else {
            skipped.push(Skipped {
                name: display_name(root, p),
                reason: "not a regular file (a FIFO, socket or device): not read".into(),
            });
        }
        Ok(())
    }
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        walk(paths, p, exclude, &mut files, &mut skipped)?;
    }
    let verdicts = select::select(&files.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>());
    let mut read = Vec::new();
    for (f, v) in files.into_iter().zip(verdicts) {
        match v {
            None => read.push(f),
            Some(skip) => skipped.push(Skipped {
                name: f.1,
                reason: skip.reason().into(),
            }),
        }
    }
    Ok((read, skipped))
}

/// Whether two paths name the same existing folder.
pub fn same_path(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A name as it may be printed on a terminal: control characters (line breaks, ANSI escapes)
/// and bidirectional overrides escaped, so a file name can never forge or erase a status line.
pub fn printable(name: &str) -> String {
    let mut s = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            s.extend(c.escape_unicode());
        } else {
            s.push(c);
        }
    }
    s
}

/// The name a file is routed and reported by: its path from the landing folder's parent
/// (`landing/customer/x.json`), or its file name when given as a file.
pub fn display_name(roots: &[PathBuf], path: &Path) -> String {
    roots
        .iter()
        .find(|r| path.starts_with(r))
        .and_then(|r| {
            if r.is_dir() {
                path.strip_prefix(r.parent()?).ok()
            } else {
                path.file_name().map(Path::new)
            }
        })
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

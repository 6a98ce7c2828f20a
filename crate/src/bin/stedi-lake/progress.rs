//! What `run` shows on stderr while it works: a progress bar when stderr is a terminal, nothing
//! otherwise (indicatif).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stedi_lake::local::landing::{printable, Skipped};
use stedi_lake::local::Observer;

/// What `run` may show on stderr besides errors.
#[derive(Clone, Copy)]
pub(crate) struct Ui {
    /// `--quiet`: no notices (skipped files), no progress.
    pub(crate) quiet: bool,
    /// Draw a progress bar: stderr is a terminal and neither `--quiet` nor `--no-progress`.
    pub(crate) progress: bool,
}

/// The run's progress bar on stderr, or nothing. Updated once per 1 MiB chunk read and once
/// per output written, never per record; indicatif redraws at most 20 times a second.
pub(crate) struct Progress {
    pub(crate) bar: Option<ProgressBar>,
    /// `--quiet`: no notices.
    quiet: bool,
}

impl Progress {
    pub(crate) fn new(ui: Ui) -> Progress {
        Progress {
            bar: ui
                .progress
                .then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
            quiet: ui.quiet,
        }
    }

    /// Phase 1: reading `total` bytes of landing files (a bar in MB, MB/s, files done).
    pub(crate) fn reading(&self, total: u64, files: usize) {
        if let Some(b) = &self.bar {
            b.set_style(
                ProgressStyle::with_template(
                    "reading {msg:>12} [{bar:30}] {decimal_bytes:>9}/{decimal_total_bytes:<9} {decimal_bytes_per_sec:>11} {eta}",
                )
                .expect("a valid template")
                .progress_chars("=> "),
            );
            b.set_message(format!("0/{files} files"));
            b.set_length(total);
            b.set_position(0);
        }
    }

    /// Phase 2: the rules (zones); a spinner, as the rules report no progress of their own.
    pub(crate) fn rules(&self, mode: &str) {
        if let Some(b) = &self.bar {
            b.set_style(ProgressStyle::with_template("{spinner} rules ({msg}) {elapsed}").expect("a valid template"));
            b.set_message(mode.to_owned());
            b.enable_steady_tick(Duration::from_millis(120));
        }
    }

    /// Phase 3: writing `outputs` files.
    pub(crate) fn writing(&self, outputs: usize) {
        if let Some(b) = &self.bar {
            b.disable_steady_tick();
            b.set_style(
                ProgressStyle::with_template("writing tables [{bar:30}] {pos}/{len} {wide_msg}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            b.set_length(outputs as u64);
            b.set_position(0);
        }
    }

    /// Print a line on stderr without tearing the bar.
    pub(crate) fn note(&self, line: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| note!("{line}")),
            None => note!("{line}"),
        }
    }

    /// Remove the bar from the terminal.
    pub(crate) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    /// Phase 1 begins: the skipped paths as notices (the first 20), a bar over the files' bytes.
    fn start(&self, files: &[(PathBuf, String)], skipped: &[Skipped]) {
        if !self.quiet {
            for s in skipped.iter().take(20) {
                self.note(&format!("stedi-lake: skipped {}: {}", printable(&s.name), s.reason));
            }
            if skipped.len() > 20 {
                self.note(&format!(
                    "stedi-lake: … and {} more skipped (listed in summary.json)",
                    skipped.len() - 20
                ));
            }
        }
        if self.bar.is_some() {
            let total = files.iter().map(|(p, _)| std::fs::metadata(p).map_or(0, |m| m.len())).sum();
            self.reading(total, files.len());
        }
    }

    /// `bytes` more read (called once per chunk fed).
    fn read(&self, bytes: u64) {
        if let Some(b) = &self.bar {
            b.inc(bytes);
        }
    }

    /// `files_done` of `files` files complete.
    fn file_done(&self, files_done: usize, files: usize) {
        if let Some(b) = &self.bar {
            b.set_message(format!("{files_done}/{files} files"));
        }
    }

    /// Output `path` is being written.
    fn output(&self, path: &str) {
        if let Some(b) = &self.bar {
            b.set_message(path.to_owned());
        }
    }

    fn output_done(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

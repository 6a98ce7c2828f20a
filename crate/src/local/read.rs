//! Reading the landing files on every core. Decoding is independent per file, so `threads`
//! workers take the next file from a shared counter (a work queue: a large file does not hold up
//! a share of small ones), each decoding it into its own [`Ingest`]; the calling thread appends
//! the finished ingests in file order (`Ingest::append`: ids re-mapped), so the result is the same
//! as reading the files one after the other on one thread, byte for byte (tested:
//! `tests/test_cli_run.py` compares every output of 1, 3 and 8 threads).
//!
//! A finished file waits only while an earlier one is still being decoded, and a worker does not
//! start a file more than `WINDOW_PER_THREAD` × threads ahead of the merge, so besides the merged
//! set at most that many decoded files are held.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use super::Observer;
use crate::ingest::Ingest;

/// Size of the pieces a file is fed to the splitter in (bytes).
const CHUNK: usize = 1 << 20;

/// How far ahead of the merge (in files, per worker) a worker may start a file.
const WINDOW_PER_THREAD: usize = 2;

/// One file read: its ingest (this file only), its bytes, and the error when it could not be read.
type Decoded = Result<(Ingest, u64), String>;

/// Read `files` (path, display name) with `threads` workers into one [`Ingest`], in file order.
/// Returns it and the bytes read. Errors: a file that cannot be opened or read (named).
pub fn read_landing(
    files: &[(PathBuf, String)],
    threads: usize,
    progress: &dyn Observer,
) -> Result<(Ingest, u64), String> {
    let threads = threads.clamp(1, files.len().max(1));
    if threads == 1 {
        let mut ingest = Ingest::new();
        let mut bytes = 0;
        for (i, file) in files.iter().enumerate() {
            bytes += read_file(&mut ingest, file, progress)?;
            progress.file_done(i + 1, files.len());
        }
        return Ok((ingest, bytes));
    }
    let next = AtomicUsize::new(0);
    let merged_files = AtomicUsize::new(0);
    let window = WINDOW_PER_THREAD * threads;
    let stopped = AtomicBool::new(false);
    let stop = || halt(&stopped, &next, files.len());
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, Decoded)>();
        for _ in 0..threads {
            let (tx, next, merged_files, stopped) = (tx.clone(), &next, &merged_files, &stopped);
            s.spawn(move || {
                // A worker that panics stops the others, so nobody waits for its file for ever.
                let _guard = StopOnPanic(stopped, next, files.len());
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= files.len() {
                        break;
                    }
                    // Far ahead of the merge: wait rather than hold more decoded files.
                    while i >= merged_files.load(Ordering::Relaxed) + window {
                        if stopped.load(Ordering::Relaxed) {
                            return;
                        }
                        std::thread::sleep(std::time::Duration::from_millis(1));
                    }
                    let mut ingest = Ingest::new();
                    let r = read_file(&mut ingest, &files[i], progress).map(|b| (ingest, b));
                    if tx.send((i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut merged: Option<Ingest> = None;
        let (mut bytes, mut want) = (0u64, 0usize);
        let mut waiting: BTreeMap<usize, Decoded> = BTreeMap::new();
        for (i, r) in rx {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&want) {
                let (ingest, b) = match r {
                    Ok(x) => x,
                    Err(e) => {
                        stop();
                        return Err(e);
                    }
                };
                bytes += b;
                match &mut merged {
                    None => merged = Some(ingest),
                    Some(m) => m.append(&ingest),
                }
                want += 1;
                merged_files.store(want, Ordering::Relaxed);
                progress.file_done(want, files.len());
            }
        }
        if want < files.len() {
            // Every worker is gone and a file is missing: one of them stopped (its panic is
            // reported when the scope joins it).
            return Err(format!(
                "a decoding thread stopped before {} was read",
                files[want].0.display()
            ));
        }
        Ok((merged.unwrap_or_default(), bytes))
    })
}

/// Stop every worker: none takes another file, and a waiting one returns.
fn halt(stopped: &AtomicBool, next: &AtomicUsize, files: usize) {
    stopped.store(true, Ordering::Relaxed);
    next.store(files, Ordering::Relaxed);
}

/// Stops every worker when the thread holding it unwinds.
struct StopOnPanic<'a>(&'a AtomicBool, &'a AtomicUsize, usize);

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            halt(self.0, self.1, self.2);
        }
    }
}

/// Read one file into `ingest` (mapped where the platform allows, else with `read`). Returns
/// its bytes. Errors name the file.
fn read_file(ingest: &mut Ingest, (path, name): &(PathBuf, String), progress: &dyn Observer) -> Result<u64, String> {
    let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    ingest.open(name, None);
    let mut bytes = 0u64;
    // SAFETY: mapping is sound only while no other process changes the file, which a landing
    // folder being read does not expect. If one does: a file truncated meanwhile ends the process
    // with SIGBUS (the previous output stays untouched: outputs are swapped in only at the end;
    // the hidden temporary folder is left behind), and bytes changed meanwhile may be read in
    // either version, so a record can be torn. Fall back to read() where mapping fails.
    match unsafe { memmap2::Mmap::map(&f) } {
        Ok(map) => {
            for chunk in map.chunks(CHUNK) {
                ingest.feed(chunk);
                progress.read(chunk.len() as u64);
            }
            bytes += map.len() as u64;
        }
        Err(_) => {
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = f.read(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
                if n == 0 {
                    break;
                }
                bytes += n as u64;
                ingest.feed(&buf[..n]);
                progress.read(n as u64);
            }
        }
    }
    ingest.close();
    Ok(bytes)
}

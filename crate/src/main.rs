//! The native CLI: `stedi-lake run` (landing folder → Hive-layout outputs), `stedi-lake presign`
//! (the S3 manifest, `docs/manifest.md`) and `stedi-lake generate` (deterministic STEDI-shaped
//! landing data). A thin shell over [`stedi_lake::Lake`] and [`stedi_lake::presign`].
//!
//! It behaves like the Unix tools beside it: human tables on stdout by default, `run --json` the
//! run's `summary.json` as one JSON document, `--quiet` nothing but errors; notices and a progress
//! bar (only when stderr is a terminal) on stderr; a closed stdout pipe ends it as it ends `cat`
//! (killed by SIGPIPE, quietly, after the outputs are in place).

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::fmt::Write as _;
    use std::fs::{self, File};
    use std::io::{BufWriter, IsTerminal, Read, Write};
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::{Duration, Instant};

    use clap::{Parser, Subcommand, ValueEnum};
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use stedi_lake::ddl::DdlOptions;
    use stedi_lake::generate::{generate, GenOptions};
    use stedi_lake::ingest::select;
    use stedi_lake::presign::{presign, PresignOptions};
    use stedi_lake::{Lake, Mode, Output, RunOptions, Source};

    /// One line on stderr. A stderr that is closed or a broken pipe is ignored: there is nowhere
    /// left to report it, and a status line is never worth a crash.
    macro_rules! note {
        ($($arg:tt)*) => {{
            let _ = writeln!(std::io::stderr().lock(), $($arg)*);
        }};
    }

    /// Write `text` to stdout and flush it. A closed pipe (`stedi-lake … | head -1`) ends the
    /// process the way it ends `cat` and `ls`: killed by SIGPIPE, without a message (a shell
    /// reports status 141; `set -o pipefail` sees it as it sees `cat`'s). Other write errors are
    /// returned. Every stdout write of the CLI goes through here (never `println!`, which panics).
    fn to_stdout(text: &[u8]) -> Result<(), String> {
        let mut out = std::io::stdout().lock();
        match out.write_all(text).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => closed_pipe(),
            Err(e) => Err(format!("writing to stdout: {e}")),
        }
    }

    /// End the process as the default SIGPIPE action would (Rust's runtime ignores SIGPIPE, so a
    /// write to a closed pipe returns an error instead; here the default is put back and raised).
    #[cfg(unix)]
    fn closed_pipe() -> ! {
        use std::os::raw::c_int;
        // The C library's signal(2) and raise(3): std links it already; no crate needed for two calls.
        extern "C" {
            fn signal(signum: c_int, handler: usize) -> usize;
            fn raise(sig: c_int) -> c_int;
        }
        const SIGPIPE: c_int = 13; // the same number on Linux, macOS and the BSDs
        const SIG_DFL: usize = 0;
        // SAFETY: resetting one signal's disposition to its default and raising it; no handler runs.
        unsafe {
            signal(SIGPIPE, SIG_DFL);
            raise(SIGPIPE);
        }
        // Only reached when SIGPIPE is blocked: the status a shell would report for it.
        std::process::exit(128 + SIGPIPE)
    }

    #[cfg(not(unix))]
    fn closed_pipe() -> ! {
        std::process::exit(0)
    }

    /// Exit codes (also in `--help` and the README).
    const EXIT_ERROR: u8 = 1;
    const EXIT_USAGE: u8 = 2;
    const EXIT_QUARANTINE: u8 = 3;

    /// A failed command: a usage error (exit 2: the command as given can not be run) or an error
    /// while running (exit 1).
    enum Failure {
        Usage(String),
        Run(String),
    }

    impl From<String> for Failure {
        fn from(e: String) -> Failure {
            Failure::Run(e)
        }
    }

    /// The exit codes, as `--help` shows them.
    const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    done (quarantined records are reported, not fatal)
  1    error: unreadable input, unwritable output, no STEDI landing data, a table over --max-rows
  2    usage error: bad arguments, a non-empty --out, an invalid --location or --database
  3    run --fail-on-quarantine: some record was quarantined
  141  (a shell's status for SIGPIPE) stdout closed early, e.g. `| head`: ends quietly as cat
       does; a run's outputs are already in place";

    #[derive(Parser)]
    #[command(
        name = "stedi-lake",
        version,
        about = "STEDI landing -> trusted -> curated, as Parquet, NDJSON and Glue/Athena DDL",
        after_help = top_help()
    )]
    struct Cli {
        /// Print nothing on stdout and only errors on stderr (no notices, no progress).
        #[arg(long, short, global = true)]
        quiet: bool,
        #[command(subcommand)]
        command: Command,
    }

    /// `--help`'s closing text: examples, then the exit codes.
    fn top_help() -> String {
        format!(
            "\
Examples:
  stedi-lake run landing/ --out out                      tables on stdout, progress on a terminal
  stedi-lake run landing/ --out out --overwrite --json | jq .tables
  stedi-lake run landing/ --out out --quiet --fail-on-quarantine   (CI: the exit code says it)
  stedi-lake generate --size 20M --out sample/
  stedi-lake presign s3://my-bucket/stedi --out manifest.json

{EXIT_CODES_HELP}"
        )
    }

    /// `run --help`'s closing text.
    fn run_help() -> String {
        format!(
            "\
Examples:
  stedi-lake run ../shared/stedi/landing --out out
  stedi-lake run landing/ --out out --mode rubric --formats parquet
  stedi-lake run landing/ --out out --overwrite --json > summary.json
  stedi-lake run a/ b/ c.json --out out --quiet --fail-on-quarantine || echo \"status $?\"

Output: human tables on stdout (--json: summary.json as one JSON document instead; --quiet:
nothing). Notices (skipped files, rejected files) and a progress bar go to stderr; the bar only
when stderr is a terminal (never in pipes, CI logs or tests; --no-progress turns it off).

{EXIT_CODES_HELP}"
        )
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum ModeArg {
        /// Privacy-first rules: latest customer per email, consent dates, de-duplication, device ownership.
        Strict,
        /// The reference Glue/Athena jobs, row for row.
        Rubric,
    }

    #[derive(Clone, Copy, ValueEnum, PartialEq)]
    enum Format {
        Parquet,
        Ndjson,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Run the pipeline over landing files or folders (walked recursively; files are routed by
        /// folder or file name, else by their records' keys).
        #[command(after_help = run_help())]
        Run {
            /// Landing folders or files.
            #[arg(required = true)]
            landing: Vec<PathBuf>,
            /// Output folder (Hive layout: <zone>/<table>/part-00000.parquet). Must be empty or new,
            /// unless --overwrite.
            #[arg(long)]
            out: PathBuf,
            /// Replace --out when it holds a previous stedi-lake output (it has _stedi-lake.json);
            /// the new tree is written beside it and swapped in only when complete.
            #[arg(long)]
            overwrite: bool,
            #[arg(long, value_enum, default_value = "strict")]
            mode: ModeArg,
            /// S3 prefix the DDL's LOCATIONs point at.
            #[arg(long, default_value = "s3://your-bucket/stedi")]
            location: String,
            /// Glue database name used in the DDL.
            #[arg(long, default_value = "stedi")]
            database: String,
            /// Table formats to write.
            #[arg(long, value_enum, value_delimiter = ',', default_value = "parquet,ndjson")]
            formats: Vec<Format>,
            /// The most rows one derived table may have (default: 50 x the landing rows, between
            /// 1 million and 200 million). The rubric joins fan out; over the limit nothing is written.
            #[arg(long)]
            max_rows: Option<u64>,
            /// Exit with code 3 if any record was quarantined.
            #[arg(long)]
            fail_on_quarantine: bool,
            /// Print seconds per phase, MB/s and peak memory (stderr; and a BENCH line on stdout
            /// unless --json or --quiet, where it goes to stderr too).
            #[arg(long)]
            timings: bool,
            /// Print the run's summary.json on stdout as one JSON document, instead of the tables.
            #[arg(long)]
            json: bool,
            /// No progress bar on stderr, even on a terminal.
            #[arg(long)]
            no_progress: bool,
        },
        /// Write a transfer manifest for s3://bucket/prefix: presigned GETs for every object below a
        /// landing/ folder, presigned PUTs (and multipart uploads for tables) for every output.
        /// Credentials, region and endpoint are read as the AWS CLI reads them.
        Presign {
            /// s3://bucket/prefix (landing objects below <prefix>/…/landing/…; outputs in the Hive layout under it).
            location: String,
            /// Write the manifest here instead of stdout.
            #[arg(long)]
            out: Option<PathBuf>,
            /// Seconds the URLs stay valid (at most 604800, 7 days).
            #[arg(long, default_value_t = 3600)]
            expires: u64,
            #[arg(long)]
            region: Option<String>,
            /// S3-compatible endpoint, e.g. http://127.0.0.1:9000.
            #[arg(long)]
            endpoint: Option<String>,
            /// Address the bucket in the path (http://host/bucket/key), as S3-compatible servers need.
            #[arg(long)]
            path_style: bool,
            /// Profile in ~/.aws/credentials or ~/.aws/config (beats the environment's keys).
            #[arg(long)]
            profile: Option<String>,
            /// Multipart part size, e.g. 8M (at least 5 MiB).
            #[arg(long, default_value = "8Mi")]
            part_size: String,
            /// Largest table output the multipart uploads must hold (default: twice the landing bytes).
            #[arg(long)]
            max_output_size: Option<String>,
            /// Table formats to upload (derived tables; DDL and reports always).
            #[arg(long, value_enum, value_delimiter = ',', default_value = "parquet")]
            formats: Vec<Format>,
            /// Sign as of this RFC 3339 instant instead of now (reproducible URLs for tests).
            #[arg(long, hide = true)]
            signing_time: Option<String>,
        },
        /// Write deterministic STEDI-shaped landing data (customer/, accelerometer/, step_trainer/).
        Generate {
            #[arg(long)]
            out: PathBuf,
            #[arg(long, default_value_t = 42)]
            seed: u64,
            /// Approximate total size, e.g. 500K, 20M, 1G.
            #[arg(long, default_value = "1M")]
            size: String,
        },
    }

    pub fn main() -> ExitCode {
        let cli = match Cli::try_parse() {
            Ok(cli) => cli,
            Err(e) => {
                // --help and --version go to stdout (exit 0), usage errors to stderr (exit 2);
                // a closed stdout ends the process like any other stdout write.
                let printed = e.print().and_then(|()| std::io::stdout().flush());
                if printed.is_err_and(|err| err.kind() == std::io::ErrorKind::BrokenPipe) {
                    closed_pipe();
                }
                return ExitCode::from(e.exit_code().clamp(0, 255) as u8);
            }
        };
        let quiet = cli.quiet;
        let result = match cli.command {
            Command::Run {
                landing,
                out,
                overwrite,
                mode,
                location,
                database,
                formats,
                max_rows,
                fail_on_quarantine,
                timings,
                json,
                no_progress,
            } => {
                let mode = match mode {
                    ModeArg::Strict => Mode::Strict,
                    ModeArg::Rubric => Mode::Rubric,
                };
                (|| {
                    let ddl = DdlOptions::new(&location, &database).map_err(|e| Failure::Usage(format!("--{e}")))?;
                    let opts = RunOptions { mode, ddl, max_rows };
                    let ui = Ui {
                        quiet,
                        progress: !quiet && !no_progress && std::io::stderr().is_terminal(),
                    };
                    let done = run(&landing, &out, overwrite, opts, &formats, ui)?;
                    // The outputs are in place: what follows only reports them.
                    if timings {
                        let _ = std::io::stderr().lock().write_all(done.timings.as_bytes());
                    }
                    if json {
                        to_stdout(&done.summary_json)?;
                        if !done.summary_json.ends_with(b"\n") {
                            to_stdout(b"\n")?;
                        }
                    } else if !quiet {
                        to_stdout(done.report.as_bytes())?;
                    }
                    if timings {
                        if json || quiet {
                            note!("{}", done.bench);
                        } else {
                            to_stdout(format!("{}\n", done.bench).as_bytes())?;
                        }
                    }
                    if fail_on_quarantine && done.quarantined > 0 {
                        note!(
                            "stedi-lake: {} record(s) quarantined (see {}/data_quality.json)",
                            done.quarantined,
                            out.display()
                        );
                        Ok(ExitCode::from(EXIT_QUARANTINE))
                    } else {
                        Ok(ExitCode::SUCCESS)
                    }
                })()
            }
            Command::Presign {
                location,
                out,
                expires,
                region,
                endpoint,
                path_style,
                profile,
                part_size,
                max_output_size,
                formats,
                signing_time,
            } => (|| {
                // The manifest's location becomes the DDL's: refuse one the page would refuse.
                stedi_lake::ddl::check_location(&location).map_err(|e| e.to_string())?;
                let opts = PresignOptions {
                    location,
                    region,
                    endpoint,
                    path_style,
                    profile,
                    expires: std::time::Duration::from_secs(expires),
                    part_size: parse_size(&part_size)?,
                    max_output_size: max_output_size.as_deref().map(parse_size).transpose()?,
                    ndjson: formats.contains(&Format::Ndjson),
                    signing_time: signing_time
                        .map(|t| t.parse().map_err(|e| format!("--signing-time {t:?}: {e}")))
                        .transpose()?,
                };
                presign_cmd(&opts, out.as_deref(), quiet)
            })()
            .map(|_| ExitCode::SUCCESS)
            .map_err(Failure::Run),
            Command::Generate { out, seed, size } => gen(&out, seed, &size, quiet)
                .map(|_| ExitCode::SUCCESS)
                .map_err(Failure::Run),
        };
        result.unwrap_or_else(|e| match e {
            Failure::Usage(e) => {
                note!("stedi-lake: {e}");
                ExitCode::from(EXIT_USAGE)
            }
            Failure::Run(e) => {
                note!("stedi-lake: {e}");
                ExitCode::from(EXIT_ERROR)
            }
        })
    }

    /// What `run` may show on stderr besides errors.
    #[derive(Clone, Copy)]
    struct Ui {
        /// `--quiet`: no notices (skipped files), no progress.
        quiet: bool,
        /// Draw a progress bar: stderr is a terminal and neither `--quiet` nor `--no-progress`.
        progress: bool,
    }

    /// The run's progress bar on stderr, or nothing. Updated once per 1 MiB chunk read and once
    /// per output written, never per record; indicatif redraws at most 20 times a second.
    struct Progress {
        bar: Option<ProgressBar>,
    }

    impl Progress {
        fn new(show: bool) -> Progress {
            Progress {
                bar: show.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
            }
        }

        /// Phase 1: reading `total` bytes of landing files (a bar in MB, MB/s, files done).
        fn reading(&self, total: u64, files: usize) {
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

        /// Phase 2: the rules (zones); a spinner, as the rules report no progress of their own.
        fn rules(&self, mode: &str) {
            if let Some(b) = &self.bar {
                b.set_style(
                    ProgressStyle::with_template("{spinner} rules ({msg}) {elapsed}").expect("a valid template"),
                );
                b.set_message(mode.to_owned());
                b.enable_steady_tick(Duration::from_millis(120));
            }
        }

        /// Phase 3: writing `outputs` files.
        fn writing(&self, outputs: usize) {
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

        /// Print a line on stderr without tearing the bar.
        fn note(&self, line: &str) {
            match &self.bar {
                Some(b) => b.suspend(|| note!("{line}")),
                None => note!("{line}"),
            }
        }

        /// Remove the bar from the terminal.
        fn finish(&self) {
            if let Some(b) = &self.bar {
                b.finish_and_clear();
            }
        }
    }

    impl Drop for Progress {
        fn drop(&mut self) {
            self.finish();
        }
    }

    /// A file or folder under the inputs that is not read, and why.
    struct Skipped {
        name: String,
        reason: String,
    }

    /// Landing files (path, display name), sorted, and the paths skipped.
    type LandingFiles = (Vec<(PathBuf, String)>, Vec<Skipped>);

    /// The landing files under the given paths, sorted, with their display names; and what was
    /// skipped. Only regular files are read (a FIFO or a device would hang or read as empty);
    /// hidden folders and `exclude` (this run's output folder) are not entered; the rest is decided
    /// by the one landing rule, `stedi_lake::ingest::select`.
    fn landing_files(paths: &[PathBuf], exclude: &[&Path]) -> Result<LandingFiles, String> {
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
                        reason: "inside this run's output folder (--out), reached through a symlink: never input"
                            .into(),
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
    fn same_path(a: &Path, b: &Path) -> bool {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }

    /// A name as it may be printed on a terminal: control characters (line breaks, ANSI escapes)
    /// and bidirectional overrides escaped, so a file name can never forge or erase a status line.
    fn printable(name: &str) -> String {
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

    /// The first file under a previous output folder `out` that `--overwrite` may not delete,
    /// described for a message; `None` when everything there is stedi-lake's. Its marker must be
    /// stedi-lake's (`written_by`, `outputs`); then only its listed outputs, files in the folders
    /// those outputs sit in (stale parts of a table folder), and what the landing rule knows as
    /// engine output (an older layout's table parts) may go. Anything else (a document, another
    /// tool's folder, a symlink) stops the run.
    fn foreign_files(out: &Path) -> Result<Option<String>, String> {
        let marker = stedi_lake::ingest::select::OUTPUT_MARKER;
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
    struct OutDir {
        out: PathBuf,
        tmp: PathBuf,
    }

    impl OutDir {
        /// Check `--out` (Spark's save modes: refuse a non-empty folder unless it is a previous
        /// stedi-lake output and `--overwrite` is given) and create the temporary sibling.
        fn prepare(out: &Path, overwrite: bool, inputs: &[PathBuf]) -> Result<OutDir, Failure> {
            let marker = stedi_lake::ingest::select::OUTPUT_MARKER;
            match fs::symlink_metadata(out) {
                Ok(m) if !m.is_dir() => {
                    return Err(Failure::Usage(format!(
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
                        return Err(Failure::Usage(format!(
                            "--out {}: the folder is not empty; refusing to write tables beside files that are not this run's (Athena and Spark read every file of a table's folder). Use --overwrite to replace a previous stedi-lake output, or choose a new folder.",
                            out.display()
                        )));
                    }
                    if non_empty && !ours {
                        return Err(Failure::Usage(format!(
                            "--out {}: not a stedi-lake output (it has no {marker}); --overwrite only replaces a folder that stedi-lake wrote. Choose a new folder.",
                            out.display()
                        )));
                    }
                    if non_empty {
                        if let Some(foreign) = foreign_files(out)? {
                            return Err(Failure::Usage(format!(
                                "--out {}: {foreign}; --overwrite replaces only a stedi-lake output (its outputs, and stale parts in its table folders). Move it away or choose a new folder.",
                                out.display()
                            )));
                        }
                    }
                    let canon = fs::canonicalize(out).map_err(|e| format!("{}: {e}", out.display()))?;
                    for i in inputs {
                        if fs::canonicalize(i).is_ok_and(|i| i.starts_with(&canon)) {
                            return Err(Failure::Usage(format!(
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
                .ok_or_else(|| Failure::Usage(format!("--out {}: not a folder name", out.display())))?
                .to_string_lossy()
                .into_owned();
            // Hidden, so that a walk over the parent never reads it.
            let tmp = parent.join(format!(".{name}.stedi-lake-tmp-{}", std::process::id()));
            let _ = fs::remove_dir_all(&tmp);
            fs::create_dir(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
            Ok(OutDir {
                out: out.to_path_buf(),
                tmp,
            })
        }

        /// Swap the complete new tree in place of `--out` (the old tree, if any, is removed).
        fn commit(self) -> Result<(), String> {
            let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
            if fs::symlink_metadata(&self.out).is_ok() {
                let old = self.tmp.with_file_name(
                    self.tmp
                        .file_name()
                        .expect("tmp has a name")
                        .to_string_lossy()
                        .replace(".stedi-lake-tmp-", ".stedi-lake-old-"),
                );
                fs::rename(&self.out, &old).map_err(|e| err(&self.out, e))?;
                if let Err(e) = fs::rename(&self.tmp, &self.out) {
                    let _ = fs::rename(&old, &self.out);
                    return Err(err(&self.out, e));
                }
                fs::remove_dir_all(&old).map_err(|e| err(&old, e))?;
            } else {
                fs::rename(&self.tmp, &self.out).map_err(|e| err(&self.out, e))?;
            }
            Ok(())
        }

        /// Give up: remove the temporary tree.
        fn abandon(&self) {
            let _ = fs::remove_dir_all(&self.tmp);
        }
    }

    /// A run whose outputs are written: what is left to report.
    struct Done {
        /// The human tables (stdout by default).
        report: String,
        /// The bytes of the written `summary.json` (`--json`).
        summary_json: Vec<u8>,
        /// Records quarantined, over every source (`--fail-on-quarantine`).
        quarantined: u64,
        /// `--timings`: lines for stderr, and the one-line `BENCH {json}` that bench/bench.sh reads.
        timings: String,
        bench: String,
    }

    fn run(
        landing: &[PathBuf],
        out: &Path,
        overwrite: bool,
        opts: RunOptions,
        formats: &[Format],
        ui: Ui,
    ) -> Result<Done, Failure> {
        let dir = OutDir::prepare(out, overwrite, landing)?;
        let result = run_into(landing, &[out, &dir.tmp], &dir.tmp, opts, formats, ui);
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
    fn run_into(
        landing: &[PathBuf],
        outs: &[&Path],
        out: &Path,
        opts: RunOptions,
        formats: &[Format],
        ui: Ui,
    ) -> Result<Done, Failure> {
        let t0 = Instant::now();
        let final_out = outs[0];
        let (files, skipped) = landing_files(landing, outs)?;
        if !ui.quiet {
            for s in skipped.iter().take(20) {
                note!("stedi-lake: skipped {}: {}", printable(&s.name), s.reason);
            }
            if skipped.len() > 20 {
                note!(
                    "stedi-lake: … and {} more skipped (listed in summary.json)",
                    skipped.len() - 20
                );
            }
        }
        let mut lake = Lake::new();
        for s in &skipped {
            lake.note_skipped(&s.name, &s.reason);
        }
        let progress = Progress::new(ui.progress);
        if progress.bar.is_some() {
            let total = files.iter().map(|(p, _)| fs::metadata(p).map_or(0, |m| m.len())).sum();
            progress.reading(total, files.len());
        }
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        let mut held_back: Vec<String> = Vec::new();
        for (i, (path, name)) in files.iter().enumerate() {
            let mut f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
            lake.open_file(name, None);
            // SAFETY: the map is only read while this loop runs; a landing file changed by another
            // process meanwhile could give torn records (quarantined), never memory unsafety in Rust
            // terms beyond what reading a changing file gives. Fall back to read() where mapping fails.
            match unsafe { memmap2::Mmap::map(&f) } {
                Ok(map) => {
                    for chunk in map.chunks(1 << 20) {
                        lake.feed(chunk);
                        progress.read(chunk.len() as u64);
                    }
                    bytes += map.len() as u64;
                }
                Err(_) => loop {
                    let n = f.read(&mut buf).map_err(|e| format!("{}: {e}", path.display()))?;
                    if n == 0 {
                        break;
                    }
                    bytes += n as u64;
                    lake.feed(&buf[..n]);
                    progress.read(n as u64);
                },
            }
            if let Some(r) = lake.close_file() {
                if let Some(err) = &r.error {
                    // A file rejected whole is counted in summary.json (files[].error) and the run
                    // goes on: a notice, kept back under --quiet unless the run then fails for it.
                    let line = format!("stedi-lake: {}: {err}", printable(&r.name));
                    if !ui.quiet {
                        progress.note(&line);
                    } else if held_back.len() < 20 {
                        held_back.push(line);
                    }
                }
            }
            progress.file_done(i + 1, files.len());
        }
        let t_ingest = t0.elapsed().as_secs_f64();

        let t1 = Instant::now();
        progress.rules(match opts.mode {
            Mode::Strict => "strict",
            Mode::Rubric => "rubric",
        });
        lake.run(opts).map_err(|e| Failure::Run(e.to_string()))?;
        let t_zones = t1.elapsed().as_secs_f64();

        let all = Output::all();
        let pick = |f: fn(&Output) -> bool| all.iter().copied().filter(f).collect::<Vec<_>>();
        let parquet = if formats.contains(&Format::Parquet) {
            pick(|o| matches!(o, Output::Parquet(_)))
        } else {
            Vec::new()
        };
        let ndjson = if formats.contains(&Format::Ndjson) {
            pick(|o| matches!(o, Output::Ndjson(_)))
        } else {
            Vec::new()
        };
        let reports = pick(|o| !matches!(o, Output::Parquet(_) | Output::Ndjson(_)));
        progress.writing(parquet.len() + ndjson.len() + reports.len());
        let phase = |outputs: Vec<Output>| -> Result<f64, Failure> {
            let t = Instant::now();
            for o in outputs {
                let path = out.join(o.path());
                progress.output(&o.path());
                fs::create_dir_all(path.parent().expect("outputs are in folders or at the root"))
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                let f = File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                let mut w = BufWriter::with_capacity(1 << 20, f);
                lake.write_output(o, &mut w)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                w.flush().map_err(|e| format!("{}: {e}", path.display()))?;
                progress.output_done();
            }
            Ok(t.elapsed().as_secs_f64())
        };
        let t_parquet = phase(parquet)?;
        let t_ndjson = phase(ndjson)?;
        let t_reports = phase(reports)?;
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
        let _ = writeln!(timings, "  zones    {t_zones:>7.3} s");
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

    /// The name a file is routed and reported by: its path from the landing folder's parent
    /// (`landing/customer/x.json`), or its file name when given as a file.
    fn display_name(roots: &[PathBuf], path: &Path) -> String {
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

    fn peak_rss_kb() -> Option<u64> {
        let s = fs::read_to_string("/proc/self/status").ok()?;
        s.lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// `500K`, `20M`, `1G` (powers of 1000) or `8Mi`, `1Gi` (powers of 1024).
    fn parse_size(s: &str) -> Result<u64, String> {
        let s = s.trim();
        let (num, mult): (&str, u64) = if let Some(n) = s.strip_suffix("Ki") {
            (n, 1 << 10)
        } else if let Some(n) = s.strip_suffix("Mi") {
            (n, 1 << 20)
        } else if let Some(n) = s.strip_suffix("Gi") {
            (n, 1 << 30)
        } else {
            match s.chars().last() {
                Some('K' | 'k') => (&s[..s.len() - 1], 1_000),
                Some('M' | 'm') => (&s[..s.len() - 1], 1_000_000),
                Some('G' | 'g') => (&s[..s.len() - 1], 1_000_000_000),
                _ => (s, 1),
            }
        };
        num.parse::<f64>()
            .map(|n| (n * mult as f64) as u64)
            .map_err(|_| format!("size '{s}': expected a number with an optional K, M, G, Ki, Mi or Gi"))
    }

    fn presign_cmd(opts: &PresignOptions, out: Option<&Path>, quiet: bool) -> Result<(), String> {
        let m = presign(opts)?;
        let text = serde_json::to_string_pretty(&m).map_err(|e| e.to_string())? + "\n";
        match out {
            Some(p) => fs::write(p, text).map_err(|e| format!("{}: {e}", p.display()))?,
            None => to_stdout(text.as_bytes())?,
        }
        if quiet {
            return Ok(());
        }
        let multipart = m.outputs.iter().filter(|o| o.multipart.is_some()).count();
        note!(
            "stedi-lake: {} landing object(s), {} skipped, {} output(s) ({multipart} with a multipart upload); URLs expire {}",
            m.landing.len(),
            m.skipped.len(),
            m.outputs.len(),
            m.expires
        );
        Ok(())
    }

    fn gen(out: &Path, seed: u64, size: &str, quiet: bool) -> Result<(), String> {
        let target_bytes = parse_size(size)?;
        let stats = generate(&GenOptions { seed, target_bytes }, &mut |rel| {
            let p = out.join(rel);
            fs::create_dir_all(p.parent().expect("generated files are in folders"))?;
            Ok(Box::new(BufWriter::with_capacity(1 << 20, File::create(p)?)) as Box<dyn Write>)
        })
        .map_err(|e| format!("{}: {e}", out.display()))?;
        if quiet {
            return Ok(());
        }
        to_stdout(format!(
            "generated {} customers: {} customer, {} accelerometer, {} step_trainer lines ({} malformed), {:.1} MB in {} files under {}\n",
            stats.customers,
            stats.customer_lines,
            stats.accelerometer_lines,
            stats.step_trainer_lines,
            stats.malformed_lines,
            stats.bytes as f64 / 1e6,
            stats.files.len(),
            out.display()
        ).as_bytes())
    }
}

//! The native CLI: `stedi-lake run` (landing folder → Hive-layout outputs), `stedi-lake presign`
//! (the S3 manifest, `docs/manifest.md`) and `stedi-lake generate` (deterministic STEDI-shaped
//! landing data). A thin shell over [`stedi_lake::Lake`] and [`crate::presign`].
//!
//! It behaves like the Unix tools beside it: human tables on stdout by default, `run --json` the
//! run's `summary.json` as one JSON document, `--quiet` nothing but errors; notices and a progress
//! bar (only when stderr is a terminal) on stderr; a closed stdout pipe ends it as it ends `cat`
//! (killed by SIGPIPE, quietly, after the outputs are in place).
//!
//! One module per job: `args` (the command line), `run` (the pipeline and its report, over the
//! library's `local` module: which files to read, decoding them on every core, save modes for
//! `--out`, writing the outputs), `progress` (stderr), and the native-only S3 and test-data commands: `presign` + `aws_env` (the presigned manifest with the
//! caller's credentials) and `generate`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::cli_main()
}

/// One line on stderr. A stderr that is closed or a broken pipe is ignored: there is nowhere
/// left to report it, and a status line is never worth a crash.
#[cfg(not(target_arch = "wasm32"))]
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// The binary's modules, all native-only (the wasm32 build of this target is an empty `main`).
macro_rules! native_modules {
    ($($m:ident),*) => { $( #[cfg(not(target_arch = "wasm32"))] mod $m; )* };
}
native_modules!(args, aws_env, generate, presign, progress, run);

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::fs::{self, File};
    use std::io::{BufWriter, IsTerminal, Write};
    use std::path::Path;
    use std::process::ExitCode;

    use clap::Parser;

    use crate::args::{Cli, Command, Format};
    use crate::generate::{generate, GenOptions};
    use crate::progress::Ui;
    use crate::run::run;
    use stedi_lake::ddl::DdlOptions;
    use stedi_lake::local::TableFormat;

    use crate::presign::{presign, PresignOptions};
    use stedi_lake::{Mode, RunOptions};

    /// Write `text` to stdout and flush it. A closed pipe (`stedi-lake … | head -1`) ends the
    /// process the way it ends `cat` and `ls`: killed by SIGPIPE, without a message (a shell
    /// reports status 141; `set -o pipefail` sees it as it sees `cat`'s). Other write errors are
    /// returned. Every stdout write of the CLI goes through here (never `println!`, which panics).
    /// Write the Glue bundle's files under `out`, which must be new or empty (exit 2 otherwise).
    fn write_bundle(out: &Path, files: &[stedi_lake::glue::BundleFile], quiet: bool) -> Result<(), Failure> {
        if fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
            return Err(Failure::Usage(format!(
                "--out {}: the folder is not empty; choose a new folder for the bundle",
                out.display()
            )));
        }
        for f in files {
            let path = out.join(&f.path);
            let err = |e: std::io::Error| Failure::Run(format!("{}: {e}", path.display()));
            fs::create_dir_all(path.parent().expect("bundle files are in the bundle folder")).map_err(err)?;
            fs::write(&path, &f.text).map_err(err)?;
        }
        if !quiet {
            to_stdout(
                format!(
                    "wrote {} files to {}; try it: python3 {}/jobs/run_local.py --landing <landing folder> --out <out>\n",
                    files.len(),
                    out.display(),
                    out.display()
                )
                .as_bytes(),
            )?;
        }
        Ok(())
    }

    pub(crate) fn to_stdout(text: &[u8]) -> Result<(), String> {
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
    pub(crate) fn closed_pipe() -> ! {
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
    pub(crate) fn closed_pipe() -> ! {
        std::process::exit(0)
    }

    /// Exit codes (also in `--help` and the README).
    pub(crate) const EXIT_ERROR: u8 = 1;
    pub(crate) const EXIT_USAGE: u8 = 2;
    pub(crate) const EXIT_QUARANTINE: u8 = 3;

    /// A failed command: a usage error (exit 2: the command as given can not be run) or an error
    /// while running (exit 1).
    pub(crate) enum Failure {
        Usage(String),
        Run(String),
    }

    impl From<String> for Failure {
        fn from(e: String) -> Failure {
            Failure::Run(e)
        }
    }

    /// The exit codes, as `--help` shows them.
    pub(crate) const EXIT_CODES_HELP: &str = "\
    Exit codes:
      0    done (quarantined records are reported, not fatal)
      1    error: unreadable input, unwritable output, no STEDI landing data, a table over --max-rows
      2    usage error: bad arguments, a non-empty --out, an invalid --location or --database
      3    run --fail-on-quarantine: some record was quarantined
      141  (a shell's status for SIGPIPE) stdout closed early, e.g. `| head`: ends quietly as cat
       does; a run's outputs are already in place";

    pub(crate) fn cli_main() -> ExitCode {
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
                threads,
            } => {
                let mode = Mode::from(mode);
                (|| {
                    let ddl = DdlOptions::new(&location, &database).map_err(|e| Failure::Usage(format!("--{e}")))?;
                    let opts = RunOptions { mode, ddl, max_rows };
                    let ui = Ui {
                        quiet,
                        progress: !quiet && !no_progress && std::io::stderr().is_terminal(),
                    };
                    let threads = threads.map_or_else(
                        || std::thread::available_parallelism().map_or(1, |n| n.get()),
                        usize::from,
                    );
                    let formats: Vec<TableFormat> = formats.iter().map(|f| f.table_format()).collect();
                    let done = run(&landing, &out, overwrite, opts, &formats, ui, threads)?;
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
                    quiet,
                };
                presign_cmd(&opts, out.as_deref(), quiet)
            })()
            .map(|_| ExitCode::SUCCESS)
            .map_err(Failure::Run),
            Command::Glue {
                out,
                mode,
                location,
                database,
            } => (|| {
                let ddl = DdlOptions::new(&location, &database).map_err(|e| Failure::Usage(format!("--{e}")))?;
                let mode = Mode::from(mode);
                write_bundle(&out, &stedi_lake::glue::bundle(mode, &ddl), quiet)?;
                Ok(ExitCode::SUCCESS)
            })(),
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

    /// `500K`, `20M`, `1G` (powers of 1000) or `8Mi`, `1Gi` (powers of 1024).
    pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
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

    pub(crate) fn presign_cmd(opts: &PresignOptions, out: Option<&Path>, quiet: bool) -> Result<(), String> {
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

    pub(crate) fn gen(out: &Path, seed: u64, size: &str, quiet: bool) -> Result<(), String> {
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

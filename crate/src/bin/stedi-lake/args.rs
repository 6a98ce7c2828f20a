//! Command-line arguments (clap): the subcommands, their options, and `--help`'s examples and
//! exit codes.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::cli::EXIT_CODES_HELP;

#[derive(Parser)]
#[command(
    name = "stedi-lake",
    version,
    about = "STEDI landing -> trusted -> curated, as Parquet, NDJSON and Glue/Athena DDL",
    after_help = top_help()
)]
pub(crate) struct Cli {
    /// Print nothing on stdout and only errors on stderr (no notices, no progress).
    #[arg(long, short, global = true)]
    pub(crate) quiet: bool,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// `--help`'s closing text: examples, then the exit codes.
pub(crate) fn top_help() -> String {
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
pub(crate) fn run_help() -> String {
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
pub(crate) enum ModeArg {
    /// Privacy-first rules: latest customer per email, consent dates, de-duplication, device ownership.
    Strict,
    /// The reference Glue/Athena jobs, row for row.
    Rubric,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
pub(crate) enum Format {
    Parquet,
    Ndjson,
}

impl From<ModeArg> for stedi_lake::Mode {
    fn from(m: ModeArg) -> Self {
        match m {
            ModeArg::Strict => stedi_lake::Mode::Strict,
            ModeArg::Rubric => stedi_lake::Mode::Rubric,
        }
    }
}

impl Format {
    /// The library's name for this format.
    pub(crate) fn table_format(self) -> stedi_lake::local::TableFormat {
        match self {
            Format::Parquet => stedi_lake::local::TableFormat::Parquet,
            Format::Ndjson => stedi_lake::local::TableFormat::Ndjson,
        }
    }
}

#[derive(Subcommand)]
pub(crate) enum Command {
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
        /// 1 million and 200 million). Joins can fan out (rubric's, and strict's machine-learning
        /// join on conflicting readings); over the limit nothing is written.
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
        /// Threads that decode files and write tables (default: one per core). The outputs are
        /// the same bytes for any number.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
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
        /// Profile in ~/.aws/config or ~/.aws/credentials: static keys, SSO, role_arn, credential_process…
        /// (beats the environment's keys). Without it: the AWS CLI v2 chain (docs/manifest.md).
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
    /// Write the AWS Glue job bundle: the pipeline as one Spark job (Glue 5.0 / PySpark 3.5), its
    /// local runner, the tables' DDL and the deploy files (docs/glue.md).
    #[command(after_help = "Example:\n  stedi-lake glue --mode strict --location s3://my-bucket/stedi --out glue-bundle\n  python3 glue-bundle/jobs/run_local.py --landing landing/ --out out/")]
    Glue {
        /// Folder to write the bundle into (must be new or empty).
        #[arg(long)]
        out: PathBuf,
        #[arg(long, value_enum, default_value = "strict")]
        mode: ModeArg,
        /// S3 prefix of the lake (landing/ below it; the job writes the tables there).
        #[arg(long, default_value = "s3://your-bucket/stedi")]
        location: String,
        /// Glue database name used in the DDL.
        #[arg(long, default_value = "stedi")]
        database: String,
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

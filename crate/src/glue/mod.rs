//! The AWS Glue job bundle: the pipeline as one Spark job, for landing data that outgrows one
//! machine (docs/glue.md). `stedi-lake glue` and the page's "Run this at scale on AWS Glue"
//! download both write [`bundle`]'s files, so they are byte-identical.
//!
//! The job script (`stedi_lake_job.py`) and its local runner (`run_local.py`) live beside this
//! file as Python; [`bundle`] fills in the rules (`docs/sql/spark/*.sql`, tested against the engine
//! by `tests/test_glue_job.py`) and the mode, and adds the tables' DDL and the deploy files.

use crate::catalog::TableId;
use crate::ddl::{self, DdlOptions};
use crate::rules::Mode;

const JOB: &str = include_str!("stedi_lake_job.py");
const RUN_LOCAL: &str = include_str!("run_local.py");
const STRICT_SQL: &str = include_str!("../../../docs/sql/spark/strict.sql");
const RUBRIC_SQL: &str = include_str!("../../../docs/sql/spark/rubric.sql");

/// The placeholder lines of `stedi_lake_job.py` the bundle fills in.
const RULES_LINE: &str = "RULES_SQL = {}\n";
const MODE_LINE: &str = "DEFAULT_MODE = \"strict\"\n";

/// The Glue version the job is written for (Spark 3.5, Python 3.11).
pub const GLUE_VERSION: &str = "5.0";

/// The wheel the job imports its decoder from, as `scripts/build-python.sh` names it on Linux
/// x86_64 (Glue 5.0 runs Amazon Linux 2023: glibc 2.34, x86_64).
pub fn wheel_name() -> String {
    format!(
        "stedi_lake-{}-cp39-abi3-manylinux_2_34_x86_64.whl",
        env!("CARGO_PKG_VERSION")
    )
}

/// One file of the bundle: its path inside the bundle folder and its bytes.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct BundleFile {
    /// Relative path with `/` separators, e.g. `jobs/stedi_lake_job.py`.
    pub path: String,
    /// The file's contents (UTF-8 text).
    pub text: String,
}

/// The job bundle for `mode` with the tables at `ddl`'s location and database: the job script
/// (rules of both modes embedded, `mode` the default), `run_local.py`, the eight tables' DDL
/// (the same as the engine writes), `deploy/create-job.json` (the `aws glue create-job` input),
/// `deploy/iam-policy.json` (what the job's role may do) and `README.md` (the commands). Files in
/// a fixed order; the same bytes for the same arguments, natively and in wasm.
pub fn bundle(mode: Mode, ddl: &DdlOptions) -> Vec<BundleFile> {
    let file = |path: &str, text: String| BundleFile {
        path: path.to_owned(),
        text,
    };
    let location = ddl.location().trim_end_matches('/');
    let mut files = vec![
        file("README.md", readme(mode, ddl)),
        file("jobs/stedi_lake_job.py", job_script(mode)),
        file("jobs/run_local.py", RUN_LOCAL.to_owned()),
        file("deploy/create-job.json", create_job(mode, location)),
        file("deploy/iam-policy.json", iam_policy(location)),
        file("ddl/all_tables.sql", ddl::all(mode, ddl)),
    ];
    for t in TableId::ALL {
        files.push(file(&format!("ddl/{}.sql", t.name()), ddl::create_table(t, mode, ddl)));
    }
    files
}

/// `stedi_lake_job.py` with the rules of both modes and `mode` as its default.
fn job_script(mode: Mode) -> String {
    let literal = |sql: &str| {
        // Embedded in a raw triple-quoted string: neither may occur in the SQL (tested).
        debug_assert!(!sql.contains("\"\"\"") && !sql.ends_with('"'));
        format!("r\"\"\"{sql}\"\"\"")
    };
    let rules = format!(
        "RULES_SQL = {{\n    \"strict\": {},\n    \"rubric\": {},\n}}\n",
        literal(STRICT_SQL),
        literal(RUBRIC_SQL)
    );
    JOB.replacen(RULES_LINE, &rules, 1)
        .replacen(MODE_LINE, &format!("DEFAULT_MODE = \"{}\"\n", mode.name()), 1)
}

/// A JSON string literal (serde_json's escaping).
fn json(s: &str) -> String {
    serde_json::to_string(s).expect("a string serializes")
}

fn create_job(mode: Mode, location: &str) -> String {
    format!(
        r#"{{
  "Name": "stedi-lake-{mode}",
  "Description": "stedi-lake: STEDI landing JSON -> trusted and curated tables ({mode} rules)",
  "Role": "arn:aws:iam::ACCOUNT_ID:role/stedi-lake-glue",
  "GlueVersion": "{GLUE_VERSION}",
  "WorkerType": "G.1X",
  "NumberOfWorkers": 2,
  "Timeout": 120,
  "Command": {{
    "Name": "glueetl",
    "ScriptLocation": {script},
    "PythonVersion": "3"
  }},
  "DefaultArguments": {{
    "--job-language": "python",
    "--landing": {landing},
    "--out": {out},
    "--mode": "{mode}",
    "--additional-python-modules": {wheel}
  }}
}}
"#,
        mode = mode.name(),
        script = json(&format!("{location}/jobs/stedi_lake_job.py")),
        landing = json(&format!("{location}/landing/")),
        out = json(&format!("{location}/")),
        wheel = json(&format!("{location}/jobs/{}", wheel_name())),
    )
}

fn iam_policy(location: &str) -> String {
    let (bucket, prefix) = location
        .trim_start_matches("s3://")
        .split_once('/')
        .map_or((location.trim_start_matches("s3://"), ""), |(b, p)| (b, p));
    let objects = if prefix.is_empty() {
        format!("arn:aws:s3:::{bucket}/*")
    } else {
        format!("arn:aws:s3:::{bucket}/{prefix}/*")
    };
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Statement": [
    {{
      "Sid": "ListTheLake",
      "Effect": "Allow",
      "Action": ["s3:ListBucket"],
      "Resource": {bucket_arn}
    }},
    {{
      "Sid": "ReadLandingAndJobWriteTables",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
      "Resource": {objects}
    }},
    {{
      "Sid": "GlueJobLogs",
      "Effect": "Allow",
      "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "arn:aws:logs:*:*:log-group:/aws-glue/*"
    }}
  ]
}}
"#,
        bucket_arn = json(&format!("arn:aws:s3:::{bucket}")),
        objects = json(&objects),
    )
}

fn readme(mode: Mode, ddl: &DdlOptions) -> String {
    let location = ddl.location().trim_end_matches('/');
    let wheel = wheel_name();
    let mode = mode.name();
    let database = ddl.database();
    format!(
        r#"# stedi-lake on AWS Glue ({mode} rules)

Generated by `stedi-lake glue --mode {mode} --location {location} --database {database}`. One
Spark job computes all eight tables of the STEDI lakehouse from the landing JSON, with the same
rows as `stedi-lake run --mode {mode}` (tested: tests/test_glue_job.py of stedi-lake). The job
decodes landing files with the engine's own decoder (the stedi-lake wheel) and applies the rules
in Spark SQL; see docs/glue.md of stedi-lake for the design and the documented differences.

| file | what |
| --- | --- |
| `jobs/stedi_lake_job.py` | the Glue job (Glue {GLUE_VERSION}: Spark 3.5, Python 3.11); arguments `--landing`, `--out`, `--mode` |
| `jobs/run_local.py` | the same job on your machine with PySpark: `python3 jobs/run_local.py --landing DIR --out DIR` |
| `deploy/create-job.json` | input of `aws glue create-job` (replace ACCOUNT_ID) |
| `deploy/iam-policy.json` | what the job's role may do on `{location}` (attach beside the managed AWSGlueServiceRole) |
| `ddl/*.sql` | the Glue/Athena tables over the job's output (database `{database}`) |

## Try it locally

    python3 -m pip install pyspark==3.5.* pandas {wheel}   # Java 17 on the PATH
    python3 jobs/run_local.py --landing landing/ --out out/

It writes `out/<zone>/<table>/` (Snappy Parquet), `out/quarantine/` and `out/summary.json`.

## Deploy

The wheel comes from `scripts/build-python.sh` of stedi-lake (built on Linux x86_64).

    aws s3 cp jobs/stedi_lake_job.py {location}/jobs/stedi_lake_job.py
    aws s3 cp {wheel} {location}/jobs/{wheel}
    aws iam create-role --role-name stedi-lake-glue --assume-role-policy-document '{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"glue.amazonaws.com"}},"Action":"sts:AssumeRole"}}]}}'
    aws iam attach-role-policy --role-name stedi-lake-glue --policy-arn arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole
    aws iam put-role-policy --role-name stedi-lake-glue --policy-name stedi-lake-data --policy-document file://deploy/iam-policy.json
    aws glue create-job --cli-input-json file://deploy/create-job.json
    aws glue start-job-run --job-name stedi-lake-{mode}

Then create the tables: run each `ddl/<table>.sql` in the Athena console (one statement per query).
Landing data goes under `{location}/landing/` (`customer/`, `accelerometer/`, `step_trainer/`);
the tables appear under `{location}/<zone>/<table>/`, with `quarantine/` and `summary.json`
beside them. A run replaces the tables' folders.
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The placeholders are in the job script, and the SQL can be embedded as a raw string.
    #[test]
    fn job_script_gets_both_rule_sets_and_the_mode() {
        assert!(JOB.contains(RULES_LINE) && JOB.contains(MODE_LINE));
        for sql in [STRICT_SQL, RUBRIC_SQL] {
            assert!(!sql.contains("\"\"\"") && !sql.ends_with('"'));
        }
        let s = job_script(Mode::Rubric);
        assert!(!s.contains(RULES_LINE) && !s.contains(MODE_LINE));
        assert!(s.contains("DEFAULT_MODE = \"rubric\"\n"));
        assert!(s.contains("CREATE OR REPLACE TEMPORARY VIEW _customer_latest"));
        assert!(s.contains("WHERE shareWithResearchAsOfDate IS NOT NULL"));
    }

    /// Every table's DDL is in the bundle, the same text the engine writes; paths are unique.
    #[test]
    fn bundle_holds_every_table_ddl_and_unique_paths() {
        let opts = DdlOptions::new("s3://lake-bucket/stedi", "stedi_db").unwrap();
        let files = bundle(Mode::Strict, &opts);
        for t in TableId::ALL {
            let f = files
                .iter()
                .find(|f| f.path == format!("ddl/{}.sql", t.name()))
                .unwrap();
            assert_eq!(f.text, ddl::create_table(t, Mode::Strict, &opts));
        }
        let mut paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), files.len());
        let job: serde_json::Value =
            serde_json::from_str(&files.iter().find(|f| f.path == "deploy/create-job.json").unwrap().text).unwrap();
        assert_eq!(job["DefaultArguments"]["--landing"], "s3://lake-bucket/stedi/landing/");
        assert_eq!(job["GlueVersion"], GLUE_VERSION);
        let policy: serde_json::Value =
            serde_json::from_str(&files.iter().find(|f| f.path == "deploy/iam-policy.json").unwrap().text).unwrap();
        assert_eq!(policy["Statement"][1]["Resource"], "arn:aws:s3:::lake-bucket/stedi/*");
    }
}

//! Glue/Athena `CREATE EXTERNAL TABLE` statements for the eight tables, from the same column
//! lists the sinks write. Landing tables read the raw landing JSON (`<prefix>/landing/<source>/`)
//! with the OpenX JSON SerDe; trusted and curated tables read our Parquet (`<prefix>/<zone>/<table>/`).
//!
//! The two values a user chooses (the S3 location and the Glue database) are validated when a
//! [`DdlOptions`] is built ([`DdlOptions::new`], [`check_location`], [`check_database`]), so a
//! crafted value is refused with a message instead of reaching the SQL. Every value is also quoted
//! where it is written ([`quote_string`], [`quote_ident`]), so the SQL stays well-formed even for
//! a value that never went through validation.

use std::fmt;

use crate::rules::Mode;
use crate::tables::{ColType, TableId};

/// Where the tables live and which Glue database they belong to.
///
/// Build it with [`DdlOptions::new`] (validated) or [`DdlOptions::default`]; the fields are
/// private so that no unvalidated value can reach the DDL.
#[derive(Clone, Debug)]
pub struct DdlOptions {
    /// S3 prefix, e.g. `s3://my-bucket/stedi` (a trailing slash is allowed); see [`check_location`].
    location: String,
    /// Glue database name; see [`check_database`].
    database: String,
}

/// The location the DDL names when none is given (a placeholder to replace).
pub const DEFAULT_LOCATION: &str = "s3://your-bucket/stedi";
/// The Glue database the DDL names when none is given.
pub const DEFAULT_DATABASE: &str = "stedi";

impl Default for DdlOptions {
    /// [`DEFAULT_LOCATION`] and [`DEFAULT_DATABASE`] (valid by [`DdlOptions::new`]; tested).
    fn default() -> Self {
        DdlOptions {
            location: DEFAULT_LOCATION.into(),
            database: DEFAULT_DATABASE.into(),
        }
    }
}

impl DdlOptions {
    /// The S3 location, as given (validated by [`check_location`]).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The Glue database, as given (validated by [`check_database`]).
    pub fn database(&self) -> &str {
        &self.database
    }

    /// Validated options: `location` by [`check_location`], then `database` by [`check_database`].
    /// The values are kept exactly as given (no case folding, no slash trimming).
    pub fn new(location: &str, database: &str) -> Result<DdlOptions, DdlError> {
        check_location(location)?;
        check_database(database)?;
        Ok(DdlOptions {
            location: location.to_string(),
            database: database.to_string(),
        })
    }
}

/// A location or database name that cannot go into the DDL.
///
/// `Display` reads `location "<value>": <rule broken>` (or `database …`): the option in neutral
/// words (the CLI may prefix `--`), the value escaped (`\n`, `\u{1b}`, `\"`: never a raw control
/// character; cut after 80 characters) and the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DdlError {
    /// The location is not an `s3://bucket[/prefix]` URI by [`check_location`]'s rules.
    Location {
        /// The location exactly as given (escaped only when displayed).
        value: String,
        /// The rule it breaks, as a phrase (`bucket "Bad_Bucket": …`).
        rule: String,
    },
    /// The database name breaks [`check_database`]'s rule.
    Database {
        /// The database name exactly as given (escaped only when displayed).
        value: String,
        /// The rule it breaks, as a phrase.
        rule: String,
    },
}

impl DdlError {
    /// The option's neutral name: `"location"` or `"database"` (the CLI's flags are `--` + this).
    pub fn option(&self) -> &'static str {
        match self {
            DdlError::Location { .. } => "location",
            DdlError::Database { .. } => "database",
        }
    }

    /// The rule the value breaks, without the value.
    pub fn rule(&self) -> &str {
        match self {
            DdlError::Location { rule, .. } | DdlError::Database { rule, .. } => rule,
        }
    }

    /// The value as given.
    pub fn value(&self) -> &str {
        match self {
            DdlError::Location { value, .. } | DdlError::Database { value, .. } => value,
        }
    }
}

/// How many characters of a refused value a message echoes.
const ECHO_CHARS: usize = 80;

/// `value` for a message: Rust's `Debug` escaping (`\n`, `\u{1b}`, `\"`, `\\`; bidi and other invisible
/// characters as `\u{…}`) inside double quotes, cut after [`ECHO_CHARS`] characters.
fn echo(value: &str) -> String {
    let n = value.chars().count();
    let shown: String = value.chars().take(ECHO_CHARS).collect();
    let mut s = format!("{shown:?}");
    if n > ECHO_CHARS {
        s = format!("{}…\" ({n} characters)", &s[..s.len() - 1]);
    }
    s
}

/// One character for a message, escaped like [`echo`].
fn echo_char(c: char) -> String {
    format!("{c:?}")
}

impl fmt::Display for DdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.option(), echo(self.value()), self.rule())
    }
}

impl std::error::Error for DdlError {}

/// The longest Glue/Athena name, in bytes (names here are ASCII, so also characters).
pub const MAX_NAME_LEN: usize = 255;

/// The rule a database or table name breaks, if any.
///
/// Source: Athena's "Name databases, tables, and columns"
/// (<https://docs.aws.amazon.com/athena/latest/ug/tables-databases-columns-names.html>): names in
/// the Glue catalog are lower case (Athena folds upper case to lower when it creates them), 1 to
/// 255 bytes; the acceptable characters for Athena are lower-case letters, digits and the
/// underscore. The Glue API itself accepts more, but a name Athena cannot use is no use here.
///
/// We also require a **letter first**: Athena needs a name that begins with a digit quoted in
/// queries, and one that begins with an underscore back-quoted in DDL, so a name starting with a
/// letter is the one that works unquoted in every Athena, Hive and Spark SQL statement a user
/// types by hand (`SELECT * FROM stedi.customer_trusted`). SQL keywords (`select`, `table`) pass:
/// our DDL back-quotes every name, and a user's own queries must then quote them too.
pub fn name_rule(name: &str) -> Result<(), String> {
    let Some(first) = name.chars().next() else {
        return Err(format!(
            "is empty; a name needs 1 to {MAX_NAME_LEN} characters (Glue/Athena)"
        ));
    };
    let n = name.chars().count();
    if n > MAX_NAME_LEN {
        return Err(format!(
            "is {n} characters long; Glue/Athena names hold at most {MAX_NAME_LEN}"
        ));
    }
    if let Some((i, c)) = name
        .chars()
        .enumerate()
        .find(|&(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
    {
        let hint = if c.is_ascii_uppercase() {
            " (use lower case)"
        } else {
            ""
        };
        return Err(format!(
            "{} at character {} is not allowed: Glue/Athena names hold only lower-case letters a-z, \
             digits and _{hint}",
            echo_char(c),
            i + 1
        ));
    }
    if !first.is_ascii_lowercase() {
        return Err(format!(
            "must begin with a letter a-z ({} would need quoting in every query)",
            echo_char(first)
        ));
    }
    Ok(())
}

/// Check a Glue database name by [`name_rule`].
pub fn check_database(database: &str) -> Result<(), DdlError> {
    name_rule(database).map_err(|rule| DdlError::Database {
        value: database.to_string(),
        rule,
    })
}

/// The longest prefix (bytes after `s3://bucket/`) a location may have: S3 keys hold at most
/// 1024 bytes, and the longest key the engine writes below the prefix stays under 128
/// (checked by a test over every output path).
pub const MAX_PREFIX_BYTES: usize = 1024 - 128;

/// Punctuation a prefix may hold besides letters, digits and `/` between folders.
const PREFIX_PUNCTUATION: &str = "-_.!()=@";

/// Check an `s3://bucket[/prefix]` location (trailing slash allowed).
///
/// **Bucket:** S3's general-purpose bucket naming rules
/// (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html>): 3 to 63
/// characters of lower-case letters, digits, dots and hyphens; begins and ends with a letter or
/// digit; no `..`; not shaped like an IP address; not starting with `xn--`, `sthree-` or
/// `amzn-s3-demo-`; not ending with `-s3alias`, `--ol-s3`, `.mrap`, `--x-s3` or `--table-s3`.
/// (Legacy us-east-1 buckets with upper case or `_` are refused: Athena's docs require the rules.)
///
/// **Prefix:** folders separated by single `/` (no empty folder, so no `//`), none of them `.` or
/// `..` (Hadoop's `Path` normalises those away, so Hive/Spark would read another folder than the
/// engine writes), at most [`MAX_PREFIX_BYTES`]. Characters: letters and digits (any script) and
/// `- _ . ! ( ) = @` only. This allow-list is S3's "safe characters" minus `*` and `'`, plus
/// `=` (Hive partition folders) and `@`; it leaves out, among others: quotes, backslash and
/// backtick (SQL quoting), `;` (statement splitters), control characters and all whitespace,
/// `?` and `#` (URI query/fragment), `* ? [ ] { }` (Hadoop's FileInputFormat expands them as a
/// glob), `,` (Hadoop splits input paths on commas), `$` (Hive variable substitution), `:`
/// (Hadoop's `Path` takes it for a scheme separator), `%` and `+` (URL decoding turns them into
/// other characters).
pub fn check_location(location: &str) -> Result<(), DdlError> {
    location_rule(location).map_err(|rule| DdlError::Location {
        value: location.to_string(),
        rule,
    })
}

fn location_rule(location: &str) -> Result<(), String> {
    const SHAPE: &str = "expected s3://bucket or s3://bucket/prefix";
    if location.is_empty() {
        return Err(format!("is empty; {SHAPE}"));
    }
    if location.trim() != location {
        return Err(format!("begins or ends with whitespace; {SHAPE}"));
    }
    let Some(rest) = location.strip_prefix("s3://") else {
        let lower = location.to_ascii_lowercase();
        return Err(if lower.starts_with("s3://") {
            format!("the scheme must be lower-case s3:// ({SHAPE})")
        } else if let Some((scheme, _)) = location.split_once("://") {
            format!(
                "the scheme {} is not s3 (Athena reads s3:// locations; {SHAPE})",
                echo(scheme)
            )
        } else {
            format!("is not an S3 URI; {SHAPE}")
        });
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    bucket_rule(bucket).map_err(|r| format!("bucket {}: {r}", echo(bucket)))?;
    prefix_rule(prefix)
}

/// S3's general-purpose bucket naming rules (see [`check_location`]).
fn bucket_rule(b: &str) -> Result<(), String> {
    if b.is_empty() {
        return Err("no bucket name (expected s3://bucket or s3://bucket/prefix)".into());
    }
    let n = b.chars().count();
    if !(3..=63).contains(&n) {
        return Err(format!("is {n} characters long; S3 bucket names have 3 to 63"));
    }
    if let Some((i, c)) = b
        .chars()
        .enumerate()
        .find(|&(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-'))
    {
        return Err(format!(
            "{} at character {} is not allowed: S3 bucket names hold only lower-case letters, \
             digits, '.' and '-'",
            echo_char(c),
            i + 1
        ));
    }
    let edge = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.starts_with(edge) || !b.ends_with(edge) {
        return Err("must begin and end with a letter or digit (S3 bucket naming rules)".into());
    }
    if b.contains("..") {
        return Err("must not contain two adjacent dots (S3 bucket naming rules)".into());
    }
    let parts: Vec<&str> = b.split('.').collect();
    if parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err("must not be formatted as an IP address (S3 bucket naming rules)".into());
    }
    for p in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if b.starts_with(p) {
            return Err(format!("must not begin with {p} (a prefix S3 reserves)"));
        }
    }
    for s in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if b.ends_with(s) {
            return Err(format!(
                "must not end with {s} (a suffix S3 reserves for aliases and other bucket types)"
            ));
        }
    }
    Ok(())
}

/// The prefix rules of [`check_location`] (`prefix` is what follows `s3://bucket/`).
fn prefix_rule(prefix: &str) -> Result<(), String> {
    if prefix.len() > MAX_PREFIX_BYTES {
        return Err(format!(
            "the prefix is {} bytes long; at most {MAX_PREFIX_BYTES} leave room for the keys written \
             below it (S3 keys hold 1024 bytes)",
            prefix.len()
        ));
    }
    if let Some((i, c)) = prefix
        .chars()
        .enumerate()
        .find(|&(_, c)| !(c == '/' || c.is_alphanumeric() || PREFIX_PUNCTUATION.contains(c)))
    {
        return Err(format!(
            "{} at character {} of the prefix is not allowed: a prefix holds letters, digits, \
             '/' between folders and {} only",
            echo_char(c),
            i + 1,
            PREFIX_PUNCTUATION
                .chars()
                .map(String::from)
                .collect::<Vec<_>>()
                .join(" ")
        ));
    }
    if prefix.is_empty() {
        return Ok(());
    }
    let folders = prefix.strip_suffix('/').unwrap_or(prefix);
    for f in folders.split('/') {
        if f.is_empty() {
            return Err("the prefix has an empty folder name ('//' or a leading '/')".into());
        }
        if f == "." || f == ".." {
            return Err(format!(
                "the prefix has a folder named {f:?} (Hadoop normalises it away: readers would look elsewhere)"
            ));
        }
    }
    Ok(())
}

/// `s` as a Hive/Athena DDL string literal: in single quotes, with `\` and `'` escaped by a
/// backslash, as Hive's lexer reads string literals (and newline, carriage return, tab and NUL as
/// `\n`, `\r`, `\t`, `\0`). Validated values never contain any of these; this keeps the SQL
/// well-formed whatever the value.
pub fn quote_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `s` as a Hive/Athena identifier: in backticks, a backtick inside doubled (Hive's rule for
/// quoted identifiers). Used for database, table and column names alike.
pub fn quote_ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

/// The landing source folder a landing table reads (`customer`, `accelerometer`, `step_trainer`).
fn landing_folder(t: TableId) -> Option<&'static str> {
    match t {
        TableId::CustomerLanding => Some("customer"),
        TableId::AccelerometerLanding => Some("accelerometer"),
        TableId::StepTrainerLanding => Some("step_trainer"),
        _ => None,
    }
}

/// The DDL of one table. Names are back-quoted and the LOCATION is a quoted literal
/// ([`quote_ident`], [`quote_string`]) even though [`DdlOptions::new`] already refuses anything
/// that would need it.
pub fn create_table(t: TableId, mode: Mode, opts: &DdlOptions) -> String {
    debug_assert!(name_rule(t.name()).is_ok(), "table name {:?}", t.name());
    let prefix = opts.location.trim_end_matches('/');
    let cols: Vec<String> = t
        .columns(mode)
        .iter()
        .map(|c| {
            let ty = match c.ty {
                ColType::Str => "string",
                ColType::I64 => "bigint",
                ColType::F64 => "double",
            };
            format!("  {} {}", quote_ident(c.name), ty)
        })
        .collect();
    let head = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {}.{} (\n{}\n)\n",
        quote_ident(&opts.database),
        quote_ident(t.name()),
        cols.join(",\n")
    );
    match landing_folder(t) {
        Some(folder) => format!(
            "{head}ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n\
             WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')\n\
             STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n\
             OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n\
             LOCATION {}\n\
             TBLPROPERTIES ('classification' = 'json');\n",
            quote_string(&format!("{prefix}/landing/{folder}/"))
        ),
        None => format!(
            "{head}STORED AS PARQUET\n\
             LOCATION {}\n\
             TBLPROPERTIES ('classification' = 'parquet', 'parquet.compression' = 'SNAPPY');\n",
            quote_string(&format!("{prefix}/{}/", crate::output::Output::table_folder(t)))
        ),
    }
}

/// All eight statements, landing first, preceded by the database.
pub fn all(mode: Mode, opts: &DdlOptions) -> String {
    let mut s = format!("CREATE DATABASE IF NOT EXISTS {};\n\n", quote_ident(&opts.database));
    for t in TableId::ALL {
        s.push_str(&create_table(t, mode, opts));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(location: &str, database: &str) -> DdlOptions {
        DdlOptions::new(location, database).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The message for a refused location (panics if it is accepted).
    fn loc_err(location: &str) -> String {
        match DdlOptions::new(location, "stedi") {
            Ok(_) => panic!("location {location:?} was accepted"),
            Err(e) => {
                assert_eq!(e.option(), "location", "{e}");
                assert_eq!(e.value(), location);
                e.to_string()
            }
        }
    }

    fn db_err(database: &str) -> String {
        match DdlOptions::new("s3://my-bucket/stedi/", database) {
            Ok(_) => panic!("database {database:?} was accepted"),
            Err(e) => {
                assert_eq!(e.option(), "database", "{e}");
                e.to_string()
            }
        }
    }

    /// A message is one line of printable text: no raw control or bidi character.
    fn assert_printable(msg: &str) {
        assert!(
            !msg.chars()
                .any(|c| c.is_control() || ('\u{200b}'..='\u{206f}').contains(&c)),
            "raw control character in {msg:?}"
        );
    }

    #[test]
    fn landing_is_json_serde_and_derived_is_parquet_at_the_prefix() {
        let o = opts("s3://bkt/p/", "db");
        let c = create_table(TableId::CustomerLanding, Mode::Strict, &o);
        assert!(
            c.contains("`db`.`customer_landing`")
                && c.contains("JsonSerDe")
                && c.contains("LOCATION 's3://bkt/p/landing/customer/'"),
            "{c}"
        );
        assert!(c.contains("`shareWithResearchAsOfDate` bigint"));
        let m = create_table(TableId::MachineLearningCurated, Mode::Strict, &o);
        assert!(
            m.contains("STORED AS PARQUET") && m.contains("LOCATION 's3://bkt/p/curated/machine_learning_curated/'"),
            "{m}"
        );
        assert!(!m.contains("`user`"), "strict ML table has no email");
        assert!(create_table(TableId::MachineLearningCurated, Mode::Rubric, &o).contains("`user` string"));
        assert_eq!(all(Mode::Strict, &o).matches("CREATE EXTERNAL TABLE").count(), 8);
    }

    #[test]
    fn good_locations_and_databases_are_kept_exactly() {
        for (loc, base) in [
            ("s3://my-bucket/stedi/", "s3://my-bucket/stedi"),
            ("s3://a.b-c/x/y", "s3://a.b-c/x/y"),
            ("s3://my-bucket", "s3://my-bucket"),
            ("s3://my-bucket/", "s3://my-bucket"),
            (
                "s3://123/dt=2024-01-01/run(1)!@x_y.z",
                "s3://123/dt=2024-01-01/run(1)!@x_y.z",
            ),
            ("s3://my-bucket/données/ステディ", "s3://my-bucket/données/ステディ"),
        ] {
            let o = opts(loc, "stedi_lake_2");
            assert_eq!(o.location, loc);
            let sql = all(Mode::Strict, &o);
            assert!(sql.contains(&format!("LOCATION '{base}/landing/customer/'")), "{sql}");
            assert!(
                sql.contains(&format!("LOCATION '{base}/trusted/customer_trusted/'")),
                "{sql}"
            );
            assert!(sql.starts_with("CREATE DATABASE IF NOT EXISTS `stedi_lake_2`;\n"));
        }
        let d = DdlOptions::default();
        DdlOptions::new(&d.location, &d.database).expect("the default options are valid");
        // The longest name and a 63-character bucket.
        opts("s3://stedi", &"a".repeat(255));
        opts(&format!("s3://{}/p", "b".repeat(63)), "db");
        opts(&format!("s3://bkt/{}", "p".repeat(MAX_PREFIX_BYTES)), "db");
    }

    #[test]
    fn sql_injection_in_the_location_is_refused() {
        for (loc, words) in [
            ("s3://b/p'q", "bucket \"b\": is 1 characters"),
            ("s3://bkt/p'q", "'\\'' at character 2 of the prefix"),
            ("s3://bkt/x'; DROP TABLE t; --", "'\\'' at character 2 of the prefix"),
            ("x'; DROP TABLE t; --", "not an S3 URI"),
            ("s3://bkt/p\\", "'\\\\' at character 2"),
            ("s3://bkt/a`b", "'`' at character 2"),
            ("s3://bkt/a\"b", "'\"' at character 2"),
            ("s3://bkt/a;b", "';' at character 2"),
            ("s3://bkt/p\nLOCATION 's3://evil/'", "'\\n' at character 2"),
            ("s3://bkt/p\u{1b}[31m", "'\\u{1b}' at character 2"),
            ("s3://bkt/p\u{202e}x", "'\\u{202e}' at character 2"),
            ("s3://bkt/a b", "' ' at character 2"),
            ("s3://bkt/a\u{a0}b", "at character 2"),
            ("s3://bkt/a?x=1", "'?' at character 2"),
            ("s3://bkt/a#f", "'#' at character 2"),
            ("s3://bkt/a*", "'*' at character 2"),
            ("s3://bkt/{a,b}", "'{' at character 1"),
            ("s3://bkt/${hiveconf:x}", "'$' at character 1"),
            ("s3://bkt/a:b", "':' at character 2"),
            ("s3://bkt/a%27", "'%' at character 2"),
            ("s3://bkt/a+b", "'+' at character 2"),
        ] {
            let msg = loc_err(loc);
            assert!(msg.starts_with("location \""), "{msg}");
            assert!(msg.contains(words), "{loc:?}: {msg}");
            assert_printable(&msg);
        }
    }

    #[test]
    fn locations_that_are_not_s3_uris_or_break_bucket_rules_are_refused() {
        for (loc, words) in [
            ("", "is empty"),
            ("S3://Bad_Bucket", "lower-case s3://"),
            ("s3://Bad_Bucket", "'B' at character 1 is not allowed"),
            ("s3://bad_bucket/p", "'_' at character 4"),
            ("http://b/p", "the scheme \"http\" is not s3"),
            ("s3a://bkt/p", "the scheme \"s3a\" is not s3"),
            ("/tmp/out", "not an S3 URI"),
            ("s3://", "no bucket name"),
            ("s3:///p", "no bucket name"),
            ("s3://b", "is 1 characters long; S3 bucket names have 3 to 63"),
            ("s3://ab/p", "3 to 63"),
            ("s3://bucket..x/p", "two adjacent dots"),
            ("s3://192.168.1.1/p", "IP address"),
            ("s3://-bucket/p", "begin and end with a letter or digit"),
            ("s3://bucket./p", "begin and end with a letter or digit"),
            ("s3://xn--bucket/p", "xn--"),
            ("s3://sthree-bucket/p", "sthree-"),
            ("s3://amzn-s3-demo-bucket/p", "amzn-s3-demo-"),
            ("s3://bucket-s3alias/p", "-s3alias"),
            ("s3://bucket--ol-s3/p", "--ol-s3"),
            ("s3://bucket.mrap/p", ".mrap"),
            ("s3://bucket--x-s3/p", "--x-s3"),
            ("s3://bucket--table-s3/p", "--table-s3"),
            ("s3://user@bucket/p", "'@' at character 5"),
            ("s3://bucket:443/p", "':' at character 7"),
            ("s3://bkt//p", "empty folder"),
            ("s3://bkt/a//b/", "empty folder"),
            ("s3://bkt/p//", "empty folder"),
            ("s3://bkt/../other", "folder named \"..\""),
            ("s3://bkt/a/./b", "folder named \".\""),
            (" s3://bkt/p", "begins or ends with whitespace"),
            ("s3://bkt/p\n", "begins or ends with whitespace"),
        ] {
            let msg = loc_err(loc);
            assert!(msg.contains(words), "{loc:?}: {msg}");
            assert_printable(&msg);
        }
        let long = format!("s3://{}/p", "b".repeat(64));
        assert!(loc_err(&long).contains("is 64 characters long"));
        let long = format!("s3://bkt/{}", "p".repeat(MAX_PREFIX_BYTES + 1));
        let msg = loc_err(&long);
        assert!(
            msg.contains("prefix is 897 bytes long") && msg.contains("(906 characters)"),
            "{msg}"
        );
        assert!(msg.chars().count() < 400, "the echo is cut: {msg}");
    }

    #[test]
    fn hostile_database_names_are_refused() {
        for (db, words) in [
            ("", "is empty"),
            ("x`; DROP DATABASE y; --", "'`' at character 2"),
            ("stedi`.`t", "'`' at character 6"),
            ("x'; DROP TABLE t; --", "'\\'' at character 2"),
            ("db\nx", "'\\n' at character 3"),
            ("db\u{1b}[2J", "'\\u{1b}' at character 3"),
            ("Stedi", "'S' at character 1 is not allowed: Glue/Athena names hold only lower-case letters a-z, digits and _ (use lower case)"),
            ("my-db", "'-' at character 3"),
            ("my db", "' ' at character 3"),
            ("db.t", "'.' at character 3"),
            ("1db", "must begin with a letter"),
            ("_db", "must begin with a letter"),
            ("dé", "'é' at character 2"),
        ] {
            let msg = db_err(db);
            assert!(msg.starts_with("database \""), "{msg}");
            assert!(msg.contains(words), "{db:?}: {msg}");
            assert_printable(&msg);
        }
        let msg = db_err(&"a".repeat(256));
        assert!(
            msg.contains("is 256 characters long; Glue/Athena names hold at most 255"),
            "{msg}"
        );
        assert!(msg.contains("(256 characters)") && msg.chars().count() < 250, "{msg}");
    }

    #[test]
    fn messages_echo_the_value_escaped() {
        let e = DdlOptions::new("s3://bkt/a\u{1b}[31mred\nx", "db").unwrap_err();
        assert_eq!(
            e.to_string(),
            "location \"s3://bkt/a\\u{1b}[31mred\\nx\": '\\u{1b}' at character 2 of the prefix is not \
             allowed: a prefix holds letters, digits, '/' between folders and - _ . ! ( ) = @ only"
        );
        let e = DdlOptions::new("s3://bkt/p", "a\"b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "database \"a\\\"b\": '\"' at character 2 is not allowed: Glue/Athena names hold only \
             lower-case letters a-z, digits and _"
        );
        // The location is checked first: one message at a time.
        assert_eq!(DdlOptions::new("", "").unwrap_err().option(), "location");
    }

    #[test]
    fn table_names_follow_the_same_rule() {
        for t in TableId::ALL {
            assert_eq!(name_rule(t.name()), Ok(()), "{}", t.name());
        }
    }

    #[test]
    fn quoting_escapes_the_way_hive_reads_it() {
        assert_eq!(quote_string("s3://b/p"), "'s3://b/p'");
        assert_eq!(quote_string("x'; DROP TABLE t; --"), "'x\\'; DROP TABLE t; --'");
        assert_eq!(quote_string("a\\'b"), "'a\\\\\\'b'");
        assert_eq!(quote_string("a\nb\tc\r\0"), "'a\\nb\\tc\\r\\0'");
        assert_eq!(quote_ident("db"), "`db`");
        assert_eq!(quote_ident("x`; DROP DATABASE y; --`"), "`x``; DROP DATABASE y; --```");

        // Options that bypass validation (fields filled by hand) still give statements whose
        // quoted parts end where they should: the hostile text stays inside one literal / name.
        let o = DdlOptions {
            location: "s3://b/x'; DROP TABLE t; --".into(),
            database: "d`; DROP DATABASE e; --".into(),
        };
        let sql = create_table(TableId::CustomerTrusted, Mode::Strict, &o);
        assert!(
            sql.starts_with("CREATE EXTERNAL TABLE IF NOT EXISTS `d``; DROP DATABASE e; --`.`customer_trusted` ("),
            "{sql}"
        );
        assert!(
            sql.contains("LOCATION 's3://b/x\\'; DROP TABLE t; --/trusted/customer_trusted/'\n"),
            "{sql}"
        );
        assert_eq!(unquoted(&sql).matches(';').count(), 1, "one statement: {sql}");
    }

    /// `sql` with every '…' literal (backslash escapes) and `…` identifier (doubled backticks)
    /// removed, read character by character as Hive's lexer would.
    fn unquoted(sql: &str) -> String {
        let mut out = String::new();
        let mut it = sql.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '\'' => {
                    while let Some(c) = it.next() {
                        match c {
                            '\\' => {
                                it.next();
                            }
                            '\'' => break,
                            _ => {}
                        }
                    }
                }
                '`' => loop {
                    match it.next() {
                        Some('`') if it.peek() == Some(&'`') => {
                            it.next();
                        }
                        Some('`') | None => break,
                        _ => {}
                    }
                },
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn every_key_written_below_the_prefix_fits_in_s3s_limit() {
        for o in crate::lake::Output::all() {
            // "<prefix>/<path>": the path and its slash within the 128 bytes left by MAX_PREFIX_BYTES,
            // with room for a temporary sibling folder name.
            assert!(o.path().len() < 1024 - MAX_PREFIX_BYTES - 32, "{}", o.path());
        }
    }
}

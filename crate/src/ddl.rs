//! Glue/Athena `CREATE EXTERNAL TABLE` statements for the eight tables, from the same column
//! lists the sinks write. Landing tables read the raw landing JSON (`<prefix>/landing/<source>/`)
//! with the OpenX JSON SerDe; trusted and curated tables read our Parquet (`<prefix>/<zone>/<table>/`).

use crate::tables::{ColType, TableId};
use crate::zones::Mode;

/// Where the tables live and which Glue database they belong to.
#[derive(Clone, Debug)]
pub struct DdlOptions {
    /// S3 prefix, e.g. `s3://my-bucket/stedi` (no trailing slash needed).
    pub location: String,
    pub database: String,
}

impl Default for DdlOptions {
    fn default() -> Self {
        DdlOptions {
            location: "s3://your-bucket/stedi".into(),
            database: "stedi".into(),
        }
    }
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

/// The DDL of one table.
pub fn create_table(t: TableId, mode: Mode, opts: &DdlOptions) -> String {
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
            format!("  `{}` {}", c.name, ty)
        })
        .collect();
    let head = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{}`.`{}` (\n{}\n)\n",
        opts.database,
        t.name(),
        cols.join(",\n")
    );
    match landing_folder(t) {
        Some(folder) => format!(
            "{head}ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n\
             WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true', 'case.insensitive' = 'true')\n\
             STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n\
             OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n\
             LOCATION '{prefix}/landing/{folder}/'\n\
             TBLPROPERTIES ('classification' = 'json');\n"
        ),
        None => format!(
            "{head}STORED AS PARQUET\n\
             LOCATION '{prefix}/{}/'\n\
             TBLPROPERTIES ('classification' = 'parquet', 'parquet.compression' = 'SNAPPY');\n",
            t.folder()
        ),
    }
}

/// All eight statements, landing first, preceded by the database.
pub fn all(mode: Mode, opts: &DdlOptions) -> String {
    let mut s = format!("CREATE DATABASE IF NOT EXISTS `{}`;\n\n", opts.database);
    for t in TableId::ALL {
        s.push_str(&create_table(t, mode, opts));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landing_is_json_serde_and_derived_is_parquet_at_the_prefix() {
        let o = DdlOptions {
            location: "s3://b/p/".into(),
            database: "db".into(),
        };
        let c = create_table(TableId::CustomerLanding, Mode::Strict, &o);
        assert!(
            c.contains("`db`.`customer_landing`")
                && c.contains("JsonSerDe")
                && c.contains("LOCATION 's3://b/p/landing/customer/'"),
            "{c}"
        );
        assert!(c.contains("`shareWithResearchAsOfDate` bigint"));
        let m = create_table(TableId::MachineLearningCurated, Mode::Strict, &o);
        assert!(
            m.contains("STORED AS PARQUET") && m.contains("LOCATION 's3://b/p/curated/machine_learning_curated/'"),
            "{m}"
        );
        assert!(!m.contains("`user`"), "strict ML table has no email");
        assert!(create_table(TableId::MachineLearningCurated, Mode::Rubric, &o).contains("`user` string"));
        assert_eq!(all(Mode::Strict, &o).matches("CREATE EXTERNAL TABLE").count(), 8);
    }
}

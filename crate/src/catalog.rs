//! The table catalogue: the eight tables of the lake by name, their zone and where each one's
//! rows come from. The vocabulary every other module names tables with (rules, reports, output
//! paths, DDL, the page through `summary.tables`); it depends on nothing.
//!
//! To add a table: a variant here (name, zone, inputs), its columns in `tables.rs`, its rule in
//! `rules/strict.rs` and `rules/rubric.rs`, its DDL in `ddl.rs`; outputs, reports and the page
//! follow from this list.

use serde::{Deserialize, Serialize};

/// The zones of the lake (the STEDI project's S3 layout): raw landing data, trusted (consent and
/// validity rules applied), curated (joined for analysis and the model).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// The data as it landed, typed.
    Landing,
    /// Rows that passed the consent and validity rules.
    Trusted,
    /// Joined tables for analysis and the model.
    Curated,
}

impl Zone {
    /// Every zone, in pipeline order.
    pub const ALL: [Zone; 3] = [Zone::Landing, Zone::Trusted, Zone::Curated];

    /// `landing`, `trusted` or `curated` (a folder name in the Hive layout).
    pub fn name(self) -> &'static str {
        match self {
            Zone::Landing => "landing",
            Zone::Trusted => "trusted",
            Zone::Curated => "curated",
        }
    }
}

/// One of the eight tables. In JSON by [`TableId::name`] (`customer_landing`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableId {
    /// Customer records as they landed.
    CustomerLanding,
    /// Accelerometer readings as they landed.
    AccelerometerLanding,
    /// Step trainer readings as they landed.
    StepTrainerLanding,
    /// Customers who consented to research.
    CustomerTrusted,
    /// Readings of consenting customers.
    AccelerometerTrusted,
    /// Step trainer readings of devices owned by curated customers.
    StepTrainerTrusted,
    /// Consenting customers with accelerometer readings.
    CustomersCurated,
    /// Step trainer readings joined with the accelerometer reading at the same instant.
    MachineLearningCurated,
}

impl TableId {
    /// Every table, in pipeline order: by zone (landing, trusted, curated). Not dependency order:
    /// `step_trainer_trusted` reads `customers_curated` (see [`TableId::inputs`]).
    pub const ALL: [TableId; 8] = [
        TableId::CustomerLanding,
        TableId::AccelerometerLanding,
        TableId::StepTrainerLanding,
        TableId::CustomerTrusted,
        TableId::AccelerometerTrusted,
        TableId::StepTrainerTrusted,
        TableId::CustomersCurated,
        TableId::MachineLearningCurated,
    ];

    /// The table's name (Glue/Athena table and output file names).
    pub fn name(self) -> &'static str {
        match self {
            TableId::CustomerLanding => "customer_landing",
            TableId::AccelerometerLanding => "accelerometer_landing",
            TableId::StepTrainerLanding => "step_trainer_landing",
            TableId::CustomerTrusted => "customer_trusted",
            TableId::AccelerometerTrusted => "accelerometer_trusted",
            TableId::StepTrainerTrusted => "step_trainer_trusted",
            TableId::CustomersCurated => "customers_curated",
            TableId::MachineLearningCurated => "machine_learning_curated",
        }
    }

    /// The table named `name`, if any.
    pub fn parse(name: &str) -> Option<TableId> {
        TableId::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The table's zone.
    pub fn zone(self) -> Zone {
        match self {
            TableId::CustomerLanding | TableId::AccelerometerLanding | TableId::StepTrainerLanding => Zone::Landing,
            TableId::CustomerTrusted | TableId::AccelerometerTrusted | TableId::StepTrainerTrusted => Zone::Trusted,
            TableId::CustomersCurated | TableId::MachineLearningCurated => Zone::Curated,
        }
    }

    /// The tables this one is derived from, its main input first, then the tables it is joined
    /// with (the STEDI project's lineage; both modes). Landing tables come from files: `[]`.
    pub fn inputs(self) -> &'static [TableId] {
        use TableId::*;
        match self {
            CustomerLanding | AccelerometerLanding | StepTrainerLanding => &[],
            CustomerTrusted => &[CustomerLanding],
            AccelerometerTrusted => &[AccelerometerLanding, CustomerTrusted],
            CustomersCurated => &[CustomerTrusted, AccelerometerTrusted],
            StepTrainerTrusted => &[StepTrainerLanding, CustomersCurated],
            MachineLearningCurated => &[StepTrainerTrusted, AccelerometerTrusted],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_serde_uses_them() {
        for t in TableId::ALL {
            assert_eq!(TableId::parse(t.name()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.name()));
        }
    }

    #[test]
    fn lineage_starts_at_landing_and_has_no_cycle() {
        // Pipeline order is zone order, not dependency order (step_trainer_trusted reads
        // customers_curated), so check the lineage itself: every chain of inputs ends in landing
        // tables within eight steps.
        fn depth(t: TableId, left: usize) -> usize {
            assert!(left > 0, "lineage cycle through {t:?}");
            t.inputs().iter().map(|i| 1 + depth(*i, left - 1)).max().unwrap_or(0)
        }
        for t in TableId::ALL {
            assert_eq!(t.inputs().is_empty(), t.zone() == Zone::Landing, "{t:?}");
            assert!(depth(t, TableId::ALL.len()) <= 5, "{t:?}");
        }
        // customer_landing → customer_trusted → accelerometer_trusted → customers_curated →
        // step_trainer_trusted → machine_learning_curated
        assert_eq!(depth(TableId::MachineLearningCurated, 8), 5);
    }
}

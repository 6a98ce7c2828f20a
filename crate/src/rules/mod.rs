//! The rule sets (what the Glue jobs between the zones do): landing tables in, the five derived tables out, each described as row indices
//! into the landing tables (nothing is copied until a sink writes it).
//!
//! - [`strict`]: the default; privacy-first rules (latest customer per email, consent that is a
//!   date, exact-duplicate removal, device ownership, an opaque device number in the ML table).
//! - [`rubric`]: the reference AWS Glue/Athena jobs, row for row.
//!
//! Each table's [`Flow`] says how many rows came in, what every rule removed (or a join added) and
//! how many came out, so every landing row is accounted for. `docs/semantics.md` explains the
//! same rules in prose; `docs/sql/strict.sql` and `docs/sql/rubric.sql` hold them as SQL.

mod reading_index;
pub mod rubric;
pub(crate) mod sizing;
pub mod strict;
#[cfg(test)]
pub(crate) mod testkit;

use serde::Serialize;

use crate::catalog::TableId;
use crate::model::Landing;

/// Which rule set to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// [`strict`]: the default (`strict` in JSON and on the command line).
    #[default]
    Strict,
    /// [`rubric`]: the reference jobs (`rubric`).
    Rubric,
}

impl Mode {
    /// `strict` or `rubric` (`--mode`, `summary.json`, the marker).
    pub fn name(self) -> &'static str {
        match self {
            Mode::Strict => "strict",
            Mode::Rubric => "rubric",
        }
    }
    /// The mode [`Mode::name`] spells `s` (exact); `None` for any other text.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "strict" => Some(Mode::Strict),
            "rubric" => Some(Mode::Rubric),
            _ => None,
        }
    }
}

/// One rule's effect on a table's rows.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleEffect {
    /// Short machine name, e.g. `before_consent`.
    pub rule: &'static str,
    /// What the rule does, in words.
    pub why: &'static str,
    /// Rows removed by the rule (or, for a join, input rows that found no partner).
    pub removed: u64,
    /// Rows a join added (one input row matching several partners).
    pub added: u64,
}

/// How one derived table came from its input: `rows_in - Σ removed + Σ added = rows_out`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Flow {
    /// The derived table.
    pub table: TableId,
    /// Its main input (the first of [`TableId::inputs`]).
    pub from: TableId,
    /// Rows of `from`.
    pub rows_in: u64,
    /// Each rule's effect, in the order the rules apply.
    pub rules: Vec<RuleEffect>,
    /// Rows of `table`.
    pub rows_out: u64,
}

impl Flow {
    fn new(table: TableId, from: TableId, rows_in: usize) -> Flow {
        Flow {
            table,
            from,
            rows_in: rows_in as u64,
            rules: Vec::new(),
            rows_out: 0,
        }
    }
    fn removed(mut self, rule: &'static str, why: &'static str, n: usize) -> Flow {
        self.rules.push(RuleEffect {
            rule,
            why,
            removed: n as u64,
            added: 0,
        });
        self
    }
    fn joined(mut self, rule: &'static str, why: &'static str, unmatched: usize, added: usize) -> Flow {
        self.rules.push(RuleEffect {
            rule,
            why,
            removed: unmatched as u64,
            added: added as u64,
        });
        self
    }
    fn out(mut self, n: usize) -> Flow {
        self.rows_out = n as u64;
        self
    }
    /// Whether the rule counts add up.
    pub fn balances(&self) -> bool {
        let removed: u64 = self.rules.iter().map(|r| r.removed).sum();
        let added: u64 = self.rules.iter().map(|r| r.added).sum();
        self.rows_in + added == self.rows_out + removed
    }
}

/// The five derived tables as row indices into [`Landing`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Derived {
    /// Indices into `landing.customers`.
    pub customer_trusted: Vec<u32>,
    /// Indices into `landing.accelerometer` (a row may repeat in rubric mode: one per matching customer row).
    pub accelerometer_trusted: Vec<u32>,
    /// Indices into `landing.customers`.
    pub customers_curated: Vec<u32>,
    /// Indices into `landing.step_trainer`.
    pub step_trainer_trusted: Vec<u32>,
    /// (step_trainer row, accelerometer row) pairs.
    pub machine_learning_curated: Vec<(u32, u32)>,
    /// Strict only: the owner (email id) of each `step_trainer_trusted` row; empty in rubric mode.
    pub step_owner: Vec<u32>,
    /// Per table, what each rule did.
    pub flows: Vec<Flow>,
}

/// Data-quality facts found while applying the strict rules (reported in both modes).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Facts {
    /// Emails with more than one customer row: (email, rows, the distinct research-consent values seen).
    pub duplicate_emails: Vec<(u32, u32, Vec<Option<i64>>)>,
    /// Serial numbers held by more than one de-duplicated customer: (serial, emails).
    pub shared_serials: Vec<(u32, Vec<u32>)>,
    /// Accelerometer rows equal in every field to an earlier row (strict rule 2).
    pub accelerometer_exact_duplicates: u64,
    /// Step_trainer rows equal in every field to an earlier row (strict rule 2).
    pub step_trainer_exact_duplicates: u64,
    /// Readings (exact duplicates not counted) by users with no customer record at all.
    pub accelerometer_unknown_user: u64,
    /// Readings (exact duplicates not counted) of trusted customers taken before their consent date (strict rule 3).
    pub accelerometer_before_consent: u64,
    /// Step readings (exact duplicates not counted) of curated owners taken before the owner's consent (strict rule 6).
    pub step_trainer_before_consent: u64,
    /// Step readings (exact duplicates not counted) whose serial no de-duplicated customer holds (strict rule 5).
    pub step_trainer_no_owner: u64,
    /// Step readings (exact duplicates not counted) whose serial several customers hold and not
    /// exactly one of them has an accelerometer reading at that instant (strict rule 5).
    pub step_trainer_ambiguous_owner: u64,
    /// Customer landing rows whose `shareWithResearchAsOfDate` is set but is not a plausible
    /// millisecond date (see [`strict::research_consent`]): (row, whether it is the row strict
    /// keeps for its email, i.e. the one that makes the customer untrusted). Every such row is
    /// listed whatever the mode: rubric trusts them (`IS NOT NULL`), strict does not.
    pub consent_not_a_date: Vec<(u32, bool)>,
}

/// Run the zone rules of `mode` over the landing tables. The strict facts are always computed,
/// since the data-quality report describes the data whatever rules are applied.
pub fn run(landing: &Landing, mode: Mode, max_rows: u64) -> Result<(Derived, Facts), RowLimit> {
    // Strict runs in both modes (its facts feed the data-quality report), so its one join that
    // can fan out (rule 7) is bounded in both.
    let (strict_tables, facts) = strict::run(landing, max_rows)?;
    match mode {
        Mode::Strict => Ok((strict_tables, facts)),
        Mode::Rubric => Ok((rubric::run(landing, max_rows)?, facts)),
    }
}

/// A derived table that would exceed the row limit (`--max-rows`), found before it is held whole:
/// a join that fans out (rubric: shared timestamps, repeated customer rows; strict: several
/// distinct readings of one owner at one instant) must not fill memory and disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowLimit {
    /// The table that would be too large.
    pub table: TableId,
    /// The rows it would have.
    pub rows: u64,
    /// The limit in force.
    pub limit: u64,
    /// The rule that multiplies rows, and how.
    pub rule: &'static str,
    /// What the user can do about it.
    pub advice: &'static str,
}

impl std::fmt::Display for RowLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} would have {} rows, over the limit of {} rows per table (--max-rows): {}. Nothing was written. {}",
            self.table.name(),
            self.rows,
            self.limit,
            self.rule,
            self.advice
        )
    }
}

impl std::error::Error for RowLimit {}

impl RowLimit {
    /// `Err` when `rows` of `table` would exceed `limit`; `rule` says which join multiplies rows.
    pub(crate) fn check(
        table: TableId,
        rows: u64,
        limit: u64,
        rule: &'static str,
        advice: &'static str,
    ) -> Result<(), RowLimit> {
        if rows > limit {
            Err(RowLimit {
                table,
                rows,
                limit,
                rule,
                advice,
            })
        } else {
            Ok(())
        }
    }
}

/// Sentinel for "no row" in index vectors.
pub(crate) const NONE: u32 = u32::MAX;

//! Rubric semantics: the reference AWS Glue/Athena jobs, reproduced row for row.
//!
//! 1. `customer_trusted` = customer rows with `shareWithResearchAsOfDate` set.
//! 2. `accelerometer_trusted` = accelerometer ⋈ customer_trusted on user = email (accelerometer
//!    columns, one row per matching pair: a user with two trusted rows gets every reading twice).
//! 3. `customers_curated` = DISTINCT customer_trusted rows whose email is a user in accelerometer_trusted.
//! 4. `step_trainer_trusted` = step_trainer rows whose serialNumber is a customers_curated serial.
//! 5. `machine_learning_curated` = step_trainer_trusted ⋈ accelerometer_trusted on
//!    sensorReadingTime = timestamp (every pair; includes `user`).

use rustc_hash::FxHashSet;

use super::{Derived, Flow, RowLimit};
use crate::catalog::TableId;
use crate::model::{Customer, Landing};

const RUBRIC_ADVICE: &str = "Run in strict mode, or raise --max-rows if you have the memory and disk for it.";

/// The rubric rules over `l`; a join that would produce more than `max_rows` rows in one table is
/// refused before any row of it is built (the reference joins fan out: see [`RowLimit`]).
pub fn run(l: &Landing, max_rows: u64) -> Result<Derived, RowLimit> {
    let n_emails = l.emails.len();

    // 1.
    let customer_trusted: Vec<u32> = (0..l.customers.len() as u32)
        .filter(|&i| l.customers[i as usize].share_with_research_as_of_date.is_some())
        .collect();
    let customer_flow = Flow::new(TableId::CustomerTrusted, TableId::CustomerLanding, l.customers.len())
        .removed(
            "no_research_consent",
            "shareWithResearchAsOfDate is null",
            l.customers.len() - customer_trusted.len(),
        )
        .out(customer_trusted.len());

    // 2. Inner join: each reading once per trusted customer row with its email.
    let mut matches = vec![0u32; n_emails];
    for &i in &customer_trusted {
        matches[l.customers[i as usize].email as usize] += 1;
    }
    let a = &l.accelerometer;
    let accel_rows: u64 = a.user.iter().map(|&u| matches[u as usize] as u64).sum();
    RowLimit::check(
        TableId::AccelerometerTrusted,
        accel_rows,
        max_rows,
        "join_trusted_customer repeats each reading once per trusted customer row with the same email, so repeated customer rows multiply readings",
        RUBRIC_ADVICE,
    )?;
    let mut accelerometer_trusted = Vec::with_capacity(accel_rows as usize);
    let mut has_reading = vec![false; n_emails];
    let mut unmatched = 0usize;
    for (i, &user) in a.user.iter().enumerate() {
        let m = matches[user as usize];
        if m == 0 {
            unmatched += 1;
        }
        has_reading[user as usize] |= m > 0;
        for _ in 0..m {
            accelerometer_trusted.push(i as u32);
        }
    }
    let matched = a.len() - unmatched;
    let accel_flow = Flow::new(TableId::AccelerometerTrusted, TableId::AccelerometerLanding, a.len())
        .joined(
            "join_trusted_customer",
            "inner join on user = email: readings with no trusted customer row drop; one row per matching customer row",
            unmatched,
            accelerometer_trusted.len() - matched,
        )
        .out(accelerometer_trusted.len());

    // 3. DISTINCT trusted rows with a reading (first occurrence kept, in read order).
    let with_reading: Vec<u32> = customer_trusted
        .iter()
        .copied()
        .filter(|&i| has_reading[l.customers[i as usize].email as usize])
        .collect();
    let mut seen: FxHashSet<&Customer> = FxHashSet::default();
    let customers_curated: Vec<u32> = with_reading
        .iter()
        .copied()
        .filter(|&i| seen.insert(&l.customers[i as usize]))
        .collect();
    let curated_flow = Flow::new(
        TableId::CustomersCurated,
        TableId::CustomerTrusted,
        customer_trusted.len(),
    )
    .removed(
        "no_accelerometer_reading",
        "email is not a user in accelerometer_trusted",
        customer_trusted.len() - with_reading.len(),
    )
    .removed(
        "duplicate_row",
        "DISTINCT: an identical customer row was already kept",
        with_reading.len() - customers_curated.len(),
    )
    .out(customers_curated.len());

    // 4. Semi-join on serial number.
    let mut curated_serial = vec![false; l.serials.len()];
    for &i in &customers_curated {
        if let Some(s) = l.customers[i as usize].serial_number {
            curated_serial[s as usize] = true;
        }
    }
    let s = &l.step_trainer;
    let step_trainer_trusted: Vec<u32> = (0..s.len() as u32)
        .filter(|&i| curated_serial[s.serial_number[i as usize] as usize])
        .collect();
    let step_flow = Flow::new(TableId::StepTrainerTrusted, TableId::StepTrainerLanding, s.len())
        .removed(
            "serial_not_curated",
            "serialNumber is not the serial of a curated customer",
            s.len() - step_trainer_trusted.len(),
        )
        .out(step_trainer_trusted.len());

    // 5. Every (step, accelerometer) pair at the same instant, whoever the user.
    let mut by_time: Vec<(i64, u32)> = accelerometer_trusted
        .iter()
        .map(|&i| (a.timestamp.get(i as usize), i))
        .collect();
    by_time.sort_by_key(|&(t, _)| t); // stable: equal times keep accelerometer_trusted order
    let range = |t: i64| {
        let lo = by_time.partition_point(|&(x, _)| x < t);
        (lo, lo + by_time[lo..].partition_point(|&(x, _)| x == t))
    };
    let ml_rows: u64 = step_trainer_trusted
        .iter()
        .map(|&si| {
            let (lo, hi) = range(s.sensor_reading_time.get(si as usize));
            (hi - lo) as u64
        })
        .sum();
    RowLimit::check(
        TableId::MachineLearningCurated,
        ml_rows,
        max_rows,
        "join_same_timestamp pairs every step reading with every accelerometer reading at the same instant, whoever the user, so shared timestamps multiply rows",
        RUBRIC_ADVICE,
    )?;
    let mut machine_learning_curated = Vec::with_capacity(ml_rows as usize);
    let mut unmatched = 0usize;
    for &si in &step_trainer_trusted {
        let (lo, hi) = range(s.sensor_reading_time.get(si as usize));
        if lo == hi {
            unmatched += 1;
        }
        machine_learning_curated.extend(by_time[lo..hi].iter().map(|&(_, ai)| (si, ai)));
    }
    let matched = step_trainer_trusted.len() - unmatched;
    let ml_flow = Flow::new(TableId::MachineLearningCurated, TableId::StepTrainerTrusted, step_trainer_trusted.len())
        .joined(
            "join_same_timestamp",
            "inner join on sensorReadingTime = timestamp with any user's reading (unmatched readings drop; several partners add rows)",
            unmatched,
            machine_learning_curated.len() - matched,
        )
        .out(machine_learning_curated.len());

    Ok(Derived {
        customer_trusted,
        accelerometer_trusted,
        customers_curated,
        step_trainer_trusted,
        machine_learning_curated,
        step_owner: Vec::new(),
        flows: vec![customer_flow, accel_flow, curated_flow, step_flow, ml_flow],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;

    #[test]
    fn consent_is_any_row_with_a_research_date() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(5)),
                cust("a@x", "s1", Some(2), 1, None),
                cust("b@x", "s2", None, 1, None),
            ],
            &[],
            &[],
        );
        let d = run(&l, u64::MAX).unwrap();
        assert_eq!(d.customer_trusted, [0]);
    }

    #[test]
    fn join_fans_out_per_matching_customer_row_and_ignores_consent_dates() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(500)),
                cust("a@x", "s1", Some(1), 1, Some(500)),
                cust("b@x", "s2", Some(1), 1, Some(1)),
            ],
            &[
                acc("a@x", 10, 1.0),
                acc("b@x", 20, 2.0),
                acc("z@x", 30, 3.0),
                acc("b@x", 20, 2.0),
            ],
            &[],
        );
        let d = run(&l, u64::MAX).unwrap();
        // a@x's reading (before its consent date: the rubric does not look) twice, b@x's duplicate kept.
        assert_eq!(
            readings(&l, &d.accelerometer_trusted),
            [("a@x", 10), ("a@x", 10), ("b@x", 20), ("b@x", 20)]
        );
        // The two identical a@x rows become one.
        assert_eq!(emails(&l, &d.customers_curated), ["a@x", "b@x"]);
        assert_eq!(d.flows[1].rules[0].removed, 1);
        assert_eq!(d.flows[1].rules[0].added, 1);
        assert_eq!(d.flows[2].rules[1].removed, 1);
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn step_rows_follow_curated_serials_and_pair_with_any_reading_at_that_time() {
        let l = landing(
            &[
                cust("a@x", "s1", Some(1), 1, Some(1)),
                cust("b@x", "s2", Some(1), 1, Some(1)),
                cust("c@x", "s3", Some(1), 1, None),
            ],
            &[acc("a@x", 10, 1.0), acc("b@x", 10, 2.0), acc("c@x", 10, 9.0)],
            &[step(10, "s1", 7), step(11, "s1", 8), step(10, "s3", 9)],
        );
        let d = run(&l, u64::MAX).unwrap();
        assert_eq!(d.step_trainer_trusted, [0, 1]);
        // Step at 10 pairs with a@x's and b@x's readings (not c@x's: c is not trusted); step at 11 with none.
        assert_eq!(d.machine_learning_curated, [(0, 0), (0, 1)]);
        assert_eq!((d.flows[4].rules[0].removed, d.flows[4].rules[0].added), (1, 1));
        assert!(d.flows.iter().all(Flow::balances));
    }

    #[test]
    fn a_join_over_the_row_limit_is_refused_before_it_is_built() {
        let three = |line: String| vec![line; 3];
        let l = landing(
            &[cust("a@x", "s1", Some(1), 1, Some(5))],
            &three(acc("a@x", 10, 1.0)),
            &three(step(10, "s1", 1)),
        );
        // 3 step readings × 3 accelerometer readings at one instant = 9 ML rows.
        assert_eq!(run(&l, 9).unwrap().machine_learning_curated.len(), 9);
        let e = run(&l, 8).unwrap_err();
        assert_eq!((e.table, e.rows, e.limit), (TableId::MachineLearningCurated, 9, 8));
        assert!(e.to_string().contains("join_same_timestamp"), "{e}");
        let e = run(&l, 2).unwrap_err();
        assert_eq!((e.table, e.rows), (TableId::AccelerometerTrusted, 3));
    }
}

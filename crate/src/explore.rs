//! The page's queries over a finished run: table previews (rows as JSON), the curated customers
//! and one customer's readings for the chart. Read-only; nothing here changes a table.

use serde::Serialize;

use crate::catalog::TableId;
use crate::error::{Error, Result};
use crate::lake::Lake;

/// One accelerometer reading in a chart: timestamp (epoch ms), x, y, z.
pub type AccelerometerPoint = (i64, Option<f64>, Option<f64>, Option<f64>);

/// One customer's trusted readings over time (for the page's chart).
#[derive(Debug, Serialize, Default)]
pub struct CustomerSeries {
    /// The email asked for (both lists empty when no record has it).
    pub email: String,
    /// Accelerometer: timestamp, x, y, z (sorted by time).
    pub accelerometer: Vec<AccelerometerPoint>,
    /// Step trainer: sensorReadingTime, distanceFromObject (sorted by time).
    pub step_trainer: Vec<(i64, Option<i64>)>,
}

impl Lake {
    /// Rows `offset..offset+limit` of a table as a JSON array of objects (for previews).
    pub fn rows_json(&self, table: &str, offset: usize, limit: usize) -> Result<String> {
        let id = TableId::parse(table).ok_or_else(|| Error::UnknownTable(table.to_owned()))?;
        let view = self.table(id)?;
        let cols = view.columns();
        let end = offset.saturating_add(limit).min(view.rows.len()); // both come from JS
        let rows: Vec<serde_json::Map<String, serde_json::Value>> = (offset.min(end)..end)
            .map(|k| {
                cols.iter()
                    .enumerate()
                    .map(|(c, col)| {
                        let v = match view.value(k, c) {
                            crate::tables::Value::Null => serde_json::Value::Null,
                            crate::tables::Value::Str(s) => s.into(),
                            crate::tables::Value::I64(i) => i.into(),
                            crate::tables::Value::F64(f) => f.into(),
                        };
                        (col.name.to_owned(), v)
                    })
                    .collect()
            })
            .collect();
        Ok(serde_json::to_string(&rows).expect("rows serialize"))
    }

    /// Emails of `customers_curated` without repeats, those with the most trusted readings first.
    pub fn curated_emails(&self) -> Result<Vec<&str>> {
        let r = self.done()?;
        let l = &self.ingest.landing;
        let mut readings = vec![0u32; l.emails.len()];
        for &i in &r.derived.accelerometer_trusted {
            readings[l.accelerometer.user[i as usize] as usize] += 1;
        }
        let mut seen = rustc_hash::FxHashSet::default();
        let mut emails: Vec<u32> = r
            .derived
            .customers_curated
            .iter()
            .map(|&i| l.customers[i as usize].email)
            .filter(|e| seen.insert(*e))
            .collect();
        emails.sort_by_key(|&e| std::cmp::Reverse(readings[e as usize])); // stable: ties keep table order
        Ok(emails.into_iter().map(|e| l.emails.get(e)).collect())
    }

    /// The trusted accelerometer and step-trainer readings of one customer. Step readings are the
    /// owner's (strict) or those of the customer's serial number (rubric).
    pub fn customer_series(&self, email: &str) -> Result<CustomerSeries> {
        let r = self.done()?;
        let l = &self.ingest.landing;
        let Some(id) = l.emails.lookup(email) else {
            return Ok(CustomerSeries {
                email: email.into(),
                ..Default::default()
            });
        };
        let a = &l.accelerometer;
        let mut rows: Vec<u32> = r
            .derived
            .accelerometer_trusted
            .iter()
            .copied()
            .filter(|&i| a.user[i as usize] == id)
            .collect();
        rows.dedup(); // rubric repeats a reading once per matching customer row, consecutively
        let mut accelerometer: Vec<_> = rows
            .iter()
            .map(|&i| {
                (
                    a.timestamp.get(i as usize),
                    a.x[i as usize].get(),
                    a.y[i as usize].get(),
                    a.z[i as usize].get(),
                )
            })
            .collect();
        accelerometer.sort_by_key(|p| p.0);
        let s = &l.step_trainer;
        let serials: Vec<u32> = l
            .customers
            .iter()
            .filter(|c| c.email == id)
            .filter_map(|c| c.serial_number)
            .collect();
        let st = &r.derived.step_trainer_trusted;
        let mut step_trainer: Vec<_> = st
            .iter()
            .enumerate()
            .filter(|&(k, &i)| match r.derived.step_owner.get(k) {
                Some(&owner) => owner == id,
                None => serials.contains(&s.serial_number[i as usize]),
            })
            .map(|(_, &i)| {
                (
                    s.sensor_reading_time.get(i as usize),
                    s.distance_from_object.get(i as usize),
                )
            })
            .collect();
        step_trainer.sort_by_key(|p| p.0);
        Ok(CustomerSeries {
            email: email.into(),
            accelerometer,
            step_trainer,
        })
    }
}

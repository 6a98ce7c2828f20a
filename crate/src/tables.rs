//! The eight output tables' shapes: columns and rows (their names, zones and lineage are in
//! `catalog`). The one place the sinks (Parquet, NDJSON) and the DDL read a table's shape from.
//!
//! Every column but one is a landing field; the exception is strict `machine_learning_curated`'s
//! `deviceId`, derived from the table's own rows (`rules::strict::device_ids`) when its
//! [`TableView`] is made. Read cells through [`TableView::get`], which knows both kinds.

pub use crate::catalog::{TableId, Zone};
use crate::epoch_column::EpochColumn;
use crate::float_column::FloatColumn;
use crate::int_column::OptI64Column;
use crate::model::Landing;
use crate::rules::{Derived, Mode};

/// Column types (Hive/Athena: string, bigint, double).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColType {
    /// Text: `string` in the DDL, UTF-8 in Parquet.
    Str,
    /// 64-bit integer (epochs in milliseconds, distances, `deviceId`): `bigint`, Parquet INT64.
    I64,
    /// 64-bit float (accelerometer axes): `double`, Parquet DOUBLE.
    F64,
}

/// One output column: its name as written (Parquet, NDJSON, DDL), type, nullability and source.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The column name, spelled as the landing JSON spells the key (`shareWithResearchAsOfDate`; `deviceId` is ours).
    pub name: &'static str,
    /// Its type.
    pub ty: ColType,
    /// Whether it may hold nulls (false for the keys a record must have: email, user, timestamp, …).
    pub nullable: bool,
    /// Where its values come from.
    pub field: Field,
}

/// Where a column's values live: a landing field, or [`Field::DeviceId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// Customer `customerName`.
    CustomerName,
    /// Customer `email`.
    Email,
    /// Customer `phone`.
    Phone,
    /// Customer `birthDay` (text as landed).
    BirthDay,
    /// Customer `serialNumber`.
    CustomerSerial,
    /// Customer `registrationDate` (epoch ms).
    RegistrationDate,
    /// Customer `lastUpdateDate` (epoch ms).
    LastUpdateDate,
    /// Customer `shareWithResearchAsOfDate` (epoch ms).
    ShareWithResearch,
    /// Customer `shareWithPublicAsOfDate` (epoch ms).
    ShareWithPublic,
    /// Customer `shareWithFriendsAsOfDate` (epoch ms).
    ShareWithFriends,
    /// Accelerometer `user` (an email).
    User,
    /// Accelerometer `timestamp` (epoch ms).
    Timestamp,
    /// Accelerometer `x`.
    X,
    /// Accelerometer `y`.
    Y,
    /// Accelerometer `z`.
    Z,
    /// Step_trainer `sensorReadingTime` (epoch ms).
    SensorReadingTime,
    /// Step_trainer `serialNumber`.
    StepSerial,
    /// Step_trainer `distanceFromObject`.
    Distance,
    /// Strict ML table only: the opaque device number (bigint, 1..n) of the step reading's
    /// serial, from [`TableView`]'s per-serial ids; not a landing field.
    DeviceId,
}

impl Field {
    /// The landing value for landing row `r` (customer or step_trainer) / `ra` (accelerometer).
    /// Tables other than machine_learning_curated pass the same row twice. [`Field::DeviceId`]
    /// is not in the landing tables: it reads as `Null` here; use [`TableView::get`].
    #[inline]
    pub fn get(self, l: &Landing, r: usize, ra: usize) -> Value<'_> {
        use Field::*;
        let a = &l.accelerometer;
        let s = &l.step_trainer;
        match self {
            CustomerName => Value::opt_str(l.customers[r].customer_name.as_deref()),
            Email => Value::Str(l.emails.get(l.customers[r].email)),
            Phone => Value::opt_str(l.customers[r].phone.as_deref()),
            BirthDay => Value::opt_str(l.customers[r].birth_day.as_deref()),
            CustomerSerial => Value::opt_str(l.customers[r].serial_number.map(|s| l.serials.get(s))),
            RegistrationDate => Value::opt_i64(l.customers[r].registration_date),
            LastUpdateDate => Value::opt_i64(l.customers[r].last_update_date),
            ShareWithResearch => Value::opt_i64(l.customers[r].share_with_research_as_of_date),
            ShareWithPublic => Value::opt_i64(l.customers[r].share_with_public_as_of_date),
            ShareWithFriends => Value::opt_i64(l.customers[r].share_with_friends_as_of_date),
            User => Value::Str(l.emails.get(a.user[ra])),
            Timestamp => Value::I64(a.timestamp.get(ra)),
            X => Value::opt_f64(a.x[ra].get()),
            Y => Value::opt_f64(a.y[ra].get()),
            Z => Value::opt_f64(a.z[ra].get()),
            SensorReadingTime => Value::I64(s.sensor_reading_time.get(r)),
            StepSerial => Value::Str(l.serials.get(s.serial_number[r])),
            Distance => Value::opt_i64(s.distance_from_object.get(r)),
            DeviceId => Value::Null,
        }
    }
}

/// A numeric landing column as stored, chunk by chunk (the Parquet sink's fast path).
pub enum NumColumn<'a> {
    /// A time column, without nulls (`timestamp`, `sensorReadingTime`).
    Epoch(&'a EpochColumn),
    /// A nullable integer column (`distanceFromObject`).
    OptI64(&'a OptI64Column),
    /// A nullable float column (`x`, `y`, `z`).
    Float(&'a FloatColumn),
}

impl Field {
    /// The landing column behind a numeric reading field, and whether it is indexed by the
    /// accelerometer row (`ra`) rather than `r`. `None` for customer fields (rows of structs).
    pub fn numeric_column(self, l: &Landing) -> Option<(NumColumn<'_>, bool)> {
        let (a, s) = (&l.accelerometer, &l.step_trainer);
        Some(match self {
            Field::Timestamp => (NumColumn::Epoch(&a.timestamp), true),
            Field::X => (NumColumn::Float(&a.x), true),
            Field::Y => (NumColumn::Float(&a.y), true),
            Field::Z => (NumColumn::Float(&a.z), true),
            Field::SensorReadingTime => (NumColumn::Epoch(&s.sensor_reading_time), false),
            Field::Distance => (NumColumn::OptI64(&s.distance_from_object), false),
            _ => return None,
        })
    }
}

const fn col(name: &'static str, ty: ColType, nullable: bool, field: Field) -> Column {
    Column {
        name,
        ty,
        nullable,
        field,
    }
}

/// The customer tables' columns (landing, trusted, curated): the landing record's ten keys.
pub const CUSTOMER_COLUMNS: &[Column] = &[
    col("customerName", ColType::Str, true, Field::CustomerName),
    col("email", ColType::Str, false, Field::Email),
    col("phone", ColType::Str, true, Field::Phone),
    col("birthDay", ColType::Str, true, Field::BirthDay),
    col("serialNumber", ColType::Str, true, Field::CustomerSerial),
    col("registrationDate", ColType::I64, true, Field::RegistrationDate),
    col("lastUpdateDate", ColType::I64, true, Field::LastUpdateDate),
    col(
        "shareWithResearchAsOfDate",
        ColType::I64,
        true,
        Field::ShareWithResearch,
    ),
    col("shareWithPublicAsOfDate", ColType::I64, true, Field::ShareWithPublic),
    col("shareWithFriendsAsOfDate", ColType::I64, true, Field::ShareWithFriends),
];

/// The accelerometer tables' columns (landing, trusted).
pub const ACCELEROMETER_COLUMNS: &[Column] = &[
    col("user", ColType::Str, false, Field::User),
    col("timestamp", ColType::I64, false, Field::Timestamp),
    col("x", ColType::F64, true, Field::X),
    col("y", ColType::F64, true, Field::Y),
    col("z", ColType::F64, true, Field::Z),
];

/// The step_trainer tables' columns (landing, trusted).
pub const STEP_TRAINER_COLUMNS: &[Column] = &[
    col("sensorReadingTime", ColType::I64, false, Field::SensorReadingTime),
    col("serialNumber", ColType::Str, false, Field::StepSerial),
    col("distanceFromObject", ColType::I64, true, Field::Distance),
];

/// Rubric's machine-learning table (with the user's email).
pub const ML_RUBRIC_COLUMNS: &[Column] = &[
    col("sensorReadingTime", ColType::I64, false, Field::SensorReadingTime),
    col("serialNumber", ColType::Str, false, Field::StepSerial),
    col("distanceFromObject", ColType::I64, true, Field::Distance),
    col("user", ColType::Str, false, Field::User),
    col("timestamp", ColType::I64, false, Field::Timestamp),
    col("x", ColType::F64, true, Field::X),
    col("y", ColType::F64, true, Field::Y),
    col("z", ColType::F64, true, Field::Z),
];

/// Strict's machine-learning table: no email or other personal data, and no serial number (a
/// column of the customer tables, so it would join back to a person): `deviceId` instead.
pub const ML_STRICT_COLUMNS: &[Column] = &[
    col("sensorReadingTime", ColType::I64, false, Field::SensorReadingTime),
    col("deviceId", ColType::I64, false, Field::DeviceId),
    col("distanceFromObject", ColType::I64, true, Field::Distance),
    col("timestamp", ColType::I64, false, Field::Timestamp),
    col("x", ColType::F64, true, Field::X),
    col("y", ColType::F64, true, Field::Y),
    col("z", ColType::F64, true, Field::Z),
];

/// Which landing table a table's rows come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Customer rows ([`CUSTOMER_COLUMNS`]).
    Customer,
    /// Accelerometer rows ([`ACCELEROMETER_COLUMNS`]).
    Accelerometer,
    /// Step_trainer rows ([`STEP_TRAINER_COLUMNS`]).
    StepTrainer,
    /// (step_trainer, accelerometer) row pairs ([`ML_RUBRIC_COLUMNS`] or [`ML_STRICT_COLUMNS`]).
    MachineLearning,
}

/// The table shapes (the catalogue of names, zones and lineage is `catalog.rs`).
impl TableId {
    /// Which landing rows the table's rows are.
    pub fn kind(self) -> Kind {
        match self {
            TableId::CustomerLanding | TableId::CustomerTrusted | TableId::CustomersCurated => Kind::Customer,
            TableId::AccelerometerLanding | TableId::AccelerometerTrusted => Kind::Accelerometer,
            TableId::StepTrainerLanding | TableId::StepTrainerTrusted => Kind::StepTrainer,
            TableId::MachineLearningCurated => Kind::MachineLearning,
        }
    }

    /// The table's columns under `mode` (only `machine_learning_curated` differs between modes).
    pub fn columns(self, mode: Mode) -> &'static [Column] {
        match (self.kind(), mode) {
            (Kind::Customer, _) => CUSTOMER_COLUMNS,
            (Kind::Accelerometer, _) => ACCELEROMETER_COLUMNS,
            (Kind::StepTrainer, _) => STEP_TRAINER_COLUMNS,
            (Kind::MachineLearning, Mode::Rubric) => ML_RUBRIC_COLUMNS,
            (Kind::MachineLearning, Mode::Strict) => ML_STRICT_COLUMNS,
        }
    }
}

/// A table's rows: a prefix of a landing table, landing row indices, or (step, accelerometer) pairs.
#[derive(Clone, Copy, Debug)]
pub enum Rows<'a> {
    /// Landing rows `0..n`: a landing table.
    All(usize),
    /// These landing rows, in this order (a row may repeat in rubric mode).
    Indices(&'a [u32]),
    /// (step_trainer row, accelerometer row) pairs: `machine_learning_curated`.
    Pairs(&'a [(u32, u32)]),
}

impl<'a> Rows<'a> {
    /// Where table `id`'s rows are (no copy, nothing computed: cheap enough for a row count).
    pub fn of(id: TableId, landing: &'a Landing, derived: &'a Derived) -> Rows<'a> {
        match id {
            TableId::CustomerLanding | TableId::AccelerometerLanding | TableId::StepTrainerLanding => {
                Rows::landing(id, landing).expect("a landing table")
            }
            TableId::CustomerTrusted => Rows::Indices(&derived.customer_trusted),
            TableId::AccelerometerTrusted => Rows::Indices(&derived.accelerometer_trusted),
            TableId::StepTrainerTrusted => Rows::Indices(&derived.step_trainer_trusted),
            TableId::CustomersCurated => Rows::Indices(&derived.customers_curated),
            TableId::MachineLearningCurated => Rows::Pairs(&derived.machine_learning_curated),
        }
    }

    /// Where landing table `id`'s rows are: all of them, none computed (`None` for a table of
    /// another zone). Known before or without a run.
    pub fn landing(id: TableId, landing: &Landing) -> Option<Rows<'a>> {
        Some(Rows::All(match id {
            TableId::CustomerLanding => landing.customers.len(),
            TableId::AccelerometerLanding => landing.accelerometer.len(),
            TableId::StepTrainerLanding => landing.step_trainer.len(),
            _ => return None,
        }))
    }

    /// Rows of the table.
    pub fn len(&self) -> usize {
        match self {
            Rows::All(n) => *n,
            Rows::Indices(v) => v.len(),
            Rows::Pairs(v) => v.len(),
        }
    }
    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A table ready to be written: where its rows come from, which rows, which columns.
#[derive(Clone)]
pub struct TableView<'a> {
    /// Which table.
    pub id: TableId,
    /// The rule set that made it (decides the ML table's columns).
    pub mode: Mode,
    /// The landing tables its rows point into.
    pub landing: &'a Landing,
    /// Its rows.
    pub rows: Rows<'a>,
    /// Per serial id, the `deviceId` of [`Field::DeviceId`] (0: the serial is not in the table);
    /// empty for tables without that column.
    pub device_ids: Vec<u32>,
}

impl<'a> TableView<'a> {
    /// The view of landing table `id`: every landing row, read before or without a run (landing
    /// tables have the same columns in both modes). `None` for a table of another zone.
    pub fn landing(id: TableId, landing: &'a Landing) -> Option<TableView<'a>> {
        Some(TableView {
            id,
            mode: Mode::Strict,
            landing,
            rows: Rows::landing(id, landing)?,
            device_ids: Vec::new(),
        })
    }

    /// The view of table `id` of a run: its rows from `derived` (landing tables: all landing rows),
    /// and for strict `machine_learning_curated` its device ids ([`crate::rules::strict::device_ids`]).
    pub fn new(id: TableId, mode: Mode, landing: &'a Landing, derived: &'a Derived) -> TableView<'a> {
        let rows = Rows::of(id, landing, derived);
        let has_device = id.columns(mode).iter().any(|c| c.field == Field::DeviceId);
        let device_ids = match rows {
            Rows::Pairs(pairs) if has_device => crate::rules::strict::device_ids(landing, pairs),
            _ => Vec::new(),
        };
        TableView {
            id,
            mode,
            landing,
            rows,
            device_ids,
        }
    }

    /// The `deviceId` of step-trainer landing row `r`.
    #[inline]
    pub fn device_id(&self, r: usize) -> i64 {
        i64::from(self.device_ids[self.landing.step_trainer.serial_number[r] as usize])
    }

    /// The value of `field` for landing rows `r` / `ra` (see [`TableView::row`]).
    #[inline]
    pub fn get(&self, field: Field, r: usize, ra: usize) -> Value<'a> {
        match field {
            Field::DeviceId => Value::I64(self.device_id(r)),
            f => f.get(self.landing, r, ra),
        }
    }

    /// The table's columns ([`TableId::columns`] under its mode).
    pub fn columns(&self) -> &'static [Column] {
        self.id.columns(self.mode)
    }

    /// The landing row of the `k`-th output row (for pairs: the step row and the accelerometer row).
    #[inline]
    pub fn row(&self, k: usize) -> (usize, usize) {
        match self.rows {
            Rows::All(_) => (k, k),
            Rows::Indices(v) => (v[k] as usize, v[k] as usize),
            Rows::Pairs(v) => (v[k].0 as usize, v[k].1 as usize),
        }
    }

    /// Output rows `start..end` as landing rows, when they are those same rows (a landing
    /// table's view: [`Rows::All`]).
    pub fn contiguous(&self, start: usize, end: usize) -> Option<std::ops::Range<usize>> {
        matches!(self.rows, Rows::All(_)).then_some(start..end)
    }

    /// Call `f` with the landing row (`ra` when `accel`, else `r`) behind each output row in
    /// `start..end`, with the row mapping matched once rather than per row.
    #[inline]
    pub fn for_rows(&self, accel: bool, start: usize, end: usize, mut f: impl FnMut(usize)) {
        match self.rows {
            Rows::All(_) => (start..end).for_each(f),
            Rows::Indices(v) => v[start..end].iter().for_each(|&i| f(i as usize)),
            Rows::Pairs(v) => v[start..end]
                .iter()
                .for_each(|&(r, ra)| f(if accel { ra } else { r } as usize)),
        }
    }

    /// The value of column `c` in output row `k`.
    #[inline]
    pub fn value(&self, k: usize, c: usize) -> Value<'a> {
        let (r, ra) = self.row(k);
        self.get(self.columns()[c].field, r, ra)
    }
}

/// One cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL (the key was absent or `null`).
    Null,
    /// A [`ColType::Str`] value.
    Str(&'a str),
    /// A [`ColType::I64`] value.
    I64(i64),
    /// A [`ColType::F64`] value.
    F64(f64),
}

impl<'a> Value<'a> {
    fn opt_str(v: Option<&'a str>) -> Value<'a> {
        v.map_or(Value::Null, Value::Str)
    }
    fn opt_i64(v: Option<i64>) -> Value<'a> {
        v.map_or(Value::Null, Value::I64)
    }
    fn opt_f64(v: Option<f64>) -> Value<'a> {
        v.map_or(Value::Null, Value::F64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testkit::*;
    use crate::rules::{strict, Mode};
    use arrow_array::{Array, Int64Array};

    /// Two devices in the strict ML table: `s-late` (first ML reading at T0+5, two rows) and
    /// `s-early` (T0+1); `s-unused` has no ML row.
    fn lake() -> crate::model::Landing {
        landing(
            &[
                cust("a@x", "s-late", Some(1), 1, Some(T0)),
                cust("b@x", "s-early", Some(1), 1, Some(T0)),
                cust("c@x", "s-unused", Some(1), 1, Some(T0)),
            ],
            &[
                acc("a@x", T0 + 5, 1.0),
                acc("a@x", T0 + 9, 2.0),
                acc("b@x", T0 + 1, 3.0),
                acc("c@x", T0 + 1, 4.0),
            ],
            &[
                step(T0 + 9, "s-late", 10),
                step(T0 + 1, "s-early", 20),
                step(T0 + 5, "s-late", 30),
                step(T0 + 2, "s-unused", 40), // c@x read at T0+1, not T0+2: not in ML
            ],
        )
    }

    fn column_i64(view: &TableView<'_>, name: &str) -> Vec<i64> {
        let c = view.columns().iter().position(|c| c.name == name).expect("column");
        (0..view.rows.len())
            .map(|k| match view.value(k, c) {
                Value::I64(v) => v,
                v => panic!("{name} row {k}: {v:?}"),
            })
            .collect()
    }

    #[test]
    fn strict_ml_table_has_device_ids_instead_of_serials() {
        let l = lake();
        let (d, _) = strict::run(&l, u64::MAX).unwrap();
        let view = TableView::new(TableId::MachineLearningCurated, Mode::Strict, &l, &d);
        let names: Vec<&str> = view.columns().iter().map(|c| c.name).collect();
        assert_eq!(
            names,
            [
                "sensorReadingTime",
                "deviceId",
                "distanceFromObject",
                "timestamp",
                "x",
                "y",
                "z"
            ]
        );
        assert_eq!(column_i64(&view, "distanceFromObject"), [10, 20, 30]);
        assert_eq!(column_i64(&view, "deviceId"), [2, 1, 2], "s-early first, then s-late");
        // No column of any other table carries those numbers' meaning: the key is per table.
        for id in TableId::ALL
            .into_iter()
            .filter(|&t| t != TableId::MachineLearningCurated)
        {
            let v = TableView::new(id, Mode::Strict, &l, &d);
            assert!(v.device_ids.is_empty() && v.columns().iter().all(|c| c.field != Field::DeviceId));
        }
        // Rubric keeps the reference columns (its pairs are those of strict here, which does not
        // matter: no device numbers are made for it).
        let view = TableView::new(TableId::MachineLearningCurated, Mode::Rubric, &l, &d);
        assert!(view.columns().iter().any(|c| c.name == "serialNumber"));
        assert!(view.columns().iter().all(|c| c.field != Field::DeviceId) && view.device_ids.is_empty());
    }

    #[test]
    fn sinks_write_the_device_ids() {
        let l = lake();
        let (d, _) = strict::run(&l, u64::MAX).unwrap();
        let view = TableView::new(TableId::MachineLearningCurated, Mode::Strict, &l, &d);
        let want = column_i64(&view, "deviceId");

        let mut nd = Vec::new();
        crate::sink::ndjson::write(&view, &mut nd).unwrap();
        let got: Vec<i64> = nd
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|line| {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                assert!(v.get("serialNumber").is_none(), "no serial in {v}");
                v["deviceId"].as_i64().unwrap()
            })
            .collect();
        assert_eq!(got, want, "NDJSON");

        let path = std::env::temp_dir().join(format!("stedi-lake-device-ids-{}.parquet", std::process::id()));
        crate::sink::parquet::write(&view, std::fs::File::create(&path).unwrap()).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let mut got = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            assert!(batch.schema().field_with_name("serialNumber").is_err());
            let col = batch.column_by_name("deviceId").unwrap();
            let ids = col.as_any().downcast_ref::<Int64Array>().expect("deviceId is INT64");
            assert_eq!(ids.null_count(), 0);
            got.extend(ids.values().iter().copied());
        }
        std::fs::remove_file(&path).ok();
        assert_eq!(got, want, "Parquet");
    }
}

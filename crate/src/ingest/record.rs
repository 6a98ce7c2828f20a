//! Decoding one landing record (the bytes of one JSON object) into the typed landing tables.
//!
//! Each source has a borrowed serde struct naming its keys, which keys are required, and which
//! encodings real exports use (integer or integral-float epochs, `phone` as string or number,
//! `timeStamp` as an older name of `timestamp`). Anything else is a [`Rejection`] with a reason
//! class and serde's message; the caller quarantines it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::model::{Customer, Landing, Source};

/// Why a record was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not valid JSON (syntax error, truncated, not UTF-8).
    MalformedJson,
    /// Valid JSON but not an object.
    NotAnObject,
    /// A required key is absent (or `null`).
    MissingRequired,
    /// A value has the wrong JSON type or is out of range.
    WrongType,
    /// A key appears twice in the object.
    DuplicateKey,
    /// A record longer than the splitter's limit.
    TooLong,
    /// The file ended inside the record.
    Truncated,
    /// The file is binary (gzip, zip, NUL bytes): rejected whole, counted as one record.
    Binary,
    /// The file could not be routed to a source (no folder name, unknown keys).
    Unrouted,
}

impl Reason {
    pub const ALL: [Reason; 9] = [
        Reason::MalformedJson,
        Reason::NotAnObject,
        Reason::MissingRequired,
        Reason::WrongType,
        Reason::DuplicateKey,
        Reason::TooLong,
        Reason::Truncated,
        Reason::Binary,
        Reason::Unrouted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::MalformedJson => "malformed_json",
            Reason::NotAnObject => "not_an_object",
            Reason::MissingRequired => "missing_required",
            Reason::WrongType => "wrong_type",
            Reason::DuplicateKey => "duplicate_key",
            Reason::TooLong => "too_long",
            Reason::Truncated => "truncated",
            Reason::Binary => "binary",
            Reason::Unrouted => "unrouted",
        }
    }
}

/// A record that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub reason: Reason,
    pub detail: String,
}

impl Rejection {
    fn from_serde(e: serde_json::Error) -> Rejection {
        let msg = e.to_string();
        // serde appends " at line 1 column N" (positions inside the record); keep the column only.
        let detail = match msg.rfind(" at line ") {
            Some(at) => {
                let pos = &msg[at + " at line ".len()..];
                let col = pos.split(" column ").nth(1).unwrap_or("");
                format!("{} (column {col})", &msg[..at])
            }
            None => msg.clone(),
        };
        let reason = match e.classify() {
            serde_json::error::Category::Data => {
                if msg.starts_with("missing field") || msg.starts_with("invalid type: null") {
                    Reason::MissingRequired
                } else if msg.starts_with("duplicate field") {
                    Reason::DuplicateKey
                } else {
                    Reason::WrongType
                }
            }
            _ => Reason::MalformedJson,
        };
        Rejection { reason, detail }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.as_str(), self.detail)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerIn<'a> {
    #[serde(default, borrow)]
    customer_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    email: Cow<'a, str>,
    #[serde(default, deserialize_with = "phone")]
    phone: Option<String>,
    #[serde(default, borrow)]
    birth_day: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    serial_number: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "opt_epoch")]
    registration_date: Option<i64>,
    #[serde(default, deserialize_with = "opt_epoch")]
    last_update_date: Option<i64>,
    #[serde(default, deserialize_with = "opt_epoch")]
    share_with_research_as_of_date: Option<i64>,
    #[serde(default, deserialize_with = "opt_epoch")]
    share_with_public_as_of_date: Option<i64>,
    #[serde(default, deserialize_with = "opt_epoch")]
    share_with_friends_as_of_date: Option<i64>,
}

#[derive(Deserialize)]
struct AccelerometerIn<'a> {
    #[serde(borrow)]
    user: Cow<'a, str>,
    #[serde(alias = "timeStamp", deserialize_with = "epoch")]
    timestamp: i64,
    #[serde(default)]
    x: Option<f64>,
    #[serde(default)]
    y: Option<f64>,
    #[serde(default)]
    z: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StepTrainerIn<'a> {
    #[serde(deserialize_with = "epoch")]
    sensor_reading_time: i64,
    #[serde(borrow)]
    serial_number: Cow<'a, str>,
    #[serde(default, deserialize_with = "opt_epoch")]
    distance_from_object: Option<i64>,
}

/// Decode one record of `source` and append it to `landing`.
pub fn decode_into(source: Source, bytes: &[u8], landing: &mut Landing) -> Result<(), Rejection> {
    if bytes.first() != Some(&b'{') {
        // serde would accept a JSON array for a struct; a record must be an object.
        return Err(not_an_object(bytes));
    }
    match source {
        Source::Customer => {
            let c: CustomerIn = serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
            let customer = Customer {
                customer_name: c.customer_name.map(Cow::into_owned),
                email: landing.emails.intern(&c.email),
                phone: c.phone,
                birth_day: c.birth_day.map(Cow::into_owned),
                serial_number: c.serial_number.map(|s| landing.serials.intern(&s)),
                registration_date: c.registration_date,
                last_update_date: c.last_update_date,
                share_with_research_as_of_date: c.share_with_research_as_of_date,
                share_with_public_as_of_date: c.share_with_public_as_of_date,
                share_with_friends_as_of_date: c.share_with_friends_as_of_date,
            };
            landing.customers.push(customer);
        }
        Source::Accelerometer => {
            let a: AccelerometerIn = serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
            let t = &mut landing.accelerometer;
            t.user.push(landing.emails.intern(&a.user));
            t.timestamp.push(a.timestamp);
            t.x.push(a.x);
            t.y.push(a.y);
            t.z.push(a.z);
        }
        Source::StepTrainer => {
            let s: StepTrainerIn = serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
            let t = &mut landing.step_trainer;
            t.sensor_reading_time.push(s.sensor_reading_time);
            t.serial_number.push(landing.serials.intern(&s.serial_number));
            t.distance_from_object.push(s.distance_from_object);
        }
    }
    Ok(())
}

fn not_an_object(bytes: &[u8]) -> Rejection {
    match serde_json::from_slice::<de::IgnoredAny>(bytes) {
        Ok(_) => Rejection {
            reason: Reason::NotAnObject,
            detail: "a record must be a JSON object".into(),
        },
        Err(e) => Rejection::from_serde(e),
    }
}

/// Which source a record's keys belong to (used to route a file that has no telling folder name).
/// `Err` when the bytes are not a JSON object.
pub fn source_by_keys(bytes: &[u8]) -> Result<Option<Source>, Rejection> {
    let keys: std::collections::BTreeMap<String, de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
    let has = |k: &str| keys.contains_key(k);
    Ok(if has("sensorReadingTime") {
        Some(Source::StepTrainer)
    } else if has("user") && (has("timestamp") || has("timeStamp")) {
        Some(Source::Accelerometer)
    } else if has("email") && (has("customerName") || has("shareWithResearchAsOfDate") || has("serialNumber")) {
        Some(Source::Customer)
    } else {
        None
    })
}

/// Epoch milliseconds: an integer, or a float with no fractional part (`1655564376361.0`).
fn epoch<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    d.deserialize_any(EpochVisitor)
}

fn opt_epoch<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_option(OptVisitor(EpochVisitor))
}

fn phone<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    d.deserialize_option(OptVisitor(PhoneVisitor))
}

struct EpochVisitor;

impl<'de> Visitor<'de> for EpochVisitor {
    type Value = i64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer (epoch milliseconds)")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v)
            .map_err(|_| E::custom(format!("invalid value: integer {v} is out of range for a 64-bit epoch")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
        // 2^63 is exactly representable; anything at or above it does not fit.
        if v.fract() == 0.0 && v >= -9.223_372_036_854_776e18 && v < 9.223_372_036_854_776e18 {
            Ok(v as i64)
        } else {
            Err(E::custom(format!(
                "invalid value: {v} is not an integer (epoch milliseconds)"
            )))
        }
    }
}

struct PhoneVisitor;

impl<'de> Visitor<'de> for PhoneVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a phone number as a string or a number")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            Ok((v as i64).to_string())
        } else {
            Err(E::custom(format!("invalid value: {v} is not a phone number")))
        }
    }
}

/// `null` → `None`, otherwise the inner visitor.
struct OptVisitor<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for OptVisitor<V> {
    type Value = Option<V::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self.0).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(source: Source, json: &str) -> Result<Landing, Rejection> {
        let mut l = Landing::default();
        decode_into(source, json.as_bytes(), &mut l).map(|_| l)
    }

    fn reason(source: Source, json: &str) -> Reason {
        decode(source, json).expect_err(json).reason
    }

    #[test]
    fn customer_accepts_float_epochs_numeric_phone_nulls_and_missing_keys() {
        let l = decode(
            Source::Customer,
            r#"{"customerName":"A B","email":"a@x","phone":8015551212,"birthDay":"993-01-01","serialNumber":"s1",
               "registrationDate":1655564376361.0,"lastUpdateDate":null,"shareWithResearchAsOfDate":1655564376361}"#,
        )
        .unwrap();
        let c = &l.customers[0];
        assert_eq!(c.phone.as_deref(), Some("8015551212"));
        assert_eq!(c.birth_day.as_deref(), Some("993-01-01"));
        assert_eq!(c.registration_date, Some(1655564376361));
        assert_eq!(c.last_update_date, None);
        assert_eq!(c.share_with_research_as_of_date, Some(1655564376361));
        assert_eq!(c.share_with_public_as_of_date, None);
        assert_eq!(l.emails.get(c.email), "a@x");
        assert_eq!(l.serials.get(c.serial_number.unwrap()), "s1");
    }

    #[test]
    fn accelerometer_accepts_old_timestamp_key_and_integer_axes() {
        let l = decode(
            Source::Accelerometer,
            r#"{"user":"a@x","timeStamp":5,"x":1,"y":-0.5,"z":2.25}"#,
        )
        .unwrap();
        assert_eq!(l.accelerometer.timestamp, vec![5]);
        assert_eq!(l.accelerometer.x, vec![Some(1.0)]);
        let l = decode(Source::Accelerometer, r#"{"user":"a\u0040x","timestamp":5.0}"#).unwrap();
        assert_eq!(l.emails.get(l.accelerometer.user[0]), "a@x");
        assert_eq!(l.accelerometer.z, vec![None]);
    }

    #[test]
    fn rejections_are_classified() {
        use Reason::*;
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":1"#),
            MalformedJson
        );
        assert_eq!(reason(Source::Accelerometer, r#"[1,2]"#), NotAnObject);
        assert_eq!(reason(Source::Accelerometer, r#"{"timestamp":1}"#), MissingRequired);
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":null,"timestamp":1}"#),
            MissingRequired
        );
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":"1"}"#),
            WrongType
        );
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":1,"x":true}"#),
            WrongType
        );
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":1.5}"#),
            WrongType
        );
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":1,"timeStamp":2}"#),
            DuplicateKey
        );
        assert_eq!(
            reason(
                Source::StepTrainer,
                r#"{"sensorReadingTime":99999999999999999999,"serialNumber":"s"}"#
            ),
            WrongType
        );
        assert_eq!(
            reason(Source::StepTrainer, r#"{"sensorReadingTime":1}"#),
            MissingRequired
        );
        assert_eq!(reason(Source::Customer, r#"{"customerName":"x"}"#), MissingRequired);
        let mut l = Landing::default();
        let e = decode_into(Source::Customer, b"{\"email\":\"\xff\"}", &mut l).unwrap_err();
        assert_eq!(e.reason, MalformedJson, "non-UTF-8 bytes");
        assert!(e.detail.contains("column"), "{}", e.detail);
    }

    #[test]
    fn routing_by_keys() {
        assert_eq!(
            source_by_keys(br#"{"sensorReadingTime":1,"serialNumber":"s"}"#).unwrap(),
            Some(Source::StepTrainer)
        );
        assert_eq!(
            source_by_keys(br#"{"user":"u","timeStamp":1}"#).unwrap(),
            Some(Source::Accelerometer)
        );
        assert_eq!(
            source_by_keys(br#"{"email":"e","customerName":"n"}"#).unwrap(),
            Some(Source::Customer)
        );
        assert_eq!(source_by_keys(br#"{"id":1}"#).unwrap(), None);
        assert!(source_by_keys(b"a,b,c").is_err());
    }
}

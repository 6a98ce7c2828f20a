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
use serde_json::value::RawValue;

use crate::model::{Customer, Landing, Source};

/// Why a record was quarantined. In JSON by [`Reason::as_str`]; maps keyed by reason list them in
/// name order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
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
    /// Every reason, in declaration order.
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

    /// The name in reports and JSON (`malformed_json`, `too_long`, …; the serde name).
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

impl Ord for Reason {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Reason {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// A record that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Why, as a class.
    pub reason: Reason,
    /// Why, in words (for a decoding error: serde's message, with the column inside the record).
    pub detail: String,
}

impl Rejection {
    pub(crate) fn from_serde(e: serde_json::Error) -> Rejection {
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
            // A number beyond the f64 range (`1e400`) is well-formed JSON with a value we can't hold.
            serde_json::error::Category::Syntax if msg.starts_with("number out of range") => Reason::WrongType,
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

/// One customer record as read (strings borrowed from the record's bytes when unescaped).
#[derive(Default)]
struct CustomerIn<'a> {
    customer_name: Option<Cow<'a, str>>,
    email: Option<Cow<'a, str>>,
    phone: Option<String>,
    birth_day: Option<Cow<'a, str>>,
    serial_number: Option<Cow<'a, str>>,
    registration_date: Option<i64>,
    last_update_date: Option<i64>,
    share_with_research_as_of_date: Option<i64>,
    share_with_public_as_of_date: Option<i64>,
    share_with_friends_as_of_date: Option<i64>,
}

/// The customer keys, as the landing data spells them. Matched without regard to ASCII case
/// (Glue and Athena lower-case column names; our landing DDL declares the SerDe case-insensitive).
const CUSTOMER_KEYS: &[&str] = &[
    "customerName",
    "email",
    "phone",
    "birthDay",
    "serialNumber",
    "registrationDate",
    "lastUpdateDate",
    "shareWithResearchAsOfDate",
    "shareWithPublicAsOfDate",
    "shareWithFriendsAsOfDate",
];

struct AccelerometerIn<'a> {
    user: Cow<'a, str>,
    timestamp: i64,
    x: Option<f64>,
    y: Option<f64>,
    z: Option<f64>,
}

/// `timestamp` also covers the older `timeStamp` (the same key without regard to case).
const ACCELEROMETER_KEYS: &[&str] = &["user", "timestamp", "x", "y", "z"];

struct StepTrainerIn<'a> {
    sensor_reading_time: i64,
    serial_number: Cow<'a, str>,
    distance_from_object: Option<i64>,
}

const STEP_TRAINER_KEYS: &[&str] = &["sensorReadingTime", "serialNumber", "distanceFromObject"];

/// Reads one record's keys: each known key (any ASCII case) at most once, unknown keys skipped.
struct Keys<'r, const N: usize> {
    names: &'static [&'static str],
    seen: [bool; N],
    _record: std::marker::PhantomData<&'r ()>,
}

impl<const N: usize> Keys<'_, N> {
    fn new(names: &'static [&'static str]) -> Self {
        Keys {
            names,
            seen: [false; N],
            _record: std::marker::PhantomData,
        }
    }

    /// The next key: `Some((Some(index), None))` for a known name, `Some((None, Some(key)))` for
    /// an unknown key, or `None` at the end.
    #[allow(clippy::type_complexity)]
    fn next<'de, A: de::MapAccess<'de>>(
        &mut self,
        map: &mut A,
    ) -> Result<Option<(Option<usize>, Option<Cow<'de, str>>)>, A::Error> {
        match map.next_key_seed(KeySeed(self.names))? {
            None => Ok(None),
            Some(Key::Unknown(k)) => Ok(Some((None, Some(k)))),
            Some(Key::Known(i)) => {
                if std::mem::replace(&mut self.seen[i], true) {
                    return Err(de::Error::duplicate_field(self.names[i]));
                }
                Ok(Some((Some(i), None)))
            }
        }
    }

    fn require<E: de::Error>(&self, i: usize) -> Result<(), E> {
        if self.seen[i] {
            Ok(())
        } else {
            Err(E::missing_field(self.names[i]))
        }
    }
}

/// A key: the index of a known name, or an unknown key's text.
enum Key<'de> {
    Known(usize),
    Unknown(Cow<'de, str>),
}

/// Matches a key against the known names: exact spelling first, then ignoring ASCII case.
struct KeySeed(&'static [&'static str]);

impl<'de> de::DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl KeySeed {
    fn find(&self, k: &str) -> Option<usize> {
        // Same length and bytes first (cheap: the landing data spells its keys one way), then case.
        let k = k.as_bytes();
        // Byte by byte (keys are short): `==` on slices calls memcmp once per same-length name.
        let same = |n: &str| n.len() == k.len() && n.bytes().zip(k).all(|(a, &b)| a == b);
        self.0
            .iter()
            .position(|n| same(n))
            .or_else(|| self.0.iter().position(|n| n.as_bytes().eq_ignore_ascii_case(k)))
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E: de::Error>(self, k: &'de str) -> Result<Key<'de>, E> {
        Ok(self.find(k).map_or(Key::Unknown(Cow::Borrowed(k)), Key::Known))
    }
    fn visit_str<E: de::Error>(self, k: &str) -> Result<Key<'de>, E> {
        Ok(self
            .find(k)
            .map_or_else(|| Key::Unknown(Cow::Owned(k.to_owned())), Key::Known))
    }
}

/// A string value or `null`, borrowed when it has no escapes.
struct OptStr;

impl<'de> de::DeserializeSeed<'de> for OptStr {
    type Value = Option<Cow<'de, str>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptStr {
    type Value = Option<Cow<'de, str>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
}

/// A required identifier: present, not `null`, not empty (an empty `email`, `user` or
/// `serialNumber` identifies nobody and is treated as missing).
fn required_id<'de, E: de::Error>(v: Option<Cow<'de, str>>, name: &'static str) -> Result<Cow<'de, str>, E> {
    match v {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(E::custom(format!(
            "missing field `{name}`: the value is an empty string"
        ))),
        None => Err(E::custom(format!("invalid type: null, expected a string for `{name}`"))),
    }
}

thread_local! {
    /// Set while a record is decoded a second time with its numbers read as text (see [`opt_integral`]).
    static NUMBERS_AS_TEXT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Keys of the record being decoded that no source defines (schema drift), for [`decode_into`].
    static UNKNOWN_KEYS: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Skip an unknown key's value, noting the key (schema drift is reported, not dropped silently).
fn skip_unknown<'de, A: de::MapAccess<'de>>(map: &mut A, key: Option<Cow<'de, str>>) -> Result<(), A::Error> {
    if let Some(k) = key {
        UNKNOWN_KEYS.with_borrow_mut(|v| v.push(k.into_owned()));
    }
    map.next_value::<de::IgnoredAny>().map(|_| ())
}

/// The error that sends a record to the text pass: an epoch or distance written with a fraction
/// or an exponent, or beyond the 64-bit range.
const NEEDS_TEXT: &str = "\u{0}number needs its decimal text";

/// An epoch (milliseconds) or a distance: an integral JSON number judged on its decimal text, or
/// `null`. Plain integers (the usual case) are read directly; any other number text sends the
/// record to a second pass ([`decode_into`]) that reads it as text, so `1655564376361.0001` is
/// never taken for `1655564376361`.
fn opt_integral<'de, A: de::MapAccess<'de>>(map: &mut A, name: &str) -> Result<Option<i64>, A::Error> {
    if !NUMBERS_AS_TEXT.get() {
        return map.next_value_seed(PlainInteger);
    }
    let raw: &'de RawValue = map.next_value()?;
    match raw.get() {
        "null" => Ok(None),
        t => number_text(t, name)
            .and_then(integral_text)
            .map(Some)
            .map_err(de::Error::custom),
    }
}

/// A plain JSON integer within i64, `null`, or [`NEEDS_TEXT`] for any other number.
struct PlainInteger;

impl<'de> de::DeserializeSeed<'de> for PlainInteger {
    type Value = Option<i64>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PlainInteger {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer (epoch milliseconds)")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        i64::try_from(v).map(Some).map_err(|_| E::custom(NEEDS_TEXT))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(NEEDS_TEXT))
    }
}

/// A required epoch (milliseconds).
fn integral<'de, A: de::MapAccess<'de>>(map: &mut A, name: &str) -> Result<i64, A::Error> {
    opt_integral(map, name)?
        .ok_or_else(|| de::Error::custom(format!("invalid type: null, expected an integer for `{name}`")))
}

/// A double, or `null`. (A number beyond the double range is serde_json's "number out of range",
/// classified as `wrong_type` by [`Rejection::from_serde`].)
fn opt_double<'de, A: de::MapAccess<'de>>(map: &mut A, _name: &str) -> Result<Option<f64>, A::Error> {
    map.next_value()
}

/// The text of a JSON value that must be a number.
fn number_text<'t>(t: &'t str, name: &str) -> Result<&'t str, String> {
    match t.as_bytes().first() {
        Some(b'-' | b'0'..=b'9') => Ok(t),
        _ => {
            let kind = match t.as_bytes().first() {
                Some(b'"') => "string",
                Some(b't' | b'f') => "boolean",
                Some(b'{') => "map",
                Some(b'[') => "sequence",
                _ => "value",
            };
            Err(format!("invalid type: {kind}, expected a number for `{name}`"))
        }
    }
}

/// The integer a JSON number's decimal text denotes exactly, judged on the text: `1655564376361`,
/// `1655564376361.000` and `1.655564376361e12` are integers; `1655564376361.0001` is not, however
/// close a double would come. Beyond the 64-bit range is an error too.
pub fn integral_text(t: &str) -> Result<i64, String> {
    if !t.contains(['.', 'e', 'E']) {
        // Plain integer text (the usual case).
        return t
            .parse::<i64>()
            .map_err(|_| format!("invalid value: {t} is out of range for a 64-bit integer"));
    }
    let not_integer = || format!("invalid value: {t} is not an integer");
    let out_of_range = || format!("invalid value: {t} is out of range for a 64-bit integer");
    let (neg, body) = match t.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(k) => (&body[..k], &body[k + 1..]),
        None => (body, "0"),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int.bytes().chain(frac.bytes());
    let Some(first) = digits().position(|d| d != b'0') else {
        return Ok(0); // all zeros, whatever the exponent
    };
    let last = match frac.bytes().rposition(|d| d != b'0') {
        Some(k) => int.len() + k,
        None => int.bytes().rposition(|d| d != b'0').expect("a non-zero digit exists"),
    };
    // value = significant digits × 10^scale
    let exp: i64 = exp.parse().map_err(|_| out_of_range())?;
    let trailing_zeros = (int.len() + frac.len() - 1 - last) as i64;
    let scale = exp - frac.len() as i64 + trailing_zeros;
    if scale < 0 {
        return Err(not_integer());
    }
    let n_digits = (last - first + 1) as i64;
    if n_digits + scale > 19 {
        return Err(out_of_range());
    }
    let mut v: i128 = 0;
    for d in digits().skip(first).take(n_digits as usize) {
        v = v * 10 + (d - b'0') as i128;
    }
    v *= 10i128.pow(scale as u32);
    if neg {
        v = -v;
    }
    i64::try_from(v).map_err(|_| out_of_range())
}

impl<'de> Deserialize<'de> for CustomerIn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CustomerIn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a customer record")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut c = CustomerIn::default();
                let mut keys = Keys::<10>::new(CUSTOMER_KEYS);
                while let Some((k, unknown)) = keys.next(&mut map)? {
                    let name = k.map(|i| CUSTOMER_KEYS[i]).unwrap_or("");
                    match k {
                        Some(0) => c.customer_name = map.next_value_seed(OptStr)?,
                        Some(1) => c.email = map.next_value_seed(OptStr)?,
                        Some(2) => c.phone = map.next_value_seed(PhoneSeed)?,
                        Some(3) => c.birth_day = map.next_value_seed(OptStr)?,
                        // An empty serial number names no device: absent.
                        Some(4) => c.serial_number = map.next_value_seed(OptStr)?.filter(|s| !s.is_empty()),
                        Some(5) => c.registration_date = opt_integral(&mut map, name)?,
                        Some(6) => c.last_update_date = opt_integral(&mut map, name)?,
                        Some(7) => c.share_with_research_as_of_date = opt_integral(&mut map, name)?,
                        Some(8) => c.share_with_public_as_of_date = opt_integral(&mut map, name)?,
                        Some(9) => c.share_with_friends_as_of_date = opt_integral(&mut map, name)?,
                        _ => skip_unknown(&mut map, unknown)?,
                    }
                }
                keys.require(1)?;
                c.email = Some(required_id(c.email.take(), "email")?);
                Ok(c)
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for AccelerometerIn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AccelerometerIn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an accelerometer record")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Keys::<5>::new(ACCELEROMETER_KEYS);
                let (mut user, mut timestamp, mut x, mut y, mut z) = (None, None, None, None, None);
                while let Some((k, unknown)) = keys.next(&mut map)? {
                    match k {
                        Some(0) => user = map.next_value_seed(OptStr)?,
                        Some(1) => timestamp = Some(integral(&mut map, "timestamp")?),
                        Some(2) => x = opt_double(&mut map, "x")?,
                        Some(3) => y = opt_double(&mut map, "y")?,
                        Some(4) => z = opt_double(&mut map, "z")?,
                        _ => skip_unknown(&mut map, unknown)?,
                    }
                }
                keys.require(0)?;
                keys.require(1)?;
                Ok(AccelerometerIn {
                    user: required_id(user, "user")?,
                    timestamp: timestamp.expect("required above"),
                    x,
                    y,
                    z,
                })
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for StepTrainerIn<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StepTrainerIn<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a step_trainer record")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut keys = Keys::<3>::new(STEP_TRAINER_KEYS);
                let (mut time, mut serial, mut distance) = (None, None, None);
                while let Some((k, unknown)) = keys.next(&mut map)? {
                    match k {
                        Some(0) => time = Some(integral(&mut map, "sensorReadingTime")?),
                        Some(1) => serial = map.next_value_seed(OptStr)?,
                        Some(2) => distance = opt_integral(&mut map, "distanceFromObject")?,
                        _ => skip_unknown(&mut map, unknown)?,
                    }
                }
                keys.require(0)?;
                keys.require(1)?;
                Ok(StepTrainerIn {
                    sensor_reading_time: time.expect("required above"),
                    serial_number: required_id(serial, "serialNumber")?,
                    distance_from_object: distance,
                })
            }
        }
        d.deserialize_map(V)
    }
}

/// The keys no source defines that the last record given to [`decode_into`] held (empty when it
/// had none); taken, so the next call starts afresh.
pub fn take_unknown_keys() -> Vec<String> {
    UNKNOWN_KEYS.with_borrow_mut(|v| if v.is_empty() { Vec::new() } else { std::mem::take(v) })
}

/// Decode one record of `source` and append it to `landing`. A record with an epoch or distance
/// that is not a plain integer is decoded a second time with its numbers read as text.
pub fn decode_into(source: Source, bytes: &[u8], landing: &mut Landing) -> Result<(), Rejection> {
    decode(source, bytes, landing, true)
}

/// [`decode_into`] without the fast path: every record through serde (what the fast path is
/// tested against).
#[cfg(test)]
pub(crate) fn decode_with_serde_only(source: Source, bytes: &[u8], landing: &mut Landing) -> Result<(), Rejection> {
    decode(source, bytes, landing, false)
}

#[inline]
fn decode(source: Source, bytes: &[u8], landing: &mut Landing, fast: bool) -> Result<(), Rejection> {
    UNKNOWN_KEYS.with_borrow_mut(Vec::clear);
    let result = match decode_pass(source, bytes, landing, fast) {
        Err(r) if r.detail.starts_with(NEEDS_TEXT) => {
            UNKNOWN_KEYS.with_borrow_mut(Vec::clear);
            NUMBERS_AS_TEXT.set(true);
            let again = decode_pass(source, bytes, landing, false);
            NUMBERS_AS_TEXT.set(false);
            again
        }
        done => done,
    };
    match result {
        // serde stops at the first error: a type error before a syntax error must not hide that
        // the record is not JSON at all.
        Err(r) if r.reason != Reason::MalformedJson => match serde_json::from_slice::<de::IgnoredAny>(bytes) {
            Err(e) => Err(Rejection::from_serde(e)),
            Ok(_) => Err(r),
        },
        other => other,
    }
}

fn decode_pass(source: Source, bytes: &[u8], landing: &mut Landing, fast: bool) -> Result<(), Rejection> {
    if bytes.first() != Some(&b'{') {
        // A record must be an object.
        return Err(not_an_object(bytes));
    }
    // Plain accelerometer and step_trainer records (nearly every byte) are read without serde;
    // the fast path accepts only what serde would read to the same values (`fast.rs`).
    if fast {
        match source {
            Source::Accelerometer => {
                if let Some((user, timestamp, x, y, z)) = super::fast::accelerometer(bytes) {
                    // A user that is not UTF-8 goes to serde, which gives the reason.
                    if let Some(user) = landing.emails.intern_utf8(user) {
                        let t = &mut landing.accelerometer;
                        t.user.push(user);
                        t.timestamp.push(timestamp);
                        t.x.push(x.into());
                        t.y.push(y.into());
                        t.z.push(z.into());
                        return Ok(());
                    }
                }
            }
            Source::StepTrainer => {
                if let Some((time, serial, distance)) = super::fast::step_trainer(bytes) {
                    if let Some(serial) = landing.serials.intern_utf8(serial) {
                        let t = &mut landing.step_trainer;
                        t.sensor_reading_time.push(time);
                        t.serial_number.push(serial);
                        t.distance_from_object.push(distance);
                        return Ok(());
                    }
                }
            }
            Source::Customer => {}
        }
    }
    match source {
        Source::Customer => {
            let c: CustomerIn = serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
            let customer = Customer {
                customer_name: c.customer_name.map(Cow::into_owned),
                email: landing.emails.intern(&c.email.expect("required")),
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
            t.x.push(a.x.into());
            t.y.push(a.y.into());
            t.z.push(a.z.into());
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

/// A phone number: a string, or an integral number (kept as its digits), or `null`.
struct PhoneSeed;

impl<'de> de::DeserializeSeed<'de> for PhoneSeed {
    type Value = Option<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(OptVisitor(PhoneVisitor))
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
    fn numbers_are_judged_on_their_text() {
        assert_eq!(integral_text("1655564376361"), Ok(1655564376361));
        assert_eq!(integral_text("1655564376361.000"), Ok(1655564376361));
        assert_eq!(integral_text("1.655564376361e12"), Ok(1655564376361));
        assert_eq!(integral_text("16555643763610E-1"), Ok(1655564376361));
        assert_eq!(integral_text("-0.0e5"), Ok(0));
        assert_eq!(integral_text("-9223372036854775808"), Ok(i64::MIN));
        assert!(integral_text("1655564376361.0001").is_err());
        assert!(integral_text("1.6555643763615e12").is_err());
        assert!(integral_text("9223372036854775808").is_err());
        assert!(integral_text("1e19").is_err());
        assert!(integral_text("1e999999999999999999999").is_err());
        use Reason::*;
        let at = |t: &str| format!(r#"{{"user":"a","timestamp":{t}}}"#);
        assert_eq!(reason(Source::Accelerometer, &at("1655564376361.0001")), WrongType);
        assert_eq!(reason(Source::Accelerometer, &at("99999999999999999999")), WrongType);
        for ok in ["1655564376361.000", "1.655564376361e12", "1655564376361"] {
            let l = decode(Source::Accelerometer, &at(ok)).unwrap();
            assert_eq!(l.accelerometer.timestamp, vec![1655564376361], "{ok}");
        }
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"a","timestamp":1,"x":1e400}"#),
            WrongType
        );
        assert_eq!(
            reason(
                Source::StepTrainer,
                r#"{"sensorReadingTime":1,"serialNumber":"s","distanceFromObject":2.5}"#
            ),
            WrongType
        );
    }

    #[test]
    fn keys_match_whatever_their_ascii_case() {
        // What a Glue job that wrote JSON back emits: Athena reads this customer as consenting.
        let l = decode(
            Source::Customer,
            r#"{"customername":"Lia","email":"lia@x.test","serialnumber":"S31","registrationdate":1655563999000,"lastupdatedate":1655563999000,"sharewithresearchasofdate":1655564000000}"#,
        )
        .unwrap();
        let c = &l.customers[0];
        assert_eq!(c.share_with_research_as_of_date, Some(1655564000000));
        assert_eq!(l.serials.get(c.serial_number.unwrap()), "S31");
        assert_eq!(c.customer_name.as_deref(), Some("Lia"));
        let l = decode(Source::StepTrainer, r#"{"SENSORREADINGTIME":5,"SerialNumber":"s"}"#).unwrap();
        assert_eq!(l.step_trainer.sensor_reading_time, vec![5]);
        // Two spellings of one key.
        assert_eq!(
            reason(
                Source::Customer,
                r#"{"email":"a@x","serialNumber":"a","serialnumber":"b"}"#
            ),
            Reason::DuplicateKey
        );
        assert_eq!(
            super::super::route::by_keys(br#"{"customername":"Lia","email":"l@x"}"#).unwrap(),
            Some(Source::Customer)
        );
        assert_eq!(
            super::super::route::by_keys(br#"{"sensorreadingtime":1}"#).unwrap(),
            Some(Source::StepTrainer)
        );
    }

    #[test]
    fn empty_identifiers_are_missing() {
        use Reason::*;
        assert_eq!(reason(Source::Customer, r#"{"email":""}"#), MissingRequired);
        assert_eq!(
            reason(Source::Accelerometer, r#"{"user":"","timestamp":1}"#),
            MissingRequired
        );
        assert_eq!(
            reason(Source::StepTrainer, r#"{"sensorReadingTime":1,"serialNumber":""}"#),
            MissingRequired
        );
        let l = decode(Source::Customer, r#"{"email":"a@x","serialNumber":""}"#).unwrap();
        assert_eq!(l.customers[0].serial_number, None, "an empty serial names no device");
    }
}

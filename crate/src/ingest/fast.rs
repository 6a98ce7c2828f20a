//! The fast path for the two record shapes that make up nearly every landing byte: a flat
//! accelerometer or step_trainer object whose keys are spelled as the landing data spells them,
//! each once, with plain values. One pass over the record's bytes, no serde. A record laid out as
//! the exports write every one (keys in their order, no blanks around keys and separators) is read
//! by comparing its keys whole ([`accelerometer_as_exported`]); any other layout key by key
//! ([`accelerometer_any_layout`]).
//!
//! It only ever accepts: anything it is not sure of (an escape in a string, a key it does not
//! know or in another case, a repeated key, a missing required key, an empty identifier, an
//! epoch that is not a plain 64-bit integer, a number beyond the double range, a nested value,
//! trailing bytes) makes it return `None`, and the record is decoded by serde in
//! [`super::record`], which gives every quarantine reason and message. The one thing it leaves
//! to its caller is the UTF-8 check of the user or serial it returns (see [`Accelerometer`]):
//! an id that is not UTF-8 sends the record to serde there. So every rule about what
//! a record means stays in `record.rs`; this module must only agree with it, which its tests
//! check record by record against serde (hand-picked cases and generated ones).

/// An accelerometer record read by the fast path: `(user, timestamp, x, y, z)`. The user's bytes
/// are not yet checked as UTF-8: the caller interns them with [`crate::model::Interner::intern_utf8`],
/// which checks every string but the one it interned last (and sends the record to serde when it
/// is not UTF-8).
pub(crate) type Accelerometer<'a> = (&'a [u8], i64, Option<f64>, Option<f64>, Option<f64>);
/// A step_trainer record read by the fast path: `(sensorReadingTime, serialNumber,
/// distanceFromObject)`; the serial's bytes are checked as the user's are in [`Accelerometer`].
pub(crate) type StepTrainer<'a> = (i64, &'a [u8], Option<i64>);

/// A JSON number as scanned: its text, sign, and its integer and fraction digits as one integer.
#[derive(Clone, Copy)]
struct Number<'a> {
    text: &'a [u8],
    neg: bool,
    /// The integer and fraction digits as one decimal integer (exact while `digits <= 19`).
    mantissa: u64,
    /// How many digits `mantissa` holds.
    digits: u32,
    /// How many of them are after the decimal point.
    frac: u32,
    /// Whether an exponent follows.
    exp: bool,
}

/// 10^0 ..= 10^22: the powers of ten a double holds exactly.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// The high bit of each byte of `v` (eight bytes, little-endian: the first is the lowest) that may
/// end a plain string: a quote, a backslash or a control character (below 0x20). Only the lowest set bit is
/// exact (a borrow can flag a byte above the first match), which is the only one used.
#[inline]
fn stop(v: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    zero(v ^ (ONES * b'"' as u64)) | zero(v ^ (ONES * b'\\' as u64)) | (v.wrapping_sub(ONES * 0x20) & !v & HIGH)
}

/// Whether all eight bytes of `v` are ASCII digits.
#[inline]
fn eight_digits(v: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    // Each byte 0x30..=0x39: its high nibble is 3, and adding 6 keeps it 3 (0x3A..0x3F would carry).
    (v & HIGH_NIBBLES) | ((v.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) >> 4) == 0x3333_3333_3333_3333
}

/// The value of eight ASCII digits (`eight_digits(v)`), the first byte the most significant.
#[inline]
fn eight_digits_value(v: u64) -> u64 {
    // Pairs, then quads, then all eight: each step joins neighbours as high * 10^k + low.
    let v = (v & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(10 * 256 + 1) >> 8;
    let v = (v & 0x00FF_00FF_00FF_00FF).wrapping_mul(100 * 65_536 + 1) >> 16;
    (v & 0x0000_FFFF_0000_FFFF).wrapping_mul(10_000 * (1 << 32) + 1) >> 32
}

/// A flat JSON object's bytes, read front to back.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// Skip blanks, then take `c`.
    #[inline]
    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    /// A string's bytes, without escapes or control characters (after the opening quote).
    #[inline]
    fn raw_string(&mut self) -> Option<&'a [u8]> {
        let start = self.i;
        // Eight bytes at a time up to the first quote, backslash or control character (`stop`);
        // the loop below judges that byte and the last few.
        while let Some(w) = self.b.get(self.i..self.i + 8) {
            let m = stop(u64::from_le_bytes(w.try_into().expect("8 bytes")));
            if m != 0 {
                self.i += (m.trailing_zeros() / 8) as usize;
                break;
            }
            self.i += 8;
        }
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        Some(&self.b[start..self.i - 1])
    }

    /// A key, then `:`. Its bytes are only compared with the known (ASCII) names, so they need no
    /// UTF-8 check: a key that is not one of them sends the record to serde.
    #[inline]
    fn key(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        let k = self.raw_string()?;
        self.eat(b':')?;
        Some(k)
    }

    /// `null` → `Some(None)`.
    #[inline]
    fn null(&mut self) -> Option<()> {
        self.b[self.i..].starts_with(b"null").then(|| self.i += 4)
    }

    /// A JSON number (the grammar of RFC 8259 §6), its digits gathered as it is scanned.
    #[inline]
    fn number(&mut self) -> Option<Number<'a>> {
        let start = self.i;
        let mut n = Number {
            text: &[],
            neg: false,
            mantissa: 0,
            digits: 0,
            frac: 0,
            exp: false,
        };
        // Every digit of the integer and fraction parts into `mantissa` (wrapping: only read
        // while `digits` is small enough for it to be exact).
        let digits = |c: &mut Self, n: &mut Number| {
            let s = c.i;
            // Eight digits at a time (an epoch has 13), then one at a time.
            while let Some(w) = c.b.get(c.i..c.i + 8) {
                let v = u64::from_le_bytes(w.try_into().expect("8 bytes"));
                if !eight_digits(v) {
                    break;
                }
                n.mantissa = n.mantissa.wrapping_mul(100_000_000).wrapping_add(eight_digits_value(v));
                c.i += 8;
            }
            while let Some(&d @ b'0'..=b'9') = c.b.get(c.i) {
                n.mantissa = n.mantissa.wrapping_mul(10).wrapping_add((d - b'0') as u64);
                c.i += 1;
            }
            let k = (c.i - s) as u32;
            n.digits += k;
            k
        };
        if self.b.get(self.i) == Some(&b'-') {
            self.i += 1;
            n.neg = true;
        }
        match self.b.get(self.i) {
            Some(b'0') => {
                self.i += 1;
                n.digits = 1;
            }
            Some(b'1'..=b'9') => {
                digits(self, &mut n);
            }
            _ => return None,
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            n.frac = digits(self, &mut n);
            if n.frac == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            n.exp = true;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            let mut ignored = n;
            if digits(self, &mut ignored) == 0 {
                return None;
            }
        }
        n.text = &self.b[start..self.i];
        Some(n)
    }

    /// An epoch or distance: a plain integer within i64 (anything else is serde's to judge).
    #[inline]
    fn integer(&mut self) -> Option<i64> {
        self.ws();
        let n = self.number()?;
        if n.frac > 0 || n.exp {
            return None;
        }
        if n.digits <= 18 {
            // Below 10^18: exact in the mantissa and within i64 either way.
            let v = n.mantissa as i64;
            return Some(if n.neg { -v } else { v });
        }
        std::str::from_utf8(n.text).ok()?.parse().ok()
    }

    /// An epoch or distance, or `null`.
    #[inline]
    fn opt_integer(&mut self) -> Option<Option<i64>> {
        self.ws();
        if self.null().is_some() {
            return Some(None);
        }
        self.integer().map(Some)
    }

    /// A double or `null` (the nearest double, as serde_json's `float_roundtrip` reads it;
    /// beyond the double range is serde's to reject).
    #[inline]
    fn opt_double(&mut self) -> Option<Option<f64>> {
        self.ws();
        if self.null().is_some() {
            return Some(None);
        }
        let n = self.number()?;
        if !n.exp && n.digits <= 15 && n.frac <= 22 {
            // Clinger's fast path: the digits (below 10^15 < 2^53) and 10^frac are exact doubles,
            // so one correctly rounded division gives the nearest double, as any exact parser does.
            let v = n.mantissa as f64 / POW10[n.frac as usize];
            return Some(Some(if n.neg { -v } else { v }));
        }
        let v: f64 = std::str::from_utf8(n.text).ok()?.parse().ok()?;
        v.is_finite().then_some(Some(v))
    }

    /// A string value's bytes (not empty, not null, no escapes or control characters; UTF-8 is
    /// the caller's to check).
    #[inline]
    fn id(&mut self) -> Option<&'a [u8]> {
        self.eat(b'"')?;
        self.raw_string().filter(|s| !s.is_empty())
    }

    /// After a value: `,` (more keys: `true`) or `}` (the end: `false`).
    #[inline]
    fn next(&mut self) -> Option<bool> {
        self.ws();
        match self.b.get(self.i)? {
            b',' => {
                self.i += 1;
                Some(true)
            }
            b'}' => {
                self.i += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Only blanks left.
    #[inline]
    fn end(&mut self) -> Option<()> {
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    /// Exactly the bytes `s` next (no blanks before them).
    #[inline]
    fn lit(&mut self, s: &[u8]) -> Option<()> {
        let next = self.b.get(self.i..self.i + s.len())?;
        crate::model::same_bytes(next, s).then(|| self.i += s.len())
    }
}

/// Walk a flat object: `field` reads the value of each key (each known key once: a repeat or
/// another key is `None`, and the record goes to serde); then only blanks may follow.
#[inline]
fn object<'a>(bytes: &'a [u8], mut field: impl FnMut(&'a [u8], &mut Cursor<'a>) -> Option<()>) -> Option<()> {
    let mut c = Cursor { b: bytes, i: 0 };
    c.eat(b'{')?;
    loop {
        let key = c.key()?;
        field(key, &mut c)?;
        if !c.next()? {
            break;
        }
    }
    c.end()
}

/// Read `bytes` as a plain accelerometer record, or `None` (serde decides).
pub(crate) fn accelerometer(bytes: &[u8]) -> Option<Accelerometer<'_>> {
    accelerometer_as_exported(bytes).or_else(|| accelerometer_any_layout(bytes))
}

/// An accelerometer record laid out as the landing exports write every one (keys in this order,
/// no blanks around keys and separators; the value readers still skip blanks before a value):
/// `{"user":"…","timestamp":…,"x":…,"y":…,"z":…}`, read by comparing the keys
/// whole instead of scanning and matching each. Any other layout: `None`, and
/// [`accelerometer_any_layout`] reads it (to the same values: both accept only what serde does).
#[inline]
fn accelerometer_as_exported(bytes: &[u8]) -> Option<Accelerometer<'_>> {
    let mut c = Cursor { b: bytes, i: 0 };
    c.lit(b"{\"user\":\"")?;
    let user = c.raw_string().filter(|s| !s.is_empty())?;
    c.lit(b",\"timestamp\":")?;
    let ts = c.integer()?;
    c.lit(b",\"x\":")?;
    let x = c.opt_double()?;
    c.lit(b",\"y\":")?;
    let y = c.opt_double()?;
    c.lit(b",\"z\":")?;
    let z = c.opt_double()?;
    c.lit(b"}")?;
    c.end()?;
    Some((user, ts, x, y, z))
}

/// [`accelerometer`] for keys in any order, spacing and presence.
fn accelerometer_any_layout(bytes: &[u8]) -> Option<Accelerometer<'_>> {
    let (mut user, mut ts, mut x, mut y, mut z) = (None, None, None, None, None);
    object(bytes, |key, c| {
        match key {
            b"user" if user.is_none() => user = Some(c.id()?),
            b"timestamp" if ts.is_none() => ts = Some(c.integer()?),
            b"x" if x.is_none() => x = Some(c.opt_double()?),
            b"y" if y.is_none() => y = Some(c.opt_double()?),
            b"z" if z.is_none() => z = Some(c.opt_double()?),
            _ => return None,
        }
        Some(())
    })?;
    Some((user?, ts?, x.flatten(), y.flatten(), z.flatten()))
}

/// Read `bytes` as a plain step_trainer record, or `None` (serde decides).
pub(crate) fn step_trainer(bytes: &[u8]) -> Option<StepTrainer<'_>> {
    step_trainer_as_exported(bytes).or_else(|| step_trainer_any_layout(bytes))
}

/// A step_trainer record laid out as the landing exports write every one:
/// `{"sensorReadingTime":…,"serialNumber":"…","distanceFromObject":…}` (see
/// [`accelerometer_as_exported`]).
#[inline]
fn step_trainer_as_exported(bytes: &[u8]) -> Option<StepTrainer<'_>> {
    let mut c = Cursor { b: bytes, i: 0 };
    c.lit(b"{\"sensorReadingTime\":")?;
    let time = c.integer()?;
    c.lit(b",\"serialNumber\":\"")?;
    let serial = c.raw_string().filter(|s| !s.is_empty())?;
    c.lit(b",\"distanceFromObject\":")?;
    let distance = c.opt_integer()?;
    c.lit(b"}")?;
    c.end()?;
    Some((time, serial, distance))
}

/// [`step_trainer`] for keys in any order, spacing and presence.
fn step_trainer_any_layout(bytes: &[u8]) -> Option<StepTrainer<'_>> {
    let (mut time, mut serial, mut distance) = (None, None, None);
    object(bytes, |key, c| {
        match key {
            b"sensorReadingTime" if time.is_none() => time = Some(c.integer()?),
            b"serialNumber" if serial.is_none() => serial = Some(c.id()?),
            b"distanceFromObject" if distance.is_none() => distance = Some(c.opt_integer()?),
            _ => return None,
        }
        Some(())
    })?;
    Some((time?, serial?, distance.flatten()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::float_column::FloatColumn;
    use crate::ingest::record::{decode_into, decode_with_serde_only};
    use crate::model::{Landing, Source};

    /// Decode `bytes` both ways; the outcome (kept values, or the rejection with its reason and
    /// message) must be the same. Returns whether the fast path itself accepted the record.
    fn agree(source: Source, bytes: &[u8]) -> bool {
        let (mut fast, mut slow) = (Landing::default(), Landing::default());
        let a = decode_into(source, bytes, &mut fast);
        let b = decode_with_serde_only(source, bytes, &mut slow);
        let text = String::from_utf8_lossy(bytes);
        assert_eq!(a, b, "outcome differs for {text}");
        assert_same(&fast, &slow, &text);
        // The exported layout's path accepts only what the any-layout path reads, to the same bits.
        let bits = |v: Option<f64>| v.map(f64::to_bits);
        if let Some((u, t, x, y, z)) = accelerometer_as_exported(bytes) {
            let any = accelerometer_any_layout(bytes).map(|(u, t, x, y, z)| (u, t, bits(x), bits(y), bits(z)));
            assert_eq!(Some((u, t, bits(x), bits(y), bits(z))), any, "{text}");
        }
        if let Some(r) = step_trainer_as_exported(bytes) {
            assert_eq!(Some(r), step_trainer_any_layout(bytes), "{text}");
        }
        match source {
            Source::Accelerometer => accelerometer(bytes).is_some_and(|r| std::str::from_utf8(r.0).is_ok()),
            _ => step_trainer(bytes).is_some_and(|r| std::str::from_utf8(r.1).is_ok()),
        }
    }

    /// Whether the exported layout's path reads `bytes` (a record of `source`).
    fn takes_exported_path(source: Source, bytes: &[u8]) -> bool {
        match source {
            Source::Accelerometer => accelerometer_as_exported(bytes).is_some(),
            _ => step_trainer_as_exported(bytes).is_some(),
        }
    }

    /// The two landings hold the same rows and interned strings, bit for bit.
    fn assert_same(fast: &Landing, slow: &Landing, text: &str) {
        let ac = (&fast.accelerometer, &slow.accelerometer);
        assert_eq!(ac.0.user, ac.1.user, "{text}");
        assert_eq!(ac.0.timestamp, ac.1.timestamp, "{text}");
        for (p, q) in [(&ac.0.x, &ac.1.x), (&ac.0.y, &ac.1.y), (&ac.0.z, &ac.1.z)] {
            let bits = |v: &FloatColumn| v.iter().map(|d| d.get().map(f64::to_bits)).collect::<Vec<_>>();
            assert_eq!(bits(p), bits(q), "{text}");
        }
        let st = (&fast.step_trainer, &slow.step_trainer);
        assert_eq!(st.0.sensor_reading_time, st.1.sensor_reading_time, "{text}");
        assert_eq!(st.0.serial_number, st.1.serial_number, "{text}");
        assert_eq!(st.0.distance_from_object, st.1.distance_from_object, "{text}");
        assert_eq!(fast.emails.len(), slow.emails.len(), "{text}");
        assert_eq!(fast.serials.len(), slow.serials.len(), "{text}");
        for i in 0..fast.emails.len() as u32 {
            assert_eq!(fast.emails.get(i), slow.emails.get(i), "{text}");
        }
        for i in 0..fast.serials.len() as u32 {
            assert_eq!(fast.serials.get(i), slow.serials.get(i), "{text}");
        }
    }

    /// The eight-byte scans against byte-by-byte loops, on random words biased towards the
    /// bytes that matter (digits, quotes, backslashes, controls, 0x80 and above).
    #[test]
    fn word_scans_agree_with_byte_loops() {
        let mut rng = fastrand::Rng::with_seed(5);
        let pick = [
            b'0',
            b'9',
            b'5',
            b'/',
            b':',
            b'"',
            b'\\',
            0x1f,
            0x20,
            0x00,
            0x7f,
            0x80,
            0xff,
            b'a',
            0x22 ^ 0x80,
        ];
        for _ in 0..200_000 {
            let bytes: [u8; 8] = std::array::from_fn(|_| {
                if rng.bool() {
                    pick[rng.usize(..pick.len())]
                } else {
                    rng.u8(..)
                }
            });
            let v = u64::from_le_bytes(bytes);
            let first_stop = bytes.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let m = stop(v);
            assert_eq!(
                (m != 0).then(|| (m.trailing_zeros() / 8) as usize),
                first_stop,
                "{bytes:?}"
            );
            let all_digits = bytes.iter().all(u8::is_ascii_digit);
            assert_eq!(eight_digits(v), all_digits, "{bytes:?}");
            if all_digits {
                let want: u64 = std::str::from_utf8(&bytes).unwrap().parse().unwrap();
                assert_eq!(eight_digits_value(v), want, "{bytes:?}");
            }
        }
        for d in ["00000000", "99999999", "12345678", "16555644"] {
            let v = u64::from_le_bytes(d.as_bytes().try_into().unwrap());
            assert!(eight_digits(v));
            assert_eq!(eight_digits_value(v), d.parse::<u64>().unwrap());
        }
    }

    #[test]
    fn plain_records_take_the_fast_path() {
        let a = br#"{"user":"Santosh.Clayton@test.com","timestamp":1655564444103,"x":-1.0,"y":-0.0,"z":0.0}"#;
        assert_eq!(
            accelerometer(a),
            Some((
                b"Santosh.Clayton@test.com".as_slice(),
                1655564444103,
                Some(-1.0),
                Some(-0.0),
                Some(0.0)
            ))
        );
        assert!(agree(Source::Accelerometer, a));
        // The real exports' layout takes the exported layout's path, both shapes; one blank does not.
        assert!(accelerometer_as_exported(a).is_some());
        let real = br#"{"sensorReadingTime":1655564444103,"serialNumber":"50f7b4f3-7af5-4b07-a421-7b902c8d2b7c","distanceFromObject":218}"#;
        assert_eq!(
            step_trainer_as_exported(real),
            Some((
                1655564444103,
                b"50f7b4f3-7af5-4b07-a421-7b902c8d2b7c".as_slice(),
                Some(218)
            ))
        );
        assert!(agree(Source::StepTrainer, real));
        let spaced = br#"{"user":"a","timestamp":1, "x":1.0,"y":null,"z":2}"#;
        assert!(accelerometer_as_exported(spaced).is_none() && agree(Source::Accelerometer, spaced));
        let s = br#" { "sensorReadingTime" : 1655564444103 , "serialNumber":"a-b","distanceFromObject":null } "#;
        assert_eq!(step_trainer(s), Some((1655564444103, b"a-b".as_slice(), None)));
        assert!(agree(Source::StepTrainer, s));
        // Keys in any order, optional keys absent.
        assert!(!agree(
            Source::Accelerometer,
            br#"{"z":1e3,"timestamp":-0,"user":"\u00e9"}"#
        ));
        assert!(agree(
            Source::Accelerometer,
            r#"{"z":1e3,"timestamp":-0,"user":"é"}"#.as_bytes()
        ));
    }

    #[test]
    fn anything_unusual_is_left_to_serde() {
        for r in [
            &br#"{"user":"a","timestamp":1,"x":1,"x":2}"#[..], // repeated key
            br#"{"User":"a","timestamp":1}"#,                  // another case
            br#"{"user":"a","timestamp":1,"extra":1}"#,        // unknown key
            br#"{"user":"","timestamp":1}"#,                   // empty identifier
            br#"{"user":"a\"b","timestamp":1}"#,               // escape
            br#"{"user":"a","timestamp":1.0}"#,                // epoch with a fraction
            br#"{"user":"a","timestamp":9223372036854775808}"#,
            br#"{"user":"a","timestamp":1,"x":1e400}"#,
            br#"{"user":"a","timestamp":01}"#,
            br#"{"user":"a","timestamp":1,"x":.5}"#,
            br#"{"user":"a","timestamp":1,"x":1.}"#,
            br#"{"user":"a","timestamp":1,"x":+1}"#,
            br#"{"user":"a","timestamp":1,}"#,
            br#"{"user":"a","timestamp":1} x"#,
            br#"{"user":"a","timestamp":1,"x":[1]}"#,
            br#"{"user":"a","timestamp":null}"#,
            br#"{"user":null,"timestamp":1}"#,
            br#"{"timestamp":1}"#,
            br#"{}"#,
            b"{\"user\":\"a\x01\",\"timestamp\":1}",
            b"{\"user\":\"a\xff\",\"timestamp\":1}",
            br#"{"user":"a","timestamp":1"#,
        ] {
            assert!(!agree(Source::Accelerometer, r), "{}", String::from_utf8_lossy(r));
        }
    }

    /// Every cut-off prefix of the real records is left to serde by the exported layout's path
    /// (the last line of a truncated file reaches the decoder as it is), and every one-byte
    /// deletion or replacement decodes the same both ways.
    #[test]
    fn damaged_real_records_decode_the_same_both_ways() {
        let records: [(Source, &[u8]); 2] = [
            (
                Source::Accelerometer,
                br#"{"user":"Santosh.Clayton@test.com","timestamp":1655564444103,"x":-1.0,"y":-0.0,"z":0.0}"#,
            ),
            (
                Source::StepTrainer,
                br#"{"sensorReadingTime":1655564444103,"serialNumber":"50f7b4f3-7af5-4b07-a421-7b902c8d2b7c","distanceFromObject":218}"#,
            ),
        ];
        for (source, record) in records {
            assert!(takes_exported_path(source, record));
            for end in 0..record.len() {
                let prefix = &record[..end];
                assert!(
                    !takes_exported_path(source, prefix),
                    "{}",
                    String::from_utf8_lossy(prefix)
                );
                agree(source, prefix);
            }
            for at in 0..record.len() {
                let mut r = record.to_vec();
                r.remove(at);
                agree(source, &r);
                for b in [b',', b' ', b'}', b'"', b'X', 0xc3, b'0', b'\\'] {
                    let mut r = record.to_vec();
                    r[at] = b;
                    agree(source, &r);
                }
            }
        }
    }

    /// An id that is not UTF-8 goes to serde (and is quarantined there) even right after a valid
    /// one it starts like: only bytes equal to the string interned last skip the UTF-8 check.
    #[test]
    fn ids_that_are_not_utf8_are_checked_after_valid_ones() {
        let (mut fast, mut slow) = (Landing::default(), Landing::default());
        let records: [(Source, &[u8]); 8] = [
            (
                Source::Accelerometer,
                "{\"user\":\"a\u{e9}\",\"timestamp\":1}".as_bytes(),
            ),
            (Source::Accelerometer, b"{\"user\":\"a\xc3\",\"timestamp\":2}"),
            (
                Source::Accelerometer,
                "{\"user\":\"a\u{e9}\",\"timestamp\":3}".as_bytes(),
            ),
            (Source::Accelerometer, b"{\"user\":\"a\xc3\xa9\xff\",\"timestamp\":4}"),
            (
                Source::Accelerometer,
                "{\"user\":\"a\u{e9}\",\"timestamp\":5}".as_bytes(),
            ),
            (Source::StepTrainer, br#"{"sensorReadingTime":1,"serialNumber":"s"}"#),
            (
                Source::StepTrainer,
                b"{\"sensorReadingTime\":2,\"serialNumber\":\"s\x80\"}",
            ),
            (Source::StepTrainer, br#"{"sensorReadingTime":3,"serialNumber":"s"}"#),
        ];
        let mut rejected = Vec::new();
        for (source, r) in records {
            let (a, b) = (
                decode_into(source, r, &mut fast),
                decode_with_serde_only(source, r, &mut slow),
            );
            assert_eq!(a, b, "{}", String::from_utf8_lossy(r));
            if let Err(e) = a {
                rejected.push(e.reason);
            }
        }
        assert_eq!(rejected.len(), 3, "the three ids that are not UTF-8: {rejected:?}");
        assert_eq!(fast.accelerometer.timestamp.iter().collect::<Vec<_>>(), [1, 3, 5]);
        assert_eq!(fast.step_trainer.sensor_reading_time.iter().collect::<Vec<_>>(), [1, 3]);
        assert_eq!((fast.emails.len(), fast.serials.len()), (1, 1));
        assert_eq!((fast.emails.get(0), fast.serials.get(0)), ("a\u{e9}", "s"));
    }

    /// Records built from pieces real and hostile exports use, in random order and spacing; every
    /// one decodes the same both ways, and most plain ones take the fast path.
    #[test]
    fn generated_records_decode_the_same_both_ways() {
        const NUMBERS: &[&str] = &[
            "0",
            "-0",
            "7",
            "-12",
            "1655564444103",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "18446744073709551616",
            "123456789012345678901234567890",
            "0.1",
            "-0.0",
            "1.5e3",
            "1E-400",
            "1e400",
            "-1e308",
            "2.2250738585072011e-308",
            "4.9406564584124654e-324",
            "0.30000000000000004",
            "1.7976931348623157e308",
            "9007199254740993",
            "1655564444103.000",
            "1.655564444103e12",
            "01",
            "1.",
            ".5",
            "+1",
            "1e",
            "-",
            "0x10",
            "NaN",
            "Infinity",
            "null",
            "true",
            "\"1\"",
            "[1]",
            "{}",
        ];
        const STRINGS: &[&str] = &[
            "\"a@b.c\"",
            "\"\"",
            "\"Ünïcode\"",
            "\"tab\\there\"",
            "\"\\u0041\"",
            "null",
            "1",
            "\"x\"",
        ];
        const BLANKS: &[&str] = &["", " ", "\n", "\t", "\r\n  "];
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut fast, mut total, mut as_exported) = (0, 0, 0);
        let (mut seq_fast, mut seq_slow) = (Landing::default(), Landing::default());
        for source in [Source::Accelerometer, Source::StepTrainer] {
            let keys: &[(&str, bool)] = match source {
                Source::Accelerometer => &[
                    ("user", true),
                    ("timestamp", false),
                    ("x", false),
                    ("y", false),
                    ("z", false),
                ],
                _ => &[
                    ("sensorReadingTime", false),
                    ("serialNumber", true),
                    ("distanceFromObject", false),
                ],
            };
            for _ in 0..10_000 {
                let mut fields: Vec<String> = Vec::new();
                let plain = rng.u8(..) < 160;
                // Keys in the exports' order without blanks (the exported layout's path), often.
                let exported = rng.u8(..) < 64;
                for &(k, is_str) in keys {
                    if !plain && rng.u8(..) < 40 {
                        continue; // absent
                    }
                    let pool = if is_str { STRINGS } else { NUMBERS };
                    let v = if plain {
                        pool[rng.usize(..3)]
                    } else {
                        pool[rng.usize(..pool.len())]
                    };
                    let key = if !plain && rng.u8(..) < 10 {
                        k.to_uppercase()
                    } else {
                        k.to_owned()
                    };
                    let [b0, b1, b2, b3] =
                        [(); 4].map(|_| BLANKS[if exported { 0 } else { rng.usize(..BLANKS.len()) }]);
                    fields.push(format!("{b0}\"{key}\"{b1}:{b2}{v}{b3}"));
                    if !plain && rng.u8(..) < 8 {
                        fields.push(fields.last().unwrap().clone()); // repeated
                    }
                }
                if !exported {
                    rng.shuffle(&mut fields);
                }
                let mut rec = format!("{{{}}}", fields.join(",")).into_bytes();
                if !plain && rng.u8(..) < 10 {
                    // A stray byte anywhere, also inside a multi-byte character.
                    let at = rng.usize(1..rec.len());
                    rec.insert(at, b",} \"\xc3"[rng.usize(..5)]);
                }
                if rng.u8(..) < 12 {
                    // An id that is not UTF-8 but starts like the valid one before it.
                    if let Some(at) = rec.windows(5).position(|w| w == b"a@b.c") {
                        rec.insert(at + [3, 5][rng.usize(..2)], [0xc3, 0xff][rng.usize(..2)]);
                    }
                }
                total += 1;
                fast += agree(source, &rec) as usize;
                let took_exported = takes_exported_path(source, &rec);
                // Plain values (an empty id aside) in the exports' layout: that path, every time.
                let empty_id = rec.windows(3).any(|w| w == b":\"\"");
                if exported && plain && !empty_id {
                    assert!(took_exported, "{}", String::from_utf8_lossy(&rec));
                }
                as_exported += took_exported as usize;
                // The same records one after the other into one landing each way, so that the
                // interners' last string is the previous record's (as in a real file).
                let text = String::from_utf8_lossy(&rec);
                let a = decode_into(source, &rec, &mut seq_fast);
                assert_eq!(a, decode_with_serde_only(source, &rec, &mut seq_slow), "{text}");
            }
        }
        assert_same(&seq_fast, &seq_slow, "the generated records in sequence");
        // Plain records (most of them) must not all fall back: the fast path is the point; and
        // records laid out as exported must take the exported layout's path.
        assert!(fast > total / 3, "{fast} of {total} took the fast path");
        assert!(
            as_exported > total / 20,
            "{as_exported} of {total} took the exported layout's path"
        );
    }

    /// Doubles and epochs of every length and shape: each must read to the same bits as serde's.
    #[test]
    fn numbers_read_to_the_same_bits_as_serde() {
        let mut rng = fastrand::Rng::with_seed(11);
        for _ in 0..30_000 {
            let len = rng.usize(1..=21);
            let mut t: String = (0..len).map(|_| char::from(b'0' + rng.u8(..10))).collect();
            if t.len() > 1 && rng.bool() {
                t = t.trim_start_matches('0').to_owned(); // mostly valid JSON, sometimes `0`-led
                if t.is_empty() {
                    t.push('0');
                }
            }
            if rng.u8(..) < 160 && t.len() > 1 {
                t.insert(rng.usize(1..t.len()), '.');
            }
            if rng.u8(..) < 30 {
                t.push_str(&format!("e{}", rng.i32(-330..330)));
            }
            if rng.bool() {
                t.insert(0, '-');
            }
            let x = format!(r#"{{"user":"a","timestamp":1,"x":{t},"y":null,"z":{t}}}"#);
            agree(Source::Accelerometer, x.as_bytes());
            let ts = format!(r#"{{"sensorReadingTime":{t},"serialNumber":"s","distanceFromObject":{t}}}"#);
            agree(Source::StepTrainer, ts.as_bytes());
        }
    }
}

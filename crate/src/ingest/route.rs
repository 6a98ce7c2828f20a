//! Every routing rule: which source a landing file belongs to, and how that was decided
//! (`Ingest` applies them while it reads: [`on_open`] when a file opens, [`by_keys`] on its
//! records until one tells, within `ROUTING_LOOKAHEAD_BYTES`).
//! In order: a source the user gave (moved the file) wins; else the path (the file name first,
//! then the nearest folder: `landing/customer/x.json`, `accelerometer-1691348231445.json`,
//! `step_trainer/…`); else the keys of the first record that has telling keys, looked for within
//! the first `ROUTING_LOOKAHEAD_BYTES` of records (`ingest::Ingest` applies that look-ahead while
//! it reads); else the file is unrouted. [`sniff`] applies the same rules to a file's first bytes
//! for listing files before a run.

use super::record::Rejection;
use super::split::{Piece, Splitter};
use super::text;
use crate::model::Source;

/// How a file's source was decided (`FileReport.routed_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoutedBy {
    /// The user (or the caller) named the source.
    Given,
    /// The file name or a folder name.
    Path,
    /// The keys of the file's first telling record.
    Keys,
    /// Not routed: the file is not STEDI landing data (its records are quarantined `unrouted`).
    None,
}

impl RoutedBy {
    /// Every decision.
    pub const ALL: [RoutedBy; 4] = [RoutedBy::Given, RoutedBy::Path, RoutedBy::Keys, RoutedBy::None];

    /// The name written in reports: `given`, `path`, `keys` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            RoutedBy::Given => "given",
            RoutedBy::Path => "path",
            RoutedBy::Keys => "keys",
            RoutedBy::None => "none",
        }
    }
}

/// How a file is routed when it is opened: a source the caller gives wins (the user moved the
/// file), else its path; `(None, RoutedBy::None)` means "not yet": [`by_keys`] decides from its
/// records, within the look-ahead `Ingest` applies.
pub fn on_open(name: &str, given: Option<Source>) -> (Option<Source>, RoutedBy) {
    match given {
        Some(s) => (Some(s), RoutedBy::Given),
        None => match by_path(name) {
            Some(s) => (Some(s), RoutedBy::Path),
            None => (None, RoutedBy::None),
        },
    }
}

/// The source a path names, looking at the file name and then each folder from the deepest up.
pub fn by_path(path: &str) -> Option<Source> {
    path.rsplit(['/', '\\']).find_map(by_component)
}

fn by_component(part: &str) -> Option<Source> {
    let p = part.to_ascii_lowercase().replace(['-', ' '], "_");
    if p.contains("step_trainer") || p.contains("steptrainer") {
        Some(Source::StepTrainer)
    } else if p.contains("accelerometer") {
        Some(Source::Accelerometer)
    } else if p.contains("customer") {
        Some(Source::Customer)
    } else {
        None
    }
}

/// Which source a record's keys belong to (used to route a file that has no telling folder name),
/// keys compared without regard to ASCII case. `Err` when the bytes are not a JSON object.
pub fn by_keys(bytes: &[u8]) -> Result<Option<Source>, Rejection> {
    let keys: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(bytes).map_err(Rejection::from_serde)?;
    let keys: std::collections::BTreeSet<String> = keys.into_keys().map(|k| k.to_ascii_lowercase()).collect();
    let has = |k: &str| keys.contains(k);
    Ok(if has("sensorreadingtime") {
        Some(Source::StepTrainer)
    } else if has("user") && has("timestamp") {
        Some(Source::Accelerometer)
    } else if has("email") && (has("customername") || has("sharewithresearchasofdate") || has("serialnumber")) {
        Some(Source::Customer)
    } else {
        None
    })
}

/// Where a file would be routed, judged from its name and its first bytes (for listing files
/// before a run; the run itself decides with [`super::Ingest`]). Returns the source and how it was
/// decided (`path`, `keys` or `none`).
pub fn sniff(name: &str, head: &[u8]) -> (Option<Source>, RoutedBy) {
    if let Some(s) = by_path(name) {
        return (Some(s), RoutedBy::Path);
    }
    let mut found = None;
    let mut splitter = Splitter::new();
    let mut look = |piece: Piece<'_>| {
        if let (None, Piece::Record { bytes, .. }) = (found, piece) {
            found = by_keys(bytes).ok().flatten();
        }
    };
    match text::sniff(&head[..head.len().min(text::SNIFF_BYTES)]) {
        text::Kind::Utf8 { bom } => splitter.feed(&head[bom.min(head.len())..], &mut look),
        text::Kind::Utf16 { big_endian } => {
            let mut d = text::Utf16Decoder::new(big_endian);
            splitter.feed(d.decode(&head[2..], false), &mut look)
        }
        text::Kind::Binary(_) => {}
    }
    (
        found,
        if found.is_some() {
            RoutedBy::Keys
        } else {
            RoutedBy::None
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_keys_reads_the_telling_keys_in_any_case() {
        assert_eq!(
            by_keys(br#"{"sensorReadingTime":1,"serialNumber":"s"}"#).unwrap(),
            Some(Source::StepTrainer)
        );
        assert_eq!(
            by_keys(br#"{"user":"u","timeStamp":1}"#).unwrap(),
            Some(Source::Accelerometer)
        );
        assert_eq!(
            by_keys(br#"{"email":"e","customerName":"n"}"#).unwrap(),
            Some(Source::Customer)
        );
        assert_eq!(by_keys(br#"{"id":1}"#).unwrap(), None);
        assert!(by_keys(b"a,b,c").is_err());
    }

    #[test]
    fn file_name_then_nearest_folder() {
        assert_eq!(
            by_path("landing/customer/customer-1691348231425.json"),
            Some(Source::Customer)
        );
        assert_eq!(by_path("x/Step-Trainer/part1.json"), Some(Source::StepTrainer));
        assert_eq!(by_path("accelerometer/landing/a.json"), Some(Source::Accelerometer));
        assert_eq!(by_path("customer/accelerometer-1.json"), Some(Source::Accelerometer));
        assert_eq!(by_path("C:\\data\\customer\\x.json"), Some(Source::Customer));
        assert_eq!(by_path("upload/data.json"), None);
    }
}

//! The typed vocabulary (sources, quarantine reasons, routing decisions, encodings, zones,
//! tables) has one spelling everywhere: each enum's serde name is its `as_str`/`name`, every
//! variant is in its `ALL` list (checked against the serde names of all variants that parse), and
//! the TypeScript unions the bindings publish (`crate/src/wasm.rs`) list exactly these names.
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeSet;

use serde::{de::DeserializeOwned, Serialize};
use stedi_lake::catalog::{TableId, Zone};
use stedi_lake::ingest::{Encoding, Reason, RoutedBy};
use stedi_lake::Source;

const BINDINGS: &str = include_str!("../src/wasm.rs");

/// The quoted names of the TypeScript union that follows `after` in the bindings' declarations.
fn ts_union(after: &str) -> BTreeSet<String> {
    let start = BINDINGS.find(after).unwrap_or_else(|| panic!("{after} is declared")) + after.len();
    let end = start + BINDINGS[start..].find(';').expect("the union ends");
    BINDINGS[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Serde names of `all`, checked against `name`, each parsing back to its variant.
fn names<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug + Copy>(
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> BTreeSet<String> {
    all.iter()
        .map(|&v| {
            let json = serde_json::to_string(&v).unwrap();
            assert_eq!(json, format!("\"{}\"", name(v)), "{v:?}");
            assert_eq!(serde_json::from_str::<T>(&json).unwrap(), v);
            name(v).to_owned()
        })
        .collect()
}

#[test]
fn every_name_is_spelt_once_and_published_as_typed() {
    let reasons = names(&Reason::ALL, Reason::as_str);
    assert_eq!(reasons.len(), Reason::ALL.len(), "no two reasons share a name");
    assert_eq!(reasons, ts_union("export type Reason ="));
    assert_eq!(names(&Source::ALL, Source::name), ts_union("export type Source ="));
    assert_eq!(names(&Zone::ALL, Zone::name), ts_union("export type Zone ="));
    assert_eq!(names(&TableId::ALL, TableId::name), ts_union("export type TableName ="));
    assert_eq!(names(&RoutedBy::ALL, RoutedBy::as_str), ts_union("routed_by:"));
    assert_eq!(names(&Encoding::ALL, Encoding::as_str), ts_union("encoding:"));
}

/// Compiles only while these matches are exhaustive: a new variant stops the build here until it
/// is added to its `ALL` list (and so to the checks above).
#[test]
fn the_all_lists_are_complete() {
    let reason = |r: Reason| match r {
        Reason::MalformedJson
        | Reason::NotAnObject
        | Reason::MissingRequired
        | Reason::WrongType
        | Reason::DuplicateKey
        | Reason::TooLong
        | Reason::Truncated
        | Reason::Binary
        | Reason::Unrouted => Reason::ALL.contains(&r),
    };
    let routed = |r: RoutedBy| match r {
        RoutedBy::Given | RoutedBy::Path | RoutedBy::Keys | RoutedBy::None => RoutedBy::ALL.contains(&r),
    };
    let encoding = |e: Encoding| match e {
        Encoding::Utf8 | Encoding::Utf16Le | Encoding::Utf16Be | Encoding::Binary => Encoding::ALL.contains(&e),
    };
    let zone = |z: Zone| match z {
        Zone::Landing | Zone::Trusted | Zone::Curated => Zone::ALL.contains(&z),
    };
    assert!(Reason::ALL.len() == 9 && Reason::ALL.iter().all(|&r| reason(r)));
    assert!(RoutedBy::ALL.len() == 4 && RoutedBy::ALL.iter().all(|&r| routed(r)));
    assert!(Encoding::ALL.len() == 4 && Encoding::ALL.iter().all(|&e| encoding(e)));
    assert!(Zone::ALL.len() == 3 && Zone::ALL.iter().all(|&z| zone(z)));
}

//! The S3 transfer manifest (format `stedi-lake-manifest`, version 1): which landing objects to
//! read through presigned GET URLs, where each output goes through presigned PUT or multipart
//! URLs, and which stale objects of each table folder it writes go through presigned DELETEs.
//! `stedi-lake presign` writes it (native, with credentials); the page reads it through
//! [`Manifest::parse`] (in wasm), so the format and its checks are defined once, here.
//! Documented in `docs/manifest.md`.
//!
//! Messages never contain a URL: a presigned URL is a bearer credential.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::Source;
use crate::output::Output;

/// The manifest's `format` field: a manifest must carry exactly this.
pub const FORMAT: &str = "stedi-lake-manifest";
/// The one `version` this build reads and writes; other versions are refused.
pub const VERSION: u32 = 1;
/// S3's smallest part in bytes (5 MiB), for all parts but the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's largest part count of a multipart upload (10,000).
pub const MAX_PARTS: usize = 10_000;
/// The largest object a single PUT may carry, in bytes (5 GiB, S3's limit).
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// A transfer plan as written to `manifest.json` (field names are the JSON keys; unknown keys are
/// refused). Build one with `stedi-lake presign`, load one with [`Manifest::parse`].
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// `s3://bucket/prefix`: the DDL's LOCATION prefix (no credentials in it).
    pub location: String,
    /// The AWS region the URLs were signed for (`us-east-1`).
    pub region: String,
    /// RFC 3339 UTC (`2026-11-28T05:19:51Z`): when the URLs were signed.
    pub created: String,
    /// RFC 3339 UTC: when every URL stops working (`created` plus `presign --expires`).
    pub expires: String,
    /// The landing objects to read, in key order.
    pub landing: Vec<LandingObject>,
    /// Keys under the prefix that are not landing data, with why (so nothing is silently ignored).
    #[serde(default)]
    pub skipped: Vec<Skipped>,
    /// One upload target per output the page uploads (derived tables, DDL, reports).
    pub outputs: Vec<OutputTarget>,
}

/// One landing object to read through its presigned GET.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LandingObject {
    /// The full S3 key (prefix included): `stedi/landing/customer/customer-1.json`.
    pub key: String,
    /// `customer`, `accelerometer`, `step_trainer`, or null to route by the records' keys.
    pub source: Option<String>,
    /// Object size in bytes, as ListObjectsV2 reported it.
    pub size: u64,
    /// Presigned GET.
    pub get: String,
}

/// A key under the prefix that is not read, with why: the landing rule of `ingest/select.rs`, a
/// folder marker (a key ending in `/`), or a key with `.`/`..` segments no presigned URL can address.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Skipped {
    /// The full S3 key.
    pub key: String,
    /// Why it is not landing data, as a sentence (`written by stedi-lake (…), never landing data`).
    pub reason: String,
}

/// Where one engine output goes and the presigned requests that put it there.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OutputTarget {
    /// The engine's output path (`trusted/customer_trusted/part-00000.parquet`, `summary.json`, …).
    pub path: String,
    /// The full S3 key it is written to: `<prefix>/<path>`.
    pub key: String,
    /// The Content-Type the PUT URL (and the multipart upload) was signed for; send exactly this.
    pub content_type: String,
    /// Presigned single PUT.
    pub put: String,
    /// An upload already created by `presign`, for outputs larger than one part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub multipart: Option<Multipart>,
    /// Tables only: the other objects that were in this output's table folder when `presign`
    /// listed the prefix (an earlier run's `part-00001.parquet`, a leftover sub-folder). An upload
    /// replaces the objects of each table folder it writes, and only those: once this output is
    /// uploaded, each is deleted, so the folder (what Athena and Spark read) holds exactly this
    /// run's table. Absent or empty: nothing to delete (manifests written before the field).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale: Vec<StaleObject>,
}

/// An object to delete after its table's upload succeeded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StaleObject {
    /// Below the table folder of its output (`<prefix>/<zone>/<table>/…`), never the output's own key.
    pub key: String,
    /// Presigned DeleteObject (HTTP DELETE) for exactly this key.
    pub delete: String,
}

/// A multipart upload `presign` already created (CreateMultipartUpload) for one table output.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Multipart {
    /// S3's UploadId of that upload.
    pub upload_id: String,
    /// Every part but the last is exactly this long, in bytes (at least [`MIN_PART_SIZE`]).
    pub part_size: u64,
    /// Presigned UploadPart URLs for part numbers 1, 2, …
    pub parts: Vec<String>,
    /// Presigned CompleteMultipartUpload (POST).
    pub complete: String,
    /// Presigned AbortMultipartUpload (DELETE).
    pub abort: String,
}

/// How an output of `size` bytes should travel, by the rule the page and the docs share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// One PUT; abort the prepared multipart upload if there is one.
    Single,
    /// This many parts of the multipart upload.
    Multipart {
        /// Parts to send (2 or more, at most the manifest's part URLs), each `part_size` bytes but the last.
        parts: usize,
    },
}

impl OutputTarget {
    /// How to upload this output once it is `size` bytes: [`Plan::Multipart`] when it has a
    /// multipart upload and needs 2 or more parts of `part_size` and the manifest signed that many;
    /// otherwise [`Plan::Single`]. Errors (naming the path and size, no URL) when it needs more
    /// parts than were signed (or has no multipart upload) and is over [`MAX_SINGLE_PUT`].
    pub fn plan(&self, size: u64) -> crate::Result<Plan> {
        if let Some(m) = &self.multipart {
            let parts = size.div_ceil(m.part_size).max(1) as usize;
            if parts > 1 && parts <= m.parts.len() {
                return Ok(Plan::Multipart { parts });
            }
        }
        if size > MAX_SINGLE_PUT {
            return Err(Error::Manifest(format!(
                "{} is {size} bytes: more than one PUT carries and more parts than the manifest has; \
                 presign again with a larger --part-size or --max-output-size",
                self.path
            )));
        }
        Ok(Plan::Single)
    }
}

impl Manifest {
    /// Parse and [`check`](Manifest::check) a manifest's JSON text. Errors (`not a stedi-lake
    /// manifest: …` for JSON that is not this shape, unknown fields included) name the field, never a URL.
    pub fn parse(text: &str) -> crate::Result<Manifest> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| {
            // serde_json's messages quote at most a field name or a type, never string values.
            Error::Manifest(format!("not a stedi-lake manifest: {e}"))
        })?;
        m.check()?;
        Ok(m)
    }

    /// The manifest rules (docs/manifest.md, "Format"): [`FORMAT`] and [`VERSION`], a location the
    /// DDL accepts ([`crate::ddl::check_location`]), known sources, http(s) URLs, each output an
    /// engine output listed once with its own Content-Type, multipart parts of at least
    /// [`MIN_PART_SIZE`] and 1 to [`MAX_PARTS`] part URLs, and stale objects only below their own
    /// table folder. Errors name the first broken field (`outputs[3] (summary.json): …`), never a URL.
    pub fn check(&self) -> crate::Result<()> {
        self.check_rules().map_err(Error::Manifest)
    }

    fn check_rules(&self) -> Result<(), String> {
        if self.format != FORMAT {
            return Err(format!(
                "not a stedi-lake manifest: format is {:?}, expected {FORMAT:?}",
                self.format
            ));
        }
        if self.version != VERSION {
            return Err(format!(
                "manifest version {} is not supported (this build reads version {VERSION})",
                self.version
            ));
        }
        // The DDL's rule (bucket naming, safe prefix), so a bad location is refused on load; the
        // message echoes the value, redacted in case a presigned URL was pasted there.
        crate::ddl::check_location(&self.location).map_err(|e| redact_in_text(&format!("manifest {e}")))?;
        for (i, o) in self.landing.iter().enumerate() {
            check_url(&o.get, &format!("landing[{i}] ({}) get", o.key))?;
            if let Some(s) = &o.source {
                Source::parse(s).ok_or_else(|| format!("landing[{i}] ({}): unknown source {s:?}", o.key))?;
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, o) in self.outputs.iter().enumerate() {
            let what = format!("outputs[{i}] ({})", o.path);
            let out = Output::parse(&o.path).ok_or_else(|| format!("{what}: not an output this engine writes"))?;
            if !seen.insert(&o.path) {
                return Err(format!("{what}: listed twice"));
            }
            if o.content_type != out.content_type() {
                return Err(format!("{what}: content_type must be {}", out.content_type()));
            }
            check_url(&o.put, &format!("{what} put"))?;
            self.check_stale(o, out, &what)?;
            if let Some(m) = &o.multipart {
                if m.part_size < MIN_PART_SIZE {
                    return Err(format!(
                        "{what}: part_size {} is below S3's minimum of 5 MiB",
                        m.part_size
                    ));
                }
                if m.parts.is_empty() || m.parts.len() > MAX_PARTS {
                    return Err(format!("{what}: multipart needs 1 to {MAX_PARTS} part URLs"));
                }
                for (n, p) in m.parts.iter().enumerate() {
                    check_url(p, &format!("{what} part {}", n + 1))?;
                }
                check_url(&m.complete, &format!("{what} complete"))?;
                check_url(&m.abort, &format!("{what} abort"))?;
            }
        }
        Ok(())
    }
}

impl Manifest {
    /// The stale-object rule: only table outputs delete, only below their own table folder (the
    /// folder of the output's key), never the output's key itself nor a landing object, and each
    /// DELETE URL addresses exactly its key (a key with `.`/`..` segments would be normalised by
    /// URL parsing into another key).
    fn check_stale(&self, o: &OutputTarget, out: Output, what: &str) -> Result<(), String> {
        if o.stale.is_empty() {
            return Ok(());
        }
        if !matches!(out, Output::Parquet(_) | Output::Ndjson(_)) {
            return Err(format!("{what}: only table outputs may list stale objects"));
        }
        let folder = match o.key.rfind('/') {
            Some(i) => &o.key[..=i],
            None => return Err(format!("{what}: a table key has a folder")),
        };
        let bucket = self
            .location
            .strip_prefix("s3://")
            .map(|r| r.split('/').next().unwrap_or(r))
            .unwrap_or("");
        let landing: std::collections::BTreeSet<&str> = self.landing.iter().map(|l| l.key.as_str()).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (n, s) in o.stale.iter().enumerate() {
            let which = format!("{what} stale[{n}] ({})", s.key);
            if !s.key.starts_with(folder) || s.key.len() == folder.len() || s.key == o.key {
                return Err(format!("{which}: not an object below the table folder {folder}"));
            }
            if landing.contains(s.key.as_str()) {
                return Err(format!("{which}: a landing object is never deleted"));
            }
            if !seen.insert(&s.key) {
                return Err(format!("{which}: listed twice"));
            }
            check_url(&s.delete, &format!("{which} delete"))?;
            if !url_addresses(&s.delete, bucket, &s.key) {
                return Err(format!("{which}: the delete URL is not for this key"));
            }
        }
        Ok(())
    }
}

/// Whether a presigned object URL addresses exactly `key` of `bucket`, path-style
/// (`/bucket/key`) or virtual-hosted (`/key`), once its path is percent-decoded. False when URL
/// parsing changed the key (`a/../b` becomes `b`), so such a URL is never used to delete.
pub fn url_addresses(url: &str, bucket: &str, key: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let rest = &rest[..rest.find(['?', '#']).unwrap_or(rest.len())];
    let path = rest.find('/').map_or("/", |i| &rest[i..]);
    let Some(path) = percent_decode(path) else {
        return false;
    };
    path.strip_prefix('/')
        .is_some_and(|p| p == key || p.strip_prefix(bucket).and_then(|p| p.strip_prefix('/')) == Some(key))
}

/// `%XX` escapes decoded (UTF-8); None for a malformed escape or invalid UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn check_url(url: &str, what: &str) -> Result<(), String> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(())
    } else {
        Err(format!("{what}: not an http(s) URL"))
    }
}

/// Strip a presigned URL down to what can be shown or logged: scheme, host and path. The query
/// (the signature) and any user-info (`user:password@`) are removed.
/// The one redaction rule: the page applies it through the wasm binding `Lake.redactText`.
pub fn redact_url(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let (mut base, query) = (url[..end].to_string(), end < url.len());
    if let Some(scheme_end) = base.find("://").map(|i| i + 3) {
        let authority_end = base[scheme_end..].find('/').map_or(base.len(), |i| scheme_end + i);
        if let Some(at) = base[scheme_end..authority_end].rfind('@') {
            base.replace_range(scheme_end..scheme_end + at + 1, "[credentials removed]@");
        }
    }
    if query {
        format!("{base}?[signature removed]")
    } else {
        base
    }
}

/// [`redact_url`] applied to every http(s) URL inside a message (a library error, say).
pub fn redact_in_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("http://").into_iter().chain(rest.find("https://")).min() {
        out.push_str(&rest[..start]);
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | ')'))
            .unwrap_or(tail.len());
        out.push_str(&redact_url(&tail[..end]));
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(multipart: Option<Multipart>) -> OutputTarget {
        OutputTarget {
            path: "trusted/customer_trusted/part-00000.parquet".into(),
            key: "p/trusted/customer_trusted/part-00000.parquet".into(),
            content_type: "application/vnd.apache.parquet".into(),
            put: "http://h/b/k?X-Amz-Signature=abc".into(),
            multipart,
            stale: vec![],
        }
    }

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: 1,
            location: "s3://bkt/p".into(),
            region: "us-east-1".into(),
            created: "2026-01-01T00:00:00Z".into(),
            expires: "2026-01-01T01:00:00Z".into(),
            landing: vec![LandingObject {
                key: "p/landing/customer/c.json".into(),
                source: Some("customer".into()),
                size: 10,
                get: "https://b.s3.amazonaws.com/p/landing/customer/c.json?X-Amz-Signature=secret".into(),
            }],
            skipped: vec![],
            outputs: vec![target(None)],
        }
    }

    #[test]
    fn round_trips_and_checks() {
        let m = manifest();
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(Manifest::parse(&text).unwrap(), m);

        let mut bad = manifest();
        bad.version = 2;
        assert!(Manifest::parse(&serde_json::to_string(&bad).unwrap())
            .unwrap_err()
            .to_string()
            .contains("version 2"));
        let mut bad = manifest();
        bad.outputs[0].content_type = "text/plain".into();
        assert!(Manifest::parse(&serde_json::to_string(&bad).unwrap())
            .unwrap_err()
            .to_string()
            .contains("content_type"));
        let mut bad = manifest();
        bad.outputs[0].path = "../etc/passwd".into();
        assert!(Manifest::parse(&serde_json::to_string(&bad).unwrap())
            .unwrap_err()
            .to_string()
            .contains("not an output"));
        let mut bad = manifest();
        bad.landing[0].get = "javascript:alert(1)?X-Amz-Signature=secret".into();
        let err = Manifest::parse(&serde_json::to_string(&bad).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an http(s) URL") && !err.contains("secret"), "{err}");
        assert!(Manifest::parse("{\"format\": 1}")
            .unwrap_err()
            .to_string()
            .starts_with("not a stedi-lake manifest"));
    }

    #[test]
    fn a_location_the_ddl_refuses_is_refused_on_load() {
        for (loc, words) in [
            (
                "s3://bkt/x'; DROP TABLE t; --",
                "manifest location \"s3://bkt/x'; DROP TABLE t; --\": '\\'' at character 2",
            ),
            ("s3://Bad_Bucket/p", "manifest location \"s3://Bad_Bucket/p\": bucket"),
            ("s3://bkt/a\nb", "manifest location \"s3://bkt/a\\nb\""),
            (
                "https://b.s3.amazonaws.com/p?X-Amz-Signature=secret",
                "the scheme \"https\" is not s3",
            ),
        ] {
            let mut bad = manifest();
            bad.location = loc.into();
            let err = Manifest::parse(&serde_json::to_string(&bad).unwrap())
                .unwrap_err()
                .to_string();
            assert!(err.contains(words) && !err.contains("secret"), "{loc:?}: {err}");
        }
    }

    #[test]
    fn stale_objects_are_deleted_only_below_their_own_table_folder() {
        let del = |k: &str| StaleObject {
            key: k.into(),
            delete: format!("http://h:9/bkt/{}?X-Amz-Signature=secret", k.replace(' ', "%20")),
        };
        let with = |stale: Vec<StaleObject>| {
            let mut m = manifest();
            m.outputs[0].stale = stale;
            serde_json::to_string(&m).unwrap()
        };
        let text = with(vec![
            del("p/trusted/customer_trusted/part-00001.parquet"),
            del("p/trusted/customer_trusted/ndjson/part 0.json"),
        ]);
        assert!(text.contains("\"stale\""));
        assert_eq!(Manifest::parse(&text).unwrap().outputs[0].stale.len(), 2);
        // Virtual-hosted URLs address the key without the bucket.
        let vh = StaleObject {
            key: "p/trusted/customer_trusted/x.parquet".into(),
            delete: "https://bkt.s3.amazonaws.com/p/trusted/customer_trusted/x.parquet?X-Amz-Signature=secret".into(),
        };
        assert!(Manifest::parse(&with(vec![vh])).is_ok());
        // A manifest written before the field (no `stale`) still parses.
        assert!(!serde_json::to_string(&manifest()).unwrap().contains("stale"));

        let traversal = StaleObject {
            key: "p/trusted/customer_trusted/../../landing/customer/c.json".into(),
            delete: "http://h:9/bkt/p/landing/customer/c.json?X-Amz-Signature=secret".into(),
        };
        let elsewhere = StaleObject {
            key: "p/trusted/customer_trusted/x.parquet".into(),
            delete: "http://h:9/bkt/p/landing/customer/c.json?X-Amz-Signature=secret".into(),
        };
        for (stale, words) in [
            (
                vec![del("p/trusted/customer_trusted_old/part-00000.parquet")],
                "not an object below the table folder p/trusted/customer_trusted/",
            ),
            (
                vec![del("p/trusted/customer_trusted/part-00000.parquet")],
                "not an object below",
            ),
            (vec![del("p/trusted/customer_trusted/")], "not an object below"),
            (vec![del("p/landing/customer/c.json")], "not an object below"),
            (
                vec![del("p/trusted/customer_trusted/a"), del("p/trusted/customer_trusted/a")],
                "listed twice",
            ),
            (vec![traversal], "the delete URL is not for this key"),
            (vec![elsewhere], "the delete URL is not for this key"),
        ] {
            let err = Manifest::parse(&with(stale)).unwrap_err().to_string();
            assert!(err.contains(words) && !err.contains("secret"), "{err}");
        }
        // A landing object is never deleted, even one inside a table folder.
        let mut m = manifest();
        m.landing[0].key = "p/trusted/customer_trusted/c.json".into();
        m.outputs[0].stale = vec![del("p/trusted/customer_trusted/c.json")];
        let err = Manifest::parse(&serde_json::to_string(&m).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a landing object is never deleted"), "{err}");
        // Only table outputs delete.
        let mut m = manifest();
        m.outputs.push(OutputTarget {
            path: "summary.json".into(),
            key: "p/summary.json".into(),
            content_type: "application/json".into(),
            put: "http://h/b/k".into(),
            multipart: None,
            stale: vec![del("p/trusted/customer_trusted/a")],
        });
        let err = Manifest::parse(&serde_json::to_string(&m).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("only table outputs"), "{err}");
    }

    #[test]
    fn a_url_addresses_its_key_only_after_decoding() {
        assert!(url_addresses(
            "http://h:1/bkt/a/b%20c%2Bd.json?x=1",
            "bkt",
            "a/b c+d.json"
        ));
        assert!(url_addresses(
            "https://bkt.s3.eu-west-1.amazonaws.com/a/%C3%A9.json",
            "bkt",
            "a/é.json"
        ));
        assert!(!url_addresses("http://h:1/bkt/a/b.json", "bkt", "a/c.json"));
        assert!(!url_addresses("http://h:1/bkt/b.json", "bkt", "a/../b.json"));
        assert!(!url_addresses("http://h:1/bkt/a/%zz", "bkt", "a/%zz"));
        assert!(!url_addresses("http://h:1/other/a/b.json", "bkt", "a/b.json"));
        assert!(!url_addresses("no scheme", "bkt", "a"));
    }

    #[test]
    fn plan_picks_multipart_only_when_it_has_enough_parts() {
        let mp = |parts: usize| Multipart {
            upload_id: "u".into(),
            part_size: MIN_PART_SIZE,
            parts: vec!["http://h/p".into(); parts],
            complete: "http://h/c".into(),
            abort: "http://h/a".into(),
        };
        assert_eq!(target(None).plan(10 * MIN_PART_SIZE), Ok(Plan::Single));
        assert_eq!(target(Some(mp(3))).plan(0), Ok(Plan::Single));
        assert_eq!(target(Some(mp(3))).plan(MIN_PART_SIZE), Ok(Plan::Single));
        assert_eq!(
            target(Some(mp(3))).plan(MIN_PART_SIZE + 1),
            Ok(Plan::Multipart { parts: 2 })
        );
        assert_eq!(
            target(Some(mp(3))).plan(3 * MIN_PART_SIZE),
            Ok(Plan::Multipart { parts: 3 })
        );
        assert_eq!(target(Some(mp(3))).plan(3 * MIN_PART_SIZE + 1), Ok(Plan::Single));
        assert!(target(Some(mp(3))).plan(MAX_SINGLE_PUT + 1).is_err());
    }

    #[test]
    fn redaction_keeps_host_and_path_only() {
        assert_eq!(
            redact_url("https://b.s3.amazonaws.com/p/k.json?X-Amz-Credential=AKIA&X-Amz-Signature=f00"),
            "https://b.s3.amazonaws.com/p/k.json?[signature removed]"
        );
        assert_eq!(redact_url("http://h/k"), "http://h/k");
        // User-info is a credential too; an '@' in the path is not user-info.
        assert_eq!(
            redact_url("https://me:s3cret@h:9/b/k@1?X-Amz-Signature=f00"),
            "https://[credentials removed]@h:9/b/k@1?[signature removed]"
        );
        assert_eq!(redact_url("https://h/a@b"), "https://h/a@b");
        assert_eq!(
            redact_in_text("GET \"http://h:1/b/k?X-Amz-Signature=f00\": refused; see https://x/y?a=1"),
            "GET \"http://h:1/b/k?[signature removed]\": refused; see https://x/y?[signature removed]"
        );
    }
}

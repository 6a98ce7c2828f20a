//! `stedi-lake presign` (native only): list the landing objects under `s3://bucket/prefix`, sign a
//! GET for each, and for every output a PUT (and, for tables, a multipart upload created now with
//! signed part/complete/abort URLs) — the [`Manifest`] the page runs from without credentials.
//!
//! Flow: credentials and region the way AWS tools find them (`aws_env`) → ListObjectsV2 pages
//! (signed by rusty-s3, sent by ureq) → landing keys classified by path → output keys in the Hive
//! layout → CreateMultipartUpload for table outputs that may exceed one part → signed URLs.
//! Signing is rusty-s3's; `tests/test_presign.py` checks its URLs equal boto3's.

use std::time::Duration;

use jiff::Timestamp;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::aws_env::{self, AwsSettings};
use crate::ingest::route;
use crate::lake::Output;
use crate::manifest::{self, LandingObject, Manifest, Multipart, OutputTarget, Skipped};
use crate::tables::TableId;

#[derive(Clone, Debug)]
pub struct PresignOptions {
    /// `s3://bucket[/prefix]`.
    pub location: String,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub profile: Option<String>,
    pub expires: Duration,
    pub part_size: u64,
    /// Largest output a multipart upload must hold; default twice the landing bytes.
    pub max_output_size: Option<u64>,
    pub ndjson: bool,
    /// Sign as of this instant instead of now (reproducible URLs for the boto3 cross-check).
    pub signing_time: Option<Timestamp>,
}

/// Where the prefix lives: bucket, key prefix without slashes at the ends.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Location {
    pub bucket: String,
    pub prefix: String,
}

impl S3Location {
    pub fn parse(s: &str) -> Result<S3Location, String> {
        let rest = s
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{s:?}: expected s3://bucket/prefix"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{s:?}: no bucket name"));
        }
        Ok(S3Location {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    /// The key of `rel` under the prefix.
    pub fn key(&self, rel: &str) -> String {
        if self.prefix.is_empty() {
            rel.to_string()
        } else {
            format!("{}/{rel}", self.prefix)
        }
    }

    pub fn uri(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The outputs a manifest offers: derived tables (Parquet, optionally NDJSON), all DDL and the
/// reports. Landing tables are not uploaded: the landing JSON is already in the bucket and the
/// landing DDL points at it.
pub fn uploaded_outputs(ndjson: bool) -> Vec<Output> {
    let derived = || TableId::ALL.into_iter().filter(|t| t.zone() != "landing");
    let mut v: Vec<Output> = derived().map(Output::Parquet).collect();
    if ndjson {
        v.extend(derived().map(Output::Ndjson));
    }
    v.extend(TableId::ALL.map(Output::Ddl));
    v.extend([Output::DdlAll, Output::Summary, Output::Quality, Output::Quarantine]);
    v
}

/// A landing object's source by its key relative to the prefix, or why it is not landing data.
/// Landing data is any object below a folder named `landing` (`landing/customer/…` or Udacity's
/// `customer/landing/…`); its source comes from the path as for dropped files, else (None) from
/// its records.
pub fn classify(rel: &str) -> Result<Option<&'static str>, &'static str> {
    if rel.ends_with('/') {
        return Err("folder marker");
    }
    let folders: Vec<&str> = rel.split('/').collect();
    let folders = &folders[..folders.len() - 1];
    if folders.iter().any(|f| f.eq_ignore_ascii_case("landing")) {
        Ok(route::by_path(rel).map(|s| s.name()))
    } else if Output::all().iter().any(|o| o.path() == rel) {
        Err("an output of an earlier run")
    } else {
        Err("not below a landing/ folder")
    }
}

pub fn presign(opts: &PresignOptions) -> Result<Manifest, String> {
    let loc = S3Location::parse(&opts.location)?;
    let aws = aws_env::settings(
        opts.profile.as_deref(),
        opts.region.as_deref(),
        opts.endpoint.as_deref(),
    )?;
    if opts.part_size < manifest::MIN_PART_SIZE {
        return Err(format!(
            "--part-size {}: S3 needs at least 5 MiB (5242880 bytes)",
            opts.part_size
        ));
    }
    let max_expiry = Duration::from_secs(7 * 24 * 3600);
    if opts.expires.is_zero() || opts.expires > max_expiry {
        return Err("--expires must be between 1 second and 7 days (SigV4's limit)".into());
    }
    let signer = Signer::new(&loc, &aws, opts)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();

    // Landing objects.
    let mut landing = Vec::new();
    let mut skipped = Vec::new();
    for (key, size) in list(&agent, &signer, &loc)? {
        let rel = key.strip_prefix(&loc.key("")).unwrap_or(&key);
        match classify(rel) {
            Ok(source) => landing.push(LandingObject {
                get: signer.get(&key),
                source: source.map(str::to_string),
                size,
                key,
            }),
            Err(reason) => skipped.push(Skipped {
                key,
                reason: reason.to_string(),
            }),
        }
    }
    let landing_bytes: u64 = landing.iter().map(|o| o.size).sum();
    let max_output = opts.max_output_size.unwrap_or(2 * landing_bytes);
    let parts = (max_output.div_ceil(opts.part_size) as usize).min(manifest::MAX_PARTS);

    // Output targets.
    let mut outputs = Vec::new();
    for out in uploaded_outputs(opts.ndjson) {
        let key = loc.key(&out.path());
        let content_type = out.content_type();
        let is_table = matches!(out, Output::Parquet(_) | Output::Ndjson(_));
        let multipart = if is_table && parts > 1 {
            let upload_id = create_multipart(&agent, &signer, &key, content_type)?;
            Some(signer.multipart(&key, &upload_id, opts.part_size, parts))
        } else {
            None
        };
        outputs.push(OutputTarget {
            path: out.path(),
            put: signer.put(&key, content_type),
            key,
            content_type: content_type.to_string(),
            multipart,
        });
    }

    let m = Manifest {
        format: manifest::FORMAT.into(),
        version: manifest::VERSION,
        location: loc.uri(),
        region: aws.region.clone(),
        created: signer.time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        expires: (signer.time + signer.expires)
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        landing,
        skipped,
        outputs,
    };
    m.check()?;
    Ok(m)
}

/// Signs every request of one run with the same credentials, clock and expiry.
struct Signer {
    bucket: Bucket,
    credentials: Credentials,
    time: Timestamp,
    expires: Duration,
}

impl Signer {
    fn new(loc: &S3Location, aws: &AwsSettings, opts: &PresignOptions) -> Result<Signer, String> {
        let endpoint = aws
            .endpoint
            .parse()
            .map_err(|e| format!("endpoint {:?}: {e}", aws.endpoint))?;
        let style = if opts.path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(endpoint, style, loc.bucket.clone(), aws.region.clone())
            .map_err(|e| format!("bucket {:?} at {:?}: {e}", loc.bucket, aws.endpoint))?;
        Ok(Signer {
            bucket,
            credentials: aws.credentials.clone(),
            time: opts.signing_time.unwrap_or_else(Timestamp::now),
            expires: opts.expires,
        })
    }

    fn sign<'a>(&self, action: impl S3Action<'a>) -> String {
        action.sign_with_time(self.expires, &self.time).to_string()
    }

    fn get(&self, key: &str) -> String {
        self.sign(self.bucket.get_object(Some(&self.credentials), key))
    }

    fn put(&self, key: &str, content_type: &str) -> String {
        let mut a = self.bucket.put_object(Some(&self.credentials), key);
        a.headers_mut().insert("content-type", content_type.to_string());
        self.sign(a)
    }

    fn multipart(&self, key: &str, upload_id: &str, part_size: u64, parts: usize) -> Multipart {
        let c = Some(&self.credentials);
        Multipart {
            upload_id: upload_id.to_string(),
            part_size,
            parts: (1..=parts)
                .map(|n| self.sign(self.bucket.upload_part(c, key, n as u16, upload_id)))
                .collect(),
            complete: self.sign(
                self.bucket
                    .complete_multipart_upload(c, key, upload_id, std::iter::empty()),
            ),
            abort: self.sign(self.bucket.abort_multipart_upload(c, key, upload_id)),
        }
    }
}

/// Every (key, size) under the prefix, across ListObjectsV2 pages.
fn list(agent: &ureq::Agent, signer: &Signer, loc: &S3Location) -> Result<Vec<(String, u64)>, String> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    let prefix = loc.key("");
    loop {
        let mut action = ListObjectsV2::new(&signer.bucket, Some(&signer.credentials));
        if !prefix.is_empty() {
            action.with_prefix(prefix.as_str());
        }
        if let Some(t) = &token {
            action.with_continuation_token(t.as_str());
        }
        let body = send(
            agent,
            "GET",
            &signer.sign(action),
            None,
            &format!("listing {}", loc.uri()),
        )?;
        let page = ListObjectsV2::parse_response(&body)
            .map_err(|e| format!("listing {}: unreadable ListObjectsV2 response: {e}", loc.uri()))?;
        for c in page.contents {
            out.push((decode_listed_key(&c.key)?, c.size));
        }
        match page.next_continuation_token {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(out),
        }
    }
}

/// Keys come form-URL-encoded (`encoding-type=url`: `+` is a space), as boto3 decodes them.
fn decode_listed_key(key: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(&key.replace('+', " "))
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| format!("listed key {key:?} is not UTF-8 once decoded"))
}

fn create_multipart(agent: &ureq::Agent, signer: &Signer, key: &str, content_type: &str) -> Result<String, String> {
    let mut action = CreateMultipartUpload::new(&signer.bucket, Some(&signer.credentials), key);
    action.headers_mut().insert("content-type", content_type.to_string());
    let body = send(
        agent,
        "POST",
        &signer.sign(action),
        Some(content_type),
        &format!("creating a multipart upload for s3://{}/{key}", signer.bucket.name()),
    )?;
    let resp = CreateMultipartUpload::parse_response(&body).map_err(|e| {
        format!(
            "s3://{}/{key}: unreadable CreateMultipartUpload response: {e}",
            signer.bucket.name()
        )
    })?;
    Ok(resp.upload_id().to_string())
}

/// Send one signed request; errors say what was being done and S3's code and message, never the URL.
fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    content_type: Option<&str>,
    what: &str,
) -> Result<String, String> {
    let result = match method {
        "GET" => agent.get(url).call(),
        _ => {
            let mut req = agent.post(url);
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            req.send_empty()
        }
    };
    let mut resp = result.map_err(|e| format!("{what}: {}", describe_transport_error(&e)))?;
    let status = resp.status().as_u16();
    let body = resp
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("{what}: reading the response: {}", describe_transport_error(&e)))?;
    if (200..300).contains(&status) {
        Ok(body)
    } else {
        Err(format!("{what}: HTTP {status} {}", s3_error(&body)))
    }
}

/// ureq's error text can include the request URL; keep only the kind of failure.
fn describe_transport_error(e: &ureq::Error) -> String {
    manifest::redact_in_text(&e.to_string())
}

/// `Code: Message` from an S3 XML error body.
fn s3_error(body: &str) -> String {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_string())
    };
    match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c,
        _ => "(no S3 error code in the response)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_and_keys() {
        let l = S3Location::parse("s3://bkt/a/b/").unwrap();
        assert_eq!(
            l,
            S3Location {
                bucket: "bkt".into(),
                prefix: "a/b".into()
            }
        );
        assert_eq!(l.key("landing/x.json"), "a/b/landing/x.json");
        assert_eq!(l.uri(), "s3://bkt/a/b");
        let root = S3Location::parse("s3://bkt").unwrap();
        assert_eq!(root.key("summary.json"), "summary.json");
        assert!(S3Location::parse("https://bkt/x").is_err());
        assert!(S3Location::parse("s3:///x").is_err());
    }

    #[test]
    fn landing_keys_are_classified_by_path() {
        assert_eq!(classify("landing/customer/customer-1.json"), Ok(Some("customer")));
        assert_eq!(classify("accelerometer/landing/part-1.json"), Ok(Some("accelerometer")));
        assert_eq!(classify("landing/data.json"), Ok(None));
        assert_eq!(classify("landing/"), Err("folder marker"));
        assert_eq!(
            classify("trusted/customer_trusted/part-00000.parquet"),
            Err("an output of an earlier run")
        );
        assert_eq!(classify("summary.json"), Err("an output of an earlier run"));
        assert_eq!(classify("notes/readme.txt"), Err("not below a landing/ folder"));
        // A file named landing is not a folder named landing.
        assert_eq!(classify("x/landing"), Err("not below a landing/ folder"));
    }

    #[test]
    fn uploads_derived_tables_ddl_and_reports_never_landing_tables() {
        let paths: Vec<String> = uploaded_outputs(false).iter().map(|o| o.path()).collect();
        assert!(paths.contains(&"curated/machine_learning_curated/part-00000.parquet".to_string()));
        assert!(paths.contains(&"ddl/customer_landing.sql".to_string()));
        assert!(paths.contains(&"summary.json".to_string()));
        assert!(!paths
            .iter()
            .any(|p| p.starts_with("landing/") || p.starts_with("ndjson/")));
        assert_eq!(paths.len(), 5 + 8 + 1 + 3);
        assert_eq!(uploaded_outputs(true).len(), 5 + 5 + 8 + 1 + 3);
    }

    #[test]
    fn listed_keys_are_decoded_like_boto3() {
        assert_eq!(
            decode_listed_key("a/export%20%281%29%20%C3%A9%2Bx.json").unwrap(),
            "a/export (1) é+x.json"
        );
        assert_eq!(decode_listed_key("a/b+c.json").unwrap(), "a/b c.json");
        assert!(decode_listed_key("a/%FF.json").is_err());
    }

    #[test]
    fn s3_errors_are_summarised_without_urls() {
        let body = "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
        assert_eq!(s3_error(body), "AccessDenied: Request has expired");
        assert_eq!(s3_error("oops"), "(no S3 error code in the response)");
    }
}

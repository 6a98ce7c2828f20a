//! `stedi-lake presign` (native only): list the landing objects under `s3://bucket/prefix`, sign a
//! GET for each, and for every output a PUT (and, for tables, a multipart upload created now with
//! signed part/complete/abort URLs) — the [`Manifest`] the page runs from without credentials.
//!
//! Flow: credentials and region the way AWS tools find them (`aws_env`) → ListObjectsV2 pages
//! (signed by rusty-s3, sent by ureq) → landing keys decided by the one landing rule
//! (`ingest::select`, as for local and dropped folders) → output keys in the Hive layout →
//! CreateMultipartUpload for table outputs that may exceed one part → a DELETE for every other
//! object already in a table folder the upload writes (an upload replaces the objects of each
//! table folder it writes, and only those) → signed URLs.
//! Signing is rusty-s3's; `tests/test_presign.py` checks its URLs equal boto3's.
//! URLs live `--expires`, or less when the credentials expire sooner (temporary credentials:
//! SSO, assumed roles, containers, IMDS, `credential_process`): a URL stops working when the
//! credentials that signed it do, so the manifest's `expires` is the earlier of the two
//! ([`url_lifetime`]), with a notice on stderr (unless `--quiet`).

use std::time::Duration;

use jiff::Timestamp;
use rusty_s3::actions::{CreateMultipartUpload, ListObjectsV2};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::aws_env::{self, AwsSettings};
use stedi_lake::ingest::{route, select};
use stedi_lake::lake::Output;
use stedi_lake::manifest::{self, LandingObject, Manifest, Multipart, OutputTarget, Skipped, StaleObject};
use stedi_lake::tables::{TableId, Zone};

/// The options of `stedi-lake presign` (see `docs/manifest.md`, "What `presign` does").
#[derive(Clone, Debug)]
pub struct PresignOptions {
    /// `s3://bucket[/prefix]`.
    pub location: String,
    /// `--region`; `None`: the environment's or the profile's, else `us-east-1` ([`aws_env`]).
    pub region: Option<String>,
    /// `--endpoint` URL; `None`: the environment's, else AWS's regional endpoint ([`aws_env`]).
    pub endpoint: Option<String>,
    /// `--path-style`: `endpoint/bucket/key` URLs (S3-compatible servers) instead of virtual-hosted.
    pub path_style: bool,
    /// `--profile`: the AWS profile to read credentials from (wins over the environment's keys).
    pub profile: Option<String>,
    /// How long every URL stays valid: 1 second to 7 days (SigV4's limit), else an error; capped
    /// at the credentials' expiry when that comes first ([`url_lifetime`]).
    pub expires: Duration,
    /// Bytes per multipart part: at least [`manifest::MIN_PART_SIZE`], else an error.
    pub part_size: u64,
    /// Largest output in bytes a multipart upload must hold; default twice the landing bytes.
    pub max_output_size: Option<u64>,
    /// Also upload the derived tables as NDJSON (`--formats parquet,ndjson`).
    pub ndjson: bool,
    /// Sign as of this instant instead of now (reproducible URLs for the boto3 cross-check).
    pub signing_time: Option<Timestamp>,
    /// `--quiet`: no notices on stderr.
    pub quiet: bool,
}

/// Where the prefix lives: bucket, key prefix without slashes at the ends.
#[derive(Clone, Debug, PartialEq)]
pub struct S3Location {
    /// The bucket name, as given.
    pub bucket: String,
    /// The key prefix, `/` only between folders; empty for the whole bucket.
    pub prefix: String,
}

impl S3Location {
    /// Split `s3://bucket[/prefix]`, trimming slashes around the prefix. Errors (naming the value)
    /// when `s` does not start with `s3://` or names no bucket, and checks nothing else: the bucket
    /// and prefix rules are [`stedi_lake::ddl::check_location`]'s, which the CLI applies first.
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

    /// Back to `s3://bucket` or `s3://bucket/prefix` (the manifest's `location`).
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
    let derived = |t: &TableId| t.zone() != Zone::Landing;
    Output::all()
        .into_iter()
        .filter(|o| match o {
            Output::Parquet(t) => derived(t),
            Output::Ndjson(t) => ndjson && derived(t),
            Output::Marker => false,
            Output::Ddl(_) | Output::DdlAll | Output::Summary | Output::Quality | Output::Quarantine => true,
        })
        .collect()
}

/// For each key relative to the prefix: its source when it is landing data (`Some` when the path
/// names one, else `None`: routed by its records), or why it is skipped. The rule is
/// [`select::select`]'s, the same as for a local or dropped folder (what stedi-lake wrote, hidden
/// and `_` bookkeeping objects, and only `landing` folders when the prefix has any); folder
/// markers (`x/`, zero-byte keys S3 consoles create) are skipped too.
pub fn classify<S: AsRef<str>>(rels: &[S]) -> Vec<Result<Option<&'static str>, &'static str>> {
    let files: Vec<&str> = rels.iter().map(AsRef::as_ref).filter(|r| !r.ends_with('/')).collect();
    let mut verdicts = select::select(&files).into_iter();
    rels.iter()
        .map(|r| {
            let r = r.as_ref();
            if r.ends_with('/') {
                return Err("folder marker");
            }
            match verdicts.next().expect("one verdict per file") {
                None => Ok(route::by_path(r).map(|s| s.name())),
                Some(skip) => Err(skip.reason()),
            }
        })
        .collect()
}

/// The table folder an upload writes (`<zone>/<table>/` or `ndjson/<zone>/<table>/`, relative
/// to the prefix, with its trailing slash), or None for DDL and reports.
fn table_folder(out: Output) -> Option<String> {
    match out {
        Output::Parquet(t) => Some(format!("{}/", Output::table_folder(t))),
        Output::Ndjson(t) => Some(format!("ndjson/{}/", Output::table_folder(t))),
        _ => None,
    }
}

/// The listed keys an upload of `out` (to `key`) replaces: every object below its table folder
/// but the key itself (and the folder's own marker). Empty for DDL and reports.
fn stale_keys<'a>(
    out: Output,
    key: &str,
    loc: &S3Location,
    listed: &'a [(String, u64)],
    landing: &[LandingObject],
) -> Vec<&'a str> {
    let Some(folder) = table_folder(out).map(|f| loc.key(&f)) else {
        return Vec::new();
    };
    listed
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| k.starts_with(&folder) && k.len() > folder.len() && *k != key)
        // Never delete what this manifest reads (a prefix without landing folders reads every
        // file that is not an engine output).
        .filter(|k| !landing.iter().any(|l| l.key == *k))
        .collect()
}

/// List the prefix, sign every request and return the checked [`Manifest`] (the steps in the
/// module comment). Talks to S3: ListObjectsV2, and CreateMultipartUpload for each table output
/// when the largest output needs more than one part. Errors (never a URL): a bad location, part
/// size or expiry, no credentials ([`aws_env::settings`]), an endpoint or bucket rusty-s3
/// refuses, S3 refusing a request (its code and message), a stale key no presigned URL can
/// address, or a manifest [`Manifest::check`] refuses.
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
    let time = opts.signing_time.unwrap_or_else(Timestamp::now);
    let credentials_expiry = aws
        .expiry
        .map(|e| Timestamp::try_from(e).map_err(|e| format!("the AWS credentials' expiry: {e}")))
        .transpose()?;
    let expires = url_lifetime(time, opts.expires, credentials_expiry, &aws.source)?;
    if expires < opts.expires && !opts.quiet {
        eprintln!(
            "stedi-lake: the AWS credentials (from {}) expire at {}, before --expires {} s would: the URLs \
             expire then ({} s), and the manifest says so",
            aws.source,
            (time + expires).strftime("%Y-%m-%dT%H:%M:%SZ"),
            opts.expires.as_secs(),
            expires.as_secs()
        );
    }
    let signer = Signer::new(&loc, &aws, opts, time, expires)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(120)))
        .build()
        .into();

    // Landing objects.
    let listed = list(&agent, &signer, &loc)?;
    let root = loc.key("");
    let rels: Vec<&str> = listed.iter().map(|(k, _)| k.strip_prefix(&root).unwrap_or(k)).collect();
    let mut landing = Vec::new();
    let mut skipped = Vec::new();
    for ((key, size), verdict) in listed.iter().zip(classify(&rels)) {
        let (key, size) = (key.clone(), *size);
        match verdict {
            Ok(source) => {
                let get = signer.get(&key);
                if !manifest::url_addresses(&get, &loc.bucket, &key) {
                    // URL parsing would turn `a/../b` into `b`: the GET would read another object.
                    skipped.push(Skipped {
                        key,
                        reason: "a key with '.' or '..' path segments: no presigned URL can address it".into(),
                    });
                    continue;
                }
                landing.push(LandingObject {
                    get,
                    source: source.map(str::to_string),
                    size,
                    key,
                });
            }
            Err(reason) => skipped.push(Skipped {
                key,
                reason: reason.to_string(),
            }),
        }
    }
    let landing_bytes: u64 = landing.iter().map(|o| o.size).sum();
    let max_output = opts.max_output_size.unwrap_or(2 * landing_bytes);
    let parts = (max_output.div_ceil(opts.part_size) as usize).min(manifest::MAX_PARTS);

    // Output targets. Every check that can fail comes before the multipart uploads it needs are
    // created; if anything still fails after one was created, the uploads created so far are
    // aborted (an upload left open is stored and billed until someone aborts it).
    let mut created: Vec<String> = Vec::new(); // presigned AbortMultipartUpload URLs
    let finish = |created: &mut Vec<String>| -> Result<Manifest, String> {
        // Output targets.
        let mut outputs = Vec::new();
        for out in uploaded_outputs(opts.ndjson) {
            let key = loc.key(&out.path());
            let content_type = out.content_type();
            let is_table = matches!(out, Output::Parquet(_) | Output::Ndjson(_));
            let mut stale = Vec::new();
            for k in stale_keys(out, &key, &loc, &listed, &landing) {
                let delete = signer.delete(k);
                if !manifest::url_addresses(&delete, &loc.bucket, k) {
                    return Err(format!(
                        "s3://{}/{k}: an object in the table folder this upload replaces, but its key has '.' or '..' \
                         path segments, so no presigned URL can delete it; remove it with the AWS CLI and presign again",
                        loc.bucket
                    ));
                }
                stale.push(StaleObject {
                    key: k.to_string(),
                    delete,
                });
            }
            let multipart = if is_table && parts > 1 {
                let upload_id = create_multipart(&agent, &signer, &key, content_type)?;
                let m = signer.multipart(&key, &upload_id, opts.part_size, parts);
                created.push(m.abort.clone());
                Some(m)
            } else {
                None
            };
            outputs.push(OutputTarget {
                path: out.path(),
                put: signer.put(&key, content_type),
                key,
                content_type: content_type.to_string(),
                multipart,
                stale,
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
        m.check().map_err(|e| e.to_string())?;
        Ok(m)
    };
    let result = finish(&mut created);
    if result.is_err() {
        for abort in &created {
            // Best effort: the error being reported matters more than a failed abort.
            let _ = send(&agent, "DELETE", abort, None, "aborting a multipart upload");
        }
    }
    result
}

/// How long the URLs signed at `time` stay valid: `wanted` (`--expires`), or less when the
/// credentials stop working first (`credentials_expiry`, `None`: they do not expire), in whole
/// seconds rounded down, so the URLs never outlive what signed them. Errors (naming `source`) when
/// the credentials have expired by `time` (possible with `--signing-time` in the future).
pub fn url_lifetime(
    time: Timestamp,
    wanted: Duration,
    credentials_expiry: Option<Timestamp>,
    source: &str,
) -> Result<Duration, String> {
    let Some(at) = credentials_expiry else {
        return Ok(wanted);
    };
    let left = time.duration_until(at).as_secs(); // whole seconds, toward zero
    if left < 1 {
        return Err(format!(
            "the AWS credentials (from {source}) expire at {}, not after the signing time {}: renew them",
            at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            time.strftime("%Y-%m-%dT%H:%M:%SZ")
        ));
    }
    Ok(wanted.min(Duration::from_secs(left as u64)))
}


/// Signs every request of one run with the same credentials, clock and expiry.
struct Signer {
    bucket: Bucket,
    credentials: Credentials,
    time: Timestamp,
    expires: Duration,
}

impl Signer {
    fn new(
        loc: &S3Location,
        aws: &AwsSettings,
        opts: &PresignOptions,
        time: Timestamp,
        expires: Duration,
    ) -> Result<Signer, String> {
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
            time,
            expires,
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

    fn delete(&self, key: &str) -> String {
        self.sign(self.bucket.delete_object(Some(&self.credentials), key))
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
        "DELETE" => agent.delete(url).call(),
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
    fn landing_keys_are_classified_by_the_one_rule() {
        let skip = |s: select::Skip| Err(s.reason());
        let rels = [
            "landing/customer/customer-1.json",
            "accelerometer/landing/part-1.json",
            "landing/data.json",
            "landing/",
            "landing/customer/_SUCCESS",
            "landing/customer/.DS_Store",
            "trusted/customer_trusted/part-00000.parquet",
            "summary.json",
            "notes/readme.txt",
            // A file named landing is not a folder named landing.
            "x/landing",
            // What an older version published: its landing copies below landing/.
            "landing/customer_landing/part-00000.parquet",
            "ndjson/landing/accelerometer_landing/part-00000.json",
            "typed_landing/step_trainer_landing/part-00000.parquet",
        ];
        assert_eq!(
            classify(&rels),
            vec![
                Ok(Some("customer")),
                Ok(Some("accelerometer")),
                Ok(None),
                Err("folder marker"),
                skip(select::Skip::Bookkeeping),
                skip(select::Skip::Hidden),
                skip(select::Skip::EngineOutput),
                skip(select::Skip::EngineOutput),
                skip(select::Skip::OutsideLanding),
                skip(select::Skip::OutsideLanding),
                skip(select::Skip::EngineOutput),
                skip(select::Skip::EngineOutput),
                skip(select::Skip::EngineOutput),
            ]
        );
        // A prefix that is itself a landing folder: every data file is read.
        assert_eq!(
            classify(&["customer/c.json", "x.json"]),
            vec![Ok(Some("customer")), Ok(None)]
        );
    }

    #[test]
    fn an_upload_replaces_the_objects_of_its_table_folders_and_only_those() {
        let loc = S3Location::parse("s3://bkt/p").unwrap();
        let listed: Vec<(String, u64)> = [
            "p/landing/customer/c.json",
            "p/trusted/customer_trusted/",
            "p/trusted/customer_trusted/part-00000.parquet",
            "p/trusted/customer_trusted/part-00001.parquet",
            "p/trusted/customer_trusted/ndjson/part-00000.json",
            "p/trusted/customer_trusted/_SUCCESS",
            "p/trusted/customer_trusted_old/part-00000.parquet",
            "p/trusted/customer_trusted_$folder$",
            "p/ndjson/trusted/customer_trusted/part-00003.json",
            "p/summary.json",
            "p/ddl/old.sql",
        ]
        .iter()
        .map(|k| (k.to_string(), 1))
        .collect();
        let t = TableId::parse("customer_trusted").unwrap();
        let parquet = Output::Parquet(t);
        let key = loc.key(&parquet.path());
        assert_eq!(
            stale_keys(parquet, &key, &loc, &listed, &[]),
            vec![
                "p/trusted/customer_trusted/part-00001.parquet",
                "p/trusted/customer_trusted/ndjson/part-00000.json",
                "p/trusted/customer_trusted/_SUCCESS",
            ]
        );
        let ndjson = Output::Ndjson(t);
        assert_eq!(
            stale_keys(ndjson, &loc.key(&ndjson.path()), &loc, &listed, &[]),
            vec!["p/ndjson/trusted/customer_trusted/part-00003.json"]
        );
        assert!(stale_keys(Output::Summary, "p/summary.json", &loc, &listed, &[]).is_empty());
        assert!(stale_keys(Output::Ddl(t), "p/ddl/customer_trusted.sql", &loc, &listed, &[]).is_empty());
        // Never what the manifest reads.
        let landing = [LandingObject {
            key: "p/trusted/customer_trusted/part-00001.parquet".into(),
            source: None,
            size: 1,
            get: "http://h/x".into(),
        }];
        assert_eq!(stale_keys(parquet, &key, &loc, &listed, &landing).len(), 2);
    }

    #[test]
    fn signed_urls_address_their_key() {
        let loc = S3Location::parse("s3://bkt/p").unwrap();
        let opts = PresignOptions {
            location: loc.uri(),
            region: None,
            endpoint: None,
            path_style: true,
            profile: None,
            expires: Duration::from_secs(60),
            part_size: manifest::MIN_PART_SIZE,
            max_output_size: None,
            ndjson: false,
            signing_time: None,
            quiet: true,
        };
        let aws = AwsSettings {
            credentials: Credentials::new("AKID", "secret"),
            region: "us-east-1".into(),
            endpoint: "http://127.0.0.1:9".into(),
            expiry: None,
            source: "test".into(),
        };
        let signer = Signer::new(&loc, &aws, &opts, Timestamp::UNIX_EPOCH, opts.expires).unwrap();
        for key in ["p/trusted/customer_trusted/export (1) é+x%.parquet", "p/a b/c"] {
            assert!(manifest::url_addresses(&signer.delete(key), "bkt", key), "{key}");
            assert!(manifest::url_addresses(&signer.get(key), "bkt", key), "{key}");
        }
        // URL parsing normalises dot segments: such a URL would act on another key.
        assert!(!manifest::url_addresses(
            &signer.delete("p/trusted/t/../../landing/c.json"),
            "bkt",
            "p/trusted/t/../../landing/c.json"
        ));
    }

    #[test]
    fn urls_never_outlive_the_credentials_that_signed_them() {
        let t: Timestamp = "2026-03-04T05:06:07Z".parse().unwrap();
        let week = Duration::from_secs(604_800);
        assert_eq!(url_lifetime(t, week, None, "s"), Ok(week));
        // Expiring in 10 minutes (and a half second): 600 s, rounded down.
        let at = t + Duration::from_millis(600_500);
        assert_eq!(url_lifetime(t, week, Some(at), "s"), Ok(Duration::from_secs(600)));
        // Expiring after --expires: --expires.
        assert_eq!(
            url_lifetime(t, Duration::from_secs(60), Some(at), "s"),
            Ok(Duration::from_secs(60))
        );
        // Expired by the signing time, or less than a second left: refused, naming the source.
        for at in [t - Duration::from_secs(5), t, t + Duration::from_millis(999)] {
            let e = url_lifetime(t, week, Some(at), "profile [x]").unwrap_err();
            assert!(e.contains("from profile [x]") && e.contains("renew"), "{e}");
        }
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

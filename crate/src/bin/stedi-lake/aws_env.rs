//! Credentials, region and endpoint for `presign` (native only), found the way the AWS CLI v2 finds
//! them, by the official AWS SDK for Rust (`aws-config`) rather than by hand:
//!
//! - Credentials, first source that has them: the environment (`AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`; skipped when `--profile` is given, as the AWS
//!   CLI skips it); the profile (`--profile`, else `AWS_PROFILE`, else `default`) in the config and
//!   credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/…`) with
//!   everything a profile can say: static keys, `credential_process`, IAM Identity Center
//!   (`sso_session` / legacy `sso_*`, from the token `aws sso login` cached), `role_arn` with
//!   `source_profile` or `credential_source` (STS AssumeRole), `web_identity_token_file`; web
//!   identity from `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`; the container endpoint (ECS,
//!   EKS Pod Identity, CloudShell: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` / `_FULL_URI`, with
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`; one attempt, at most [`CONTAINER_TIMEOUT`]); EC2
//!   instance metadata (IMDSv2), one attempt with a [`IMDS_TIMEOUT`] connect and read limit so a
//!   laptop without IMDS does not wait (`AWS_EC2_METADATA_DISABLED=true` skips it). A source that
//!   is configured but fails (a `credential_process` exiting non-zero, STS refusing a role, an
//!   expired SSO token, a config file that does not parse) stops the search with its error, as in
//!   the SDK; an SSO profile's error says to run `aws sso login --profile <name>`, and a config
//!   file that does not parse is named with its line. Only one of `AWS_ACCESS_KEY_ID` and
//!   `AWS_SECRET_ACCESS_KEY` set (without `--profile`) is an error, as in the AWS CLI ("partial
//!   credentials"), not a silent fall-through to the profile. Credentials already expired when
//!   found are refused; otherwise their expiry is handed on ([`AwsSettings::expiry`]) so that
//!   `presign` caps the URLs' lifetime at it.
//! - Region: `--region`, `AWS_REGION` / `AWS_DEFAULT_REGION`, the profile's `region`, IMDS, else
//!   `us-east-1`.
//! - S3 endpoint: `--endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `[services]`
//!   `s3 = endpoint_url` or `endpoint_url` (all ignored under `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`),
//!   else AWS's regional one. STS and SSO calls follow the same variables (`AWS_ENDPOINT_URL_STS`, …).
//!
//! The SDK is async; [`settings`] runs it on a current-thread tokio runtime of its own, over a
//! rustls (ring) HTTPS client that trusts the system's certificate store. Signing stays rusty-s3's
//! (`presign.rs`): this module only hands it a key, secret and session token.

use std::borrow::Cow;
use std::error::Error;
use std::time::{Duration, SystemTime};

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_types::os_shim_internal::{Env, Fs};
use aws_types::service_config::ServiceConfigKey;
use rusty_s3::Credentials;

/// How long one instance-metadata request may take (connect, then read), with one attempt: IMDS
/// answers in milliseconds on EC2, and elsewhere the address is unreachable.
pub const IMDS_TIMEOUT: Duration = Duration::from_secs(1);

/// The most the container credentials endpoint may take, all told (one attempt): the SDK's own
/// client would try 3 times with a 5 s read timeout (16 s against an endpoint that never answers).
pub const CONTAINER_TIMEOUT: Duration = Duration::from_secs(2);

/// Where the environment's static keys come from, for messages.
const ENV_KEYS: &str = "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

/// What `presign` signs with, found by the rules above.
pub struct AwsSettings {
    /// Access key, secret and session token (if any), from the first credentials source that has them.
    pub credentials: Credentials,
    /// AWS region name (`us-east-1` when nothing names one).
    pub region: String,
    /// S3 endpoint URL (`https://s3.<region>.amazonaws.com` when nothing names one).
    pub endpoint: String,
    /// When the credentials stop working (`None`: long-term keys, no expiry); always later than
    /// the moment they were found (expired ones are an error).
    pub expiry: Option<SystemTime>,
    /// The source the credentials came from, as messages name it (`profile [x] in …`).
    pub source: String,
}

/// Find credentials, region and endpoint from the real environment, files and endpoints (blocking:
/// it may run a `credential_process`, call STS, SSO, a container endpoint or IMDS).
/// `profile`, `region`, `endpoint`: `--profile`, `--region`, `--endpoint`, which win over the rest.
/// Errors: no source had credentials (`no AWS credentials …`, naming the profile and every source
/// tried with why it gave nothing), a source that is configured failed (`AWS credentials from
/// <source> failed: <the SDK's reason>`, with the file and line of a config file that does not
/// parse, and `aws sso login --profile <name>` for an SSO profile), only one of the environment's
/// two key variables is set without `profile` (`partial AWS credentials …`), or the credentials
/// found had already expired (`AWS credentials from <source> expired at …`).
pub fn settings(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Result<AwsSettings, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the AWS credentials runtime: {e}"))?;
    runtime.block_on(resolve(profile, region, endpoint))
}

async fn resolve(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Result<AwsSettings, String> {
    if profile.is_none() {
        partial_env_keys(env("AWS_ACCESS_KEY_ID").is_some(), env("AWS_SECRET_ACCESS_KEY").is_some())?;
    }
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let base_http = http.clone();
    let base = ProviderConfig::default().with_http_client(http.clone());
    let imds = aws_config::imds::Client::builder()
        .configure(&base)
        .max_attempts(1)
        .connect_timeout(IMDS_TIMEOUT)
        .read_timeout(IMDS_TIMEOUT)
        .operation_attempt_timeout(2 * IMDS_TIMEOUT)
        .operation_timeout(2 * IMDS_TIMEOUT)
        .build();

    // Region: the SDK's default region chain, with the bounded IMDS client. Always a definite one
    // for the shared configuration below (given none, its SSO token chain would look again,
    // through an IMDS client of its own with the SDK's default retries).
    let region = match region {
        Some(r) => r.to_string(),
        None => {
            let mut from_profile = aws_config::profile::region::ProfileFileRegionProvider::builder().configure(&base);
            if let Some(p) = profile {
                from_profile = from_profile.profile_name(p);
            }
            let from_imds = aws_config::imds::region::ImdsRegionProvider::builder()
                .configure(&base)
                .imds_client(imds.clone())
                .build();
            RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new())
                .or_else(from_profile.build())
                .or_else(from_imds)
                .region()
                .await
                .map_or("us-east-1".to_string(), |r| r.as_ref().to_string())
        }
    };
    // Endpoint: the shared configuration's service config (endpoint variables, profile keys).
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .region(Region::new(region.clone()))
        .no_credentials();
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    let shared = loader.load().await;
    let endpoint = match endpoint {
        Some(e) => e.to_string(),
        None => s3_endpoint(&shared).unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com")),
    };

    // Credentials: the SDK's default chain, in its order, without the environment under --profile.
    let conf = base.with_region(Some(Region::new(region.clone())));
    let profile_name = profile
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let mut sources: Vec<Source> = Vec::new();
    if profile.is_none() {
        sources.push(Source::new(ENV_KEYS, EnvironmentVariableCredentialsProvider::new()));
    }
    let mut from_profile = aws_config::profile::ProfileFileCredentialsProvider::builder().configure(&conf);
    if let Some(p) = profile {
        from_profile = from_profile.profile_name(p);
    }
    let mut in_profile = Source::new(
        format!(
            "profile [{profile_name}] in {} and {} (static keys, credential_process, SSO, role_arn, \
             web_identity_token_file)",
            aws_file("AWS_CONFIG_FILE", "config"),
            aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        ),
        from_profile.build(),
    );
    in_profile.unnamed = "no such profile with credentials (or no such files)";
    in_profile.is_profile = true;
    sources.push(in_profile);
    sources.push(Source::new(
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)",
        aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    ));
    // One attempt: without a sleep implementation the SDK's HTTP credentials client does not
    // retry; CONTAINER_TIMEOUT bounds the attempt (the SDK fixes its read timeout at 5 s).
    let once = ProviderConfig::empty()
        .with_http_client(base_http.clone())
        .with_region(Some(Region::new(region.clone())));
    let mut from_container = Source::new(
        format!(
            "container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or \
             AWS_CONTAINER_CREDENTIALS_FULL_URI; one attempt, at most {} s)",
            CONTAINER_TIMEOUT.as_secs()
        ),
        aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&once)
            .build(),
    );
    from_container.time_limit = Some(CONTAINER_TIMEOUT);
    sources.push(from_container);
    let mut from_imds = Source::new(
        format!(
            "EC2 instance metadata (IMDS; one attempt, {} s to connect and {} s to read)",
            IMDS_TIMEOUT.as_secs(),
            IMDS_TIMEOUT.as_secs()
        ),
        aws_config::imds::credentials::ImdsCredentialsProvider::builder()
            .configure(&conf)
            .imds_client(imds)
            .build(),
    );
    // Off EC2 the address is unreachable, refused or answered by a proxy: nothing found, not a
    // failure to report on its own.
    from_imds.any_error_is_absence = true;
    sources.push(from_imds);

    let mut tried = Vec::new();
    if profile.is_some() {
        tried.push((
            ENV_KEYS.to_string(),
            "skipped: --profile wins over them, as in the AWS CLI".to_string(),
        ));
    }
    for source in &sources {
        let answer = match source.time_limit {
            Some(limit) => tokio::time::timeout(limit, source.provider.provide_credentials())
                .await
                .unwrap_or_else(|_| {
                    Err(CredentialsError::provider_error(format!(
                        "no answer within {} s",
                        limit.as_secs_f64()
                    )))
                }),
            None => source.provider.provide_credentials().await,
        };
        let e = match answer {
            Ok(c) => {
                let expiry = c.expiry();
                let now = SystemTime::now();
                if let Some(at) = expiry.filter(|at| *at <= now) {
                    let hint = if source.is_profile && is_sso_profile(profile).await {
                        sso_hint(&profile_name)
                    } else {
                        String::new()
                    };
                    return Err(expired(&source.name, at, now) + &hint);
                }
                let (key, secret) = (c.access_key_id().to_string(), c.secret_access_key().to_string());
                let credentials = match c.session_token() {
                    Some(t) => Credentials::new_with_token(key, secret, t),
                    None => Credentials::new(key, secret),
                };
                return Ok(AwsSettings {
                    credentials,
                    region,
                    endpoint,
                    expiry,
                    source: source.name.clone(),
                });
            }
            Err(e) => e,
        };
        if source.is_profile {
            // The SDK's error for a config file that does not parse names neither file nor line;
            // the profile files' own loader does.
            if let Err(bad) = profile_files(profile).await {
                return Err(format!(
                    "AWS credentials from {} failed: {}",
                    source.name,
                    error_chain(&bad)
                ));
            }
        }
        if source.any_error_is_absence || matches!(e, CredentialsError::CredentialsNotLoaded(_)) {
            tried.push((source.name.clone(), reason(&e, source.unnamed)));
            continue;
        }
        let hint = if source.is_profile && is_sso_profile(profile).await {
            sso_hint(&profile_name)
        } else {
            String::new()
        };
        return Err(format!(
            "AWS credentials from {} failed: {}{hint}",
            source.name,
            reason(&e, "")
        ));
    }
    Err(not_found(&profile_name, &tried))
}

/// The error when the environment has one of the two key variables but not the other (the AWS
/// CLI's "Partial credentials found in env"); `Ok` when it has both or neither.
fn partial_env_keys(has_key: bool, has_secret: bool) -> Result<(), String> {
    let (set, missing) = match (has_key, has_secret) {
        (true, false) => ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
        (false, true) => ("AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID"),
        _ => return Ok(()),
    };
    Err(format!(
        "partial AWS credentials in the environment: {set} is set but {missing} is not (the AWS CLI \
         stops here too); set both, unset {set}, or name a profile with --profile"
    ))
}

/// The error for credentials that had expired when found: the source, when, and how long ago.
fn expired(source: &str, at: SystemTime, now: SystemTime) -> String {
    let ago = now.duration_since(at).unwrap_or_default().as_secs();
    let at = jiff::Timestamp::try_from(at).map_or_else(|_| "an unknown time".to_string(), |t| {
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    });
    format!("AWS credentials from {source} expired at {at} ({ago} s ago): renew them and presign again")
}

/// What to run for an SSO profile whose sign-in is missing or over.
fn sso_hint(profile_name: &str) -> String {
    format!("\nSign in with `aws sso login --profile {profile_name}` and presign again")
}

/// The config and credentials files, parsed as the SDK parses them, with `profile` (else
/// `AWS_PROFILE`, else `default`) selected; the loader's error names the file and line that do
/// not parse.
async fn profile_files(profile: Option<&str>) -> Result<aws_config::profile::ProfileSet, aws_config::profile::ProfileFileLoadError> {
    #[allow(deprecated)] // the alias is the type aws_config::profile::load takes
    let files = aws_config::profile::profile_file::ProfileFiles::default();
    aws_config::profile::load(&Fs::real(), &Env::real(), &files, profile.map(|p| Cow::Owned(p.to_string()))).await
}

/// Whether the selected profile signs in through IAM Identity Center (`sso_session` or the
/// legacy `sso_start_url`).
async fn is_sso_profile(profile: Option<&str>) -> bool {
    let Ok(set) = profile_files(profile).await else {
        return false;
    };
    set.get_profile(set.selected_profile())
        .is_some_and(|p| p.get("sso_session").is_some() || p.get("sso_start_url").is_some())
}

/// An error and its causes, outermost first, without repeats.
fn error_chain(e: &dyn Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    parts.join(": ")
}

/// One credentials source of the chain, as the error messages name it.
struct Source {
    /// What it reads, for messages (`environment variables …`, `profile [x] in …`).
    name: String,
    provider: Box<dyn ProvideCredentials>,
    /// Why it gave nothing when its error says no more.
    unnamed: &'static str,
    /// Every error means "nothing here" (IMDS), not only the SDK's "not loaded".
    any_error_is_absence: bool,
    /// The profile source (config file errors and SSO hints are about it).
    is_profile: bool,
    /// The most its answer may take, all told (an overrun is a failure).
    time_limit: Option<Duration>,
}

impl Source {
    fn new(name: impl Into<String>, provider: impl ProvideCredentials + 'static) -> Source {
        Source {
            name: name.into(),
            provider: Box::new(provider),
            unnamed: "not configured",
            any_error_is_absence: false,
            is_profile: false,
            time_limit: None,
        }
    }
}

/// The S3 endpoint the shared configuration names: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the
/// profile's `services` section's `s3 = endpoint_url`, its `endpoint_url` (the order of the SDK's
/// generated S3 client); `None` when none does (or all are empty).
fn s3_endpoint(shared: &SdkConfig) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id("S3")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    shared
        .service_config()
        .and_then(|c| c.load_config(key))
        .or_else(|| shared.endpoint_url().map(str::to_string))
        .filter(|e| !e.trim().is_empty())
}

/// The error when no source had credentials: the profile, every source tried in order with why
/// it gave nothing, and what to do.
fn not_found(profile_name: &str, tried: &[(String, String)]) -> String {
    let mut msg = format!("no AWS credentials for profile [{profile_name}]; tried, in order:");
    for (source, why) in tried {
        msg.push_str(&format!("\n  - {source}: {why}"));
    }
    msg.push_str(&format!(
        "\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, add profile [{profile_name}] to ~/.aws/credentials \
         or ~/.aws/config (`aws configure --profile {profile_name}`), or sign in with \
         `aws sso login --profile {profile_name}`"
    ));
    msg
}

/// Why a provider gave nothing or failed: its error's causes, outermost first (the SDK's own
/// top-level text is generic), without repeats; `unnamed` when it names none (its own text when
/// that is empty).
fn reason(e: &CredentialsError, unnamed: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cause: Option<&dyn Error> = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cause = c.source();
    }
    if parts.is_empty() {
        match e {
            CredentialsError::CredentialsNotLoaded(_) if !unnamed.is_empty() => unnamed.into(),
            other => other.to_string(),
        }
    } else {
        parts.join(": ")
    }
}

/// A non-empty environment variable.
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Where the SDK reads an AWS file from, for messages: the variable's path, else `~/.aws/<name>`.
fn aws_file(var: &str, name: &str) -> String {
    env(var).unwrap_or_else(|| format!("~/.aws/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_not_found_message_names_the_profile_every_source_and_why() {
        let tried = [
            ("environment variables".to_string(), "not set".to_string()),
            (
                "profile [ci] in a and b".to_string(),
                "profile `ci` was not defined".to_string(),
            ),
        ];
        let msg = not_found("ci", &tried);
        assert!(msg.starts_with("no AWS credentials for profile [ci]"), "{msg}");
        assert!(msg.contains(
            "\n  - environment variables: not set\n  - profile [ci] in a and b: profile `ci` was not defined"
        ));
        assert!(msg.contains("aws sso login --profile ci"), "{msg}");
    }

    #[test]
    fn reasons_come_from_the_causes_without_repeats() {
        let e = CredentialsError::not_loaded("environment variable not set");
        assert_eq!(reason(&e, "x"), "environment variable not set");
        assert_eq!(
            reason(&CredentialsError::not_loaded_no_source(), "no such profile"),
            "no such profile"
        );
        let e = CredentialsError::provider_error("credential_process exited with 3");
        assert_eq!(reason(&e, ""), "credential_process exited with 3");
        let nested = std::io::Error::other(CredentialsError::not_loaded("inner"));
        assert_eq!(
            reason(&CredentialsError::provider_error(nested), ""),
            "the credential provider was not enabled: inner"
        );
    }

    #[test]
    fn one_key_variable_without_the_other_is_an_error() {
        assert_eq!(partial_env_keys(true, true), Ok(()));
        assert_eq!(partial_env_keys(false, false), Ok(()));
        let e = partial_env_keys(true, false).unwrap_err();
        assert!(e.contains("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"), "{e}");
        let e = partial_env_keys(false, true).unwrap_err();
        assert!(e.contains("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"), "{e}");
    }

    #[test]
    fn expired_credentials_are_named_with_when_and_how_long_ago() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(978_307_200); // 2001-01-01
        let msg = expired("profile [p]", at, at + Duration::from_secs(90));
        assert_eq!(
            msg,
            "AWS credentials from profile [p] expired at 2001-01-01T00:00:00Z (90 s ago): renew them and presign again"
        );
    }

    #[test]
    fn the_s3_endpoint_is_the_shared_configs_when_not_blank() {
        // The environment and profile lookups are the SDK's; tests/test_presign_credentials.py
        // runs them on the CLI with a controlled environment.
        let shared = SdkConfig::builder().region(Region::new("eu-west-3")).build();
        assert_eq!(s3_endpoint(&shared), None);
        let shared = SdkConfig::builder().endpoint_url("http://127.0.0.1:9000").build();
        assert_eq!(s3_endpoint(&shared).as_deref(), Some("http://127.0.0.1:9000"));
        let shared = SdkConfig::builder().endpoint_url(" ").build();
        assert_eq!(s3_endpoint(&shared), None);
    }
}

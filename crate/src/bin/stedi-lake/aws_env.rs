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
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`); EC2 instance metadata (IMDSv2), one attempt with
//!   a [`IMDS_TIMEOUT`] limit so a laptop without IMDS does not wait (`AWS_EC2_METADATA_DISABLED=true`
//!   skips it). A source that is configured but fails (a `credential_process` exiting non-zero,
//!   STS refusing a role, an expired SSO token) stops the search with its error, as in the SDK.
//! - Region: `--region`, `AWS_REGION` / `AWS_DEFAULT_REGION`, the profile's `region`, IMDS, else
//!   `us-east-1`.
//! - S3 endpoint: `--endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, the profile's `[services]`
//!   `s3 = endpoint_url` or `endpoint_url` (all ignored under `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`),
//!   else AWS's regional one. STS and SSO calls follow the same variables (`AWS_ENDPOINT_URL_STS`, …).
//!
//! The SDK is async; [`settings`] runs it on a current-thread tokio runtime of its own, over a
//! rustls (ring) HTTPS client that trusts the system's certificate store. Signing stays rusty-s3's
//! (`presign.rs`): this module only hands it a key, secret and session token.

use std::error::Error;
use std::time::Duration;

use aws_config::environment::credentials::EnvironmentVariableCredentialsProvider;
use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_types::service_config::ServiceConfigKey;
use rusty_s3::Credentials;

/// How long one instance-metadata request may take (connect, then read), with one attempt: IMDS
/// answers in milliseconds on EC2, and elsewhere the address is unreachable.
pub const IMDS_TIMEOUT: Duration = Duration::from_secs(1);

/// What `presign` signs with, found by the rules above.
pub struct AwsSettings {
    /// Access key, secret and session token (if any), from the first credentials source that has them.
    pub credentials: Credentials,
    /// AWS region name (`us-east-1` when nothing names one).
    pub region: String,
    /// S3 endpoint URL (`https://s3.<region>.amazonaws.com` when nothing names one).
    pub endpoint: String,
}

/// Find credentials, region and endpoint from the real environment, files and endpoints (blocking:
/// it may run a `credential_process`, call STS, SSO, a container endpoint or IMDS).
/// `profile`, `region`, `endpoint`: `--profile`, `--region`, `--endpoint`, which win over the rest.
/// Errors: no source had credentials (`no AWS credentials …`, naming the profile and every source
/// tried with why it gave nothing), or a source that is configured failed (`AWS credentials from
/// <source> failed: <the SDK's reason>`).
pub fn settings(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Result<AwsSettings, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the AWS credentials runtime: {e}"))?;
    runtime.block_on(resolve(profile, region, endpoint))
}

async fn resolve(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Result<AwsSettings, String> {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
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
        sources.push(Source::new(
            "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            EnvironmentVariableCredentialsProvider::new(),
        ));
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
    sources.push(in_profile);
    sources.push(Source::new(
        "web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN)",
        aws_config::web_identity_token::WebIdentityTokenCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    ));
    sources.push(Source::new(
        "container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI)",
        aws_config::ecs::EcsCredentialsProvider::builder()
            .configure(&conf)
            .build(),
    ));
    let mut from_imds = Source::new(
        format!("EC2 instance metadata (IMDS, {} s timeout)", IMDS_TIMEOUT.as_secs_f64()),
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
            "environment variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY".to_string(),
            "skipped: --profile wins over them, as in the AWS CLI".to_string(),
        ));
    }
    for source in &sources {
        match source.provider.provide_credentials().await {
            Ok(c) => {
                let (key, secret) = (c.access_key_id().to_string(), c.secret_access_key().to_string());
                let credentials = match c.session_token() {
                    Some(t) => Credentials::new_with_token(key, secret, t),
                    None => Credentials::new(key, secret),
                };
                return Ok(AwsSettings {
                    credentials,
                    region,
                    endpoint,
                });
            }
            Err(e) if source.any_error_is_absence || matches!(e, CredentialsError::CredentialsNotLoaded(_)) => {
                tried.push((source.name.clone(), reason(&e, source.unnamed)))
            }
            Err(e) => {
                return Err(format!(
                    "AWS credentials from {} failed: {}",
                    source.name,
                    reason(&e, "")
                ))
            }
        }
    }
    Err(not_found(&profile_name, &tried))
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
}

impl Source {
    fn new(name: impl Into<String>, provider: impl ProvideCredentials + 'static) -> Source {
        Source {
            name: name.into(),
            provider: Box::new(provider),
            unnamed: "not configured",
            any_error_is_absence: false,
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

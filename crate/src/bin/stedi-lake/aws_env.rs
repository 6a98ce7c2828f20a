//! Credentials, region and endpoint found the way the AWS CLI and SDKs find them (native only):
//! an explicit `--profile` wins; otherwise `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
//! (`AWS_SESSION_TOKEN`) from the environment; otherwise the profile `AWS_PROFILE` (or `default`)
//! in the shared credentials file (`AWS_SHARED_CREDENTIALS_FILE`, `~/.aws/credentials`), then in
//! the config file (`AWS_CONFIG_FILE`, `~/.aws/config`, section `[profile NAME]`).
//! Region: `--region`, `AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's `region`, `us-east-1`.
//! Endpoint: `--endpoint`, `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS's regional one.

use std::path::PathBuf;

use ini::Ini;
use rusty_s3::Credentials;

/// What `presign` signs with, found by the rules above.
pub struct AwsSettings {
    /// Access key, secret and session token (if any), from the environment or the profile.
    pub credentials: Credentials,
    /// AWS region name (`us-east-1` when nothing names one).
    pub region: String,
    /// S3 endpoint URL (`https://s3.<region>.amazonaws.com` when nothing names one).
    pub endpoint: String,
}

/// Read settings from the real environment and files (an empty variable counts as unset).
/// Errors: a credentials or config file that exists but does not parse (`<path>: <ini error>`), or
/// no access key and secret anywhere (`no AWS credentials: …`, naming the profile).
pub fn settings(profile: Option<&str>, region: Option<&str>, endpoint: Option<&str>) -> Result<AwsSettings, String> {
    settings_from(
        &|k| std::env::var(k).ok().filter(|v| !v.is_empty()),
        profile,
        region,
        endpoint,
    )
}

/// [`settings`] with the environment as a function (for tests); same rules, same errors.
pub fn settings_from(
    env: &dyn Fn(&str) -> Option<String>,
    profile: Option<&str>,
    region: Option<&str>,
    endpoint: Option<&str>,
) -> Result<AwsSettings, String> {
    let home = env("HOME").map(PathBuf::from);
    let file = |var: &str, name: &str| {
        env(var)
            .map(PathBuf::from)
            .or_else(|| home.as_ref().map(|h| h.join(".aws").join(name)))
    };
    let load = |path: Option<PathBuf>| -> Result<Option<Ini>, String> {
        match path {
            Some(p) if p.exists() => Ini::load_from_file(&p)
                .map(Some)
                .map_err(|e| format!("{}: {e}", p.display())),
            _ => Ok(None),
        }
    };
    let credentials_file = load(file("AWS_SHARED_CREDENTIALS_FILE", "credentials"))?;
    let config_file = load(file("AWS_CONFIG_FILE", "config"))?;

    let profile_name = profile
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let config_section = if profile_name == "default" {
        "default".to_string()
    } else {
        format!("profile {profile_name}")
    };
    let lookup = |key: &str| -> Option<String> {
        let from = |ini: &Option<Ini>, section: &str| {
            ini.as_ref()?
                .section(Some(section))?
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        from(&credentials_file, &profile_name).or_else(|| from(&config_file, &config_section))
    };

    let from_env = match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        (Some(k), Some(s)) if profile.is_none() => Some((k, s, env("AWS_SESSION_TOKEN"))),
        _ => None,
    };
    let (key, secret, token) = match from_env {
        Some(c) => c,
        None => match (lookup("aws_access_key_id"), lookup("aws_secret_access_key")) {
            (Some(k), Some(s)) => (k, s, lookup("aws_session_token")),
            _ => {
                return Err(format!(
                    "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add profile \
                     [{profile_name}] to ~/.aws/credentials (or the file AWS_SHARED_CREDENTIALS_FILE names)"
                ))
            }
        },
    };
    let credentials = match token {
        Some(t) => Credentials::new_with_token(key, secret, t),
        None => Credentials::new(key, secret),
    };
    let region = region
        .map(str::to_string)
        .or_else(|| env("AWS_REGION"))
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .or_else(|| lookup("region"))
        .unwrap_or_else(|| "us-east-1".into());
    let endpoint = endpoint
        .map(str::to_string)
        .or_else(|| env("AWS_ENDPOINT_URL_S3"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    Ok(AwsSettings {
        credentials,
        region,
        endpoint,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_files(name: &str, creds: &str, config: &str) -> (tempdir::Dir, HashMap<String, String>) {
        let dir = tempdir::Dir::new(name);
        std::fs::write(dir.0.join("credentials"), creds).unwrap();
        std::fs::write(dir.0.join("config"), config).unwrap();
        let mut env = HashMap::new();
        env.insert(
            "AWS_SHARED_CREDENTIALS_FILE".into(),
            dir.0.join("credentials").display().to_string(),
        );
        env.insert("AWS_CONFIG_FILE".into(), dir.0.join("config").display().to_string());
        (dir, env)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new(name: &str) -> Dir {
                let p = std::env::temp_dir().join(format!("stedi-aws-{}-{name}", std::process::id()));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    const CREDS: &str = "[default]\naws_access_key_id = DEFKEY\naws_secret_access_key = defsecret\n\n\
                         [ci]\naws_access_key_id = CIKEY\naws_secret_access_key = cisecret\naws_session_token = tok\n";
    const CONFIG: &str = "[default]\nregion = eu-west-1\n\n[profile ci]\nregion = ap-south-1\n\n\
                          [profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n";

    fn get(env: &HashMap<String, String>, profile: Option<&str>) -> Result<AwsSettings, String> {
        settings_from(&|k| env.get(k).cloned(), profile, None, None)
    }

    #[test]
    fn environment_then_profiles_like_the_aws_cli() {
        let (_d, mut env) = with_files("profiles", CREDS, CONFIG);
        let s = get(&env, None).unwrap();
        assert_eq!((s.credentials.key(), s.region.as_str()), ("DEFKEY", "eu-west-1"));
        assert_eq!(s.endpoint, "https://s3.eu-west-1.amazonaws.com");

        let s = get(&env, Some("ci")).unwrap();
        assert_eq!(
            (s.credentials.key(), s.credentials.token(), s.region.as_str()),
            ("CIKEY", Some("tok"), "ap-south-1")
        );
        assert_eq!(get(&env, Some("cfgonly")).unwrap().credentials.key(), "CFGKEY");

        env.insert("AWS_ACCESS_KEY_ID".into(), "ENVKEY".into());
        env.insert("AWS_SECRET_ACCESS_KEY".into(), "envsecret".into());
        env.insert("AWS_REGION".into(), "us-west-2".into());
        env.insert("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9000".into());
        let s = get(&env, None).unwrap();
        assert_eq!(
            (s.credentials.key(), s.region.as_str(), s.endpoint.as_str()),
            ("ENVKEY", "us-west-2", "http://127.0.0.1:9000")
        );
        // An explicit --profile beats the environment's keys, as in the AWS CLI.
        assert_eq!(get(&env, Some("ci")).unwrap().credentials.key(), "CIKEY");
        env.insert("AWS_PROFILE".into(), "ci".into());
        assert_eq!(get(&env, None).unwrap().credentials.key(), "ENVKEY");
    }

    #[test]
    fn missing_credentials_say_where_to_put_them() {
        let (_d, env) = with_files("missing", "", "");
        let err = get(&env, Some("nope")).err().unwrap();
        assert!(err.contains("no AWS credentials") && err.contains("[nope]"), "{err}");
    }
}

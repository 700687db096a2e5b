//! Where Bedrock's credentials and region come from: the call's options,
//! then the usual AWS environment variables, then the shared credentials and
//! config files (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`, else
//! `~/.aws/credentials` and `~/.aws/config`) for the profile in
//! `AWS_PROFILE` (default `default`).

use std::path::PathBuf;

use super::sigv4::AwsCredentials;
use crate::request::AwsOptions;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn aws_file(env_name: &str, default_name: &str) -> Option<PathBuf> {
    env(env_name)
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(".aws").join(default_name)))
}

/// The `key = value` pairs of `[section]` in an INI file.
fn ini_section(path: Option<PathBuf>, section: &str) -> Vec<(String, String)> {
    let Some(text) = path.and_then(|p| std::fs::read_to_string(p).ok()) else {
        return Vec::new();
    };
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside && let Some((key, value)) = line.split_once('=') {
            out.push((key.trim().to_owned(), value.trim().to_owned()));
        }
    }
    out
}

fn profile(options: &AwsOptions) -> String {
    options
        .profile
        .clone()
        .or_else(|| env("AWS_PROFILE_NAME"))
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".to_owned())
}

/// Credentials to sign with, or `None` when nothing provides them.
pub(super) fn credentials(options: &AwsOptions) -> Option<AwsCredentials> {
    let explicit = (
        options.access_key_id.clone(),
        options
            .secret_access_key
            .as_ref()
            .map(|k| k.expose().to_owned()),
    );
    if let (Some(access_key_id), Some(secret_access_key)) = explicit {
        return Some(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: options
                .session_token
                .as_ref()
                .map(|t| t.expose().to_owned()),
        });
    }
    if let (Some(access_key_id), Some(secret_access_key)) =
        (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))
    {
        return Some(AwsCredentials {
            access_key_id,
            secret_access_key,
            session_token: env("AWS_SESSION_TOKEN"),
        });
    }
    let pairs = ini_section(
        aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        &profile(options),
    );
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    Some(AwsCredentials {
        access_key_id: get("aws_access_key_id")?,
        secret_access_key: get("aws_secret_access_key")?,
        session_token: get("aws_session_token"),
    })
}

/// The region: the call's, the one inside an ARN model id, `AWS_REGION_NAME`,
/// `AWS_REGION`, the profile's `region`, else `us-west-2` (LiteLLM's default).
pub(super) fn region(options: &AwsOptions, model: &str) -> String {
    if let Some(region) = &options.region {
        return region.clone();
    }
    if let Some(arn_region) = model
        .strip_prefix("arn:")
        .and_then(|rest| rest.split(':').nth(2))
        .filter(|r| !r.is_empty())
    {
        return arn_region.to_owned();
    }
    if let Some(region) = env("AWS_REGION_NAME").or_else(|| env("AWS_REGION")) {
        return region;
    }
    let name = profile(options);
    let section = if name == "default" {
        name
    } else {
        format!("profile {name}")
    };
    ini_section(aws_file("AWS_CONFIG_FILE", "config"), &section)
        .into_iter()
        .find(|(k, _)| k == "region")
        .map_or_else(|| "us-west-2".to_owned(), |(_, v)| v)
}

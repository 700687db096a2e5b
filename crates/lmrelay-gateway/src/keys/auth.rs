//! Who is calling: the key from the headers LiteLLM reads (in its order),
//! checked against the master key in constant time (SHA-256 digests
//! compared with `subtle`, which also hides the length) or looked up by hash.
//! No error ever repeats more of a key than `sk-...` and its last four
//! characters.

use std::sync::Arc;

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{KeyEntry, Keys, hash_token, key_name};
use crate::GatewayError;
use crate::clock;

/// The master key, kept only as its digest.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

impl MasterKey {
    /// The digest of `key`.
    pub fn new(key: &str) -> Self {
        Self(Sha256::digest(key.as_bytes()).into())
    }

    /// Whether `candidate` is the master key (constant time).
    pub fn matches(&self, candidate: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(candidate.as_bytes()).into();
        digest.ct_eq(&self.0).into()
    }
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub enum Caller {
    /// No master key is configured: everything is allowed (loopback only,
    /// unless `--insecure`).
    Open,
    /// The master key.
    Admin,
    /// A virtual key.
    Key(Arc<KeyEntry>),
}

impl Caller {
    /// The caller's key hash, for spend logs ("" for admin and open).
    pub fn token(&self) -> String {
        match self {
            Self::Key(entry) => entry.record().token.clone(),
            _ => String::new(),
        }
    }

    /// A label for metrics: the key's alias or `sk-...abcd` (never the key
    /// or its hash).
    pub fn label(&self) -> String {
        match self {
            Self::Key(entry) => {
                let record = entry.record();
                record
                    .key_alias
                    .clone()
                    .unwrap_or_else(|| record.key_name.clone())
            }
            Self::Admin => "master_key".into(),
            Self::Open => String::new(),
        }
    }
}

fn strip_scheme(value: &str) -> Option<&str> {
    ["Bearer ", "bearer ", "Basic "]
        .iter()
        .find_map(|p| value.strip_prefix(p))
}

/// The key a request carries, in LiteLLM's header order.
pub fn presented_key(headers: &HeaderMap) -> Result<Option<String>, GatewayError> {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(value) = get("x-litellm-api-key") {
        return Ok(Some(strip_scheme(value).unwrap_or(value).trim().to_owned()));
    }
    if let Some(value) = get("authorization") {
        return match strip_scheme(value) {
            Some(key) => Ok(Some(key.trim().to_owned())),
            None => Err(GatewayError::Unauthorized(
                "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.".into(),
            )),
        };
    }
    for name in [
        "api-key",
        "x-api-key",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
    ] {
        if let Some(value) = get(name) {
            return Ok(Some(value.to_owned()));
        }
    }
    Ok(None)
}

/// Authenticates a request's headers.
pub fn authenticate(
    headers: &HeaderMap,
    master: Option<&MasterKey>,
    keys: &Keys,
) -> Result<Caller, GatewayError> {
    let Some(master) = master else {
        return Ok(Caller::Open);
    };
    let Some(key) = presented_key(headers)? else {
        return Err(GatewayError::Unauthorized(
            "Authentication Error, No api key passed in.".into(),
        ));
    };
    if master.matches(&key) {
        return Ok(Caller::Admin);
    }
    if !key.starts_with("sk-") {
        return Err(GatewayError::Unauthorized(
            "Authentication Error, LiteLLM Virtual Key expected: the key passed is not the master key and does \
             not start with 'sk-'."
                .into(),
        ));
    }
    let Some(entry) = keys.get(&hash_token(&key)) else {
        return Err(GatewayError::Unauthorized(format!(
            "Authentication Error, Invalid proxy server token passed. Received API Key = {}. Unable to find \
             token in cache or `LiteLLM_VerificationTokenTable`",
            key_name(&key)
        )));
    };
    {
        let record = entry.record();
        if record.blocked {
            return Err(GatewayError::Unauthorized(format!(
                "Authentication Error, Key is blocked. Key={}",
                record.key_name
            )));
        }
        if let Some(expires) = record.expires {
            let now = clock::now();
            if expires <= now {
                return Err(GatewayError::KeyExpired(format!(
                    "Authentication Error - Expired Key. Key Expiry time {} and current time {}",
                    clock::iso(expires),
                    clock::iso(now)
                )));
            }
        }
    }
    Ok(Caller::Key(entry))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                *name,
                HeaderValue::from_str(value).unwrap_or(HeaderValue::from_static("")),
            );
        }
        map
    }

    #[test]
    fn keys_are_read_in_litellm_header_order() {
        let h = headers(&[
            ("authorization", "Bearer sk-a"),
            ("x-litellm-api-key", "sk-b"),
        ]);
        assert_eq!(presented_key(&h).ok().flatten().as_deref(), Some("sk-b"));
        let h = headers(&[("x-api-key", "sk-c")]);
        assert_eq!(presented_key(&h).ok().flatten().as_deref(), Some("sk-c"));
        let h = headers(&[("authorization", "Token sk-d")]);
        let err = presented_key(&h)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("Malformed API Key"), "{err}");
        assert_eq!(presented_key(&HeaderMap::new()).ok().flatten(), None);
    }

    #[test]
    fn the_master_key_matches_only_itself() {
        let master = MasterKey::new("sk-master-1234");
        assert!(master.matches("sk-master-1234"));
        assert!(!master.matches("sk-master-123"));
        assert!(!master.matches("sk-master-12345"));
        assert!(!master.matches(""));
        assert_eq!(format!("{master:?}"), "MasterKey(***)");
    }
}

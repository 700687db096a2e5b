//! Google service-account credentials: a JWT signed with the account's RSA
//! key (RS256), exchanged at the token endpoint for an OAuth access token
//! (`urn:ietf:params:oauth:grant-type:jwt-bearer`).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};

/// The scope Vertex AI needs.
pub const CLOUD_PLATFORM_SCOPE: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Google's token endpoint, when the credentials name none.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Authentication, message)
}

/// A service account's key file, parsed (the private key never printed).
#[derive(Clone)]
pub struct ServiceAccount {
    /// `client_email`: the JWT's issuer.
    pub client_email: String,
    /// `private_key_id`: the JWT's `kid`.
    pub private_key_id: Option<String>,
    /// `project_id`.
    pub project_id: Option<String>,
    /// `token_uri`.
    pub token_uri: String,
    private_key_der: Vec<u8>,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("client_email", &self.client_email)
            .field("project_id", &self.project_id)
            .field("token_uri", &self.token_uri)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

impl ServiceAccount {
    /// Parses a key file's JSON. Errors name the missing field, never the key.
    pub fn from_json(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|err| {
            bad(format!(
                "the Vertex credentials are not a service-account JSON key ({err}); pass the \
                 key file's contents or path, or set GOOGLE_APPLICATION_CREDENTIALS"
            ))
        })?;
        let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
        let client_email = field("client_email")
            .ok_or_else(|| bad("the service-account key has no client_email"))?;
        let pem = field("private_key")
            .ok_or_else(|| bad("the service-account key has no private_key"))?;
        let body: String = pem
            .lines()
            .filter(|line| !line.starts_with("-----"))
            .collect::<Vec<_>>()
            .join("");
        let private_key_der = STANDARD
            .decode(body.trim())
            .map_err(|_| bad("the service-account private_key is not a PEM PKCS#8 key"))?;
        RsaKeyPair::from_pkcs8(&private_key_der)
            .map_err(|_| bad("the service-account private_key is not an RSA PKCS#8 key"))?;
        Ok(Self {
            client_email,
            private_key_id: field("private_key_id"),
            project_id: field("project_id"),
            token_uri: field("token_uri").unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned()),
            private_key_der,
        })
    }

    /// Overrides where the token is fetched (tests, private endpoints).
    pub fn with_token_uri(mut self, uri: impl Into<String>) -> Self {
        self.token_uri = uri.into();
        self
    }

    /// The signed assertion for `now` (Unix seconds), valid one hour.
    pub fn assertion(&self, now: u64) -> Result<String> {
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.private_key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": self.client_email,
            "scope": CLOUD_PLATFORM_SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let key = RsaKeyPair::from_pkcs8(&self.private_key_der)
            .map_err(|_| bad("the service-account private_key cannot be loaded"))?;
        let mut signature = vec![0; key.public().modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| bad("signing the service-account assertion failed"))?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// The form body of the token exchange.
    pub fn token_form(&self, now: u64) -> Result<String> {
        Ok(format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={}",
            self.assertion(now)?
        ))
    }
}

/// The access token and its lifetime in seconds from a token response.
pub fn parse_token_response(body: &str) -> Result<(String, u64)> {
    let value: Value = serde_json::from_str(body)
        .map_err(|_| bad("the token endpoint answered with something that is not JSON"))?;
    let token = value
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            let reason = value
                .get("error_description")
                .or_else(|| value.get("error"));
            bad(format!(
                "the token endpoint refused the service account: {}",
                reason.map_or_else(|| "no access_token".to_owned(), Value::to_string)
            ))
        })?;
    Ok((
        token.to_owned(),
        value
            .get("expires_in")
            .and_then(Value::as_u64)
            .unwrap_or(3600),
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn a_refused_exchange_is_an_authentication_error_with_google_s_reason() {
        let err = parse_token_response(
            r#"{"error": "invalid_grant", "error_description": "Invalid JWT Signature."}"#,
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Authentication);
        assert!(err.to_string().contains("Invalid JWT Signature"), "{err}");
        assert_eq!(
            parse_token_response(r#"{"access_token": "ya29.x", "expires_in": 10}"#).unwrap(),
            ("ya29.x".to_owned(), 10)
        );
        assert!(parse_token_response("<html>").is_err());
    }
}

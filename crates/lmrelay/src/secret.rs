//! API keys that never print.

use std::fmt;

/// An API key. `Debug` and `Display` print `***`, so a key cannot end up in a
/// log line or an error message by accident; [`ApiKey::expose`] is the one way in.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key itself, for the `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Removes every occurrence of this key from `text` (for provider error
    /// bodies that echo the key back).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "***")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for ApiKey {
    fn from(key: &str) -> Self {
        Self::new(key)
    }
}

impl From<String> for ApiKey {
    fn from(key: String) -> Self {
        Self::new(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_never_prints_and_scrub_removes_it() {
        let key = ApiKey::new("sk-canary-1234567890");
        assert_eq!(format!("{key:?} {key}"), "ApiKey(***) ***");
        let body = "Incorrect API key provided: sk-canary-1234567890.";
        assert_eq!(key.scrub(body), "Incorrect API key provided: ***.");
    }
}

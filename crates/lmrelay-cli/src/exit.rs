//! Exit codes: one per error kind, so scripts can react to each.

use lmrelay::ErrorKind;

/// Any failure that is not an SDK error (reading input, writing output).
pub const OTHER: u8 = 1;
/// Bad command-line usage (clap uses 2 as well).
pub const USAGE: u8 = 2;

/// The exit code for an SDK error kind (10-26, in the README's table).
pub fn for_kind(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::BadRequest => 10,
        ErrorKind::ContextWindowExceeded => 11,
        ErrorKind::ContentPolicyViolation => 12,
        ErrorKind::UnsupportedParams => 13,
        ErrorKind::Authentication => 14,
        ErrorKind::PermissionDenied => 15,
        ErrorKind::NotFound => 16,
        ErrorKind::Timeout => 17,
        ErrorKind::UnprocessableEntity => 18,
        ErrorKind::RateLimit => 19,
        ErrorKind::InternalServer => 20,
        ErrorKind::BadGateway => 21,
        ErrorKind::ServiceUnavailable => 22,
        ErrorKind::APIConnection => 23,
        ErrorKind::JSONSchemaValidation => 25,
        ErrorKind::BudgetExceeded => 26,
        _ => 24,
    }
}

/// Why the command failed: what to print and which code to exit with.
#[derive(Debug)]
pub enum Failure {
    /// An SDK error.
    Sdk(lmrelay::Error),
    /// Bad usage, with the message.
    Usage(String),
    /// Anything else, with the message.
    Other(String),
    /// The reader closed our output: stop quietly with success.
    BrokenPipe,
}

impl Failure {
    /// The single stderr line, if any.
    pub fn line(&self) -> Option<String> {
        match self {
            Self::Sdk(err) => Some(format!("error: {err}")),
            Self::Usage(msg) | Self::Other(msg) => Some(format!("error: {msg}")),
            Self::BrokenPipe => None,
        }
    }

    /// The exit code.
    pub fn code(&self) -> u8 {
        match self {
            Self::Sdk(err) => for_kind(err.kind()),
            Self::Usage(_) => USAGE,
            Self::Other(_) => OTHER,
            Self::BrokenPipe => 0,
        }
    }
}

impl From<lmrelay::Error> for Failure {
    fn from(err: lmrelay::Error) -> Self {
        Self::Sdk(err)
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::BrokenPipe {
            Self::BrokenPipe
        } else {
            Self::Other(format!("could not write the output: {err}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code() {
        let mut codes: Vec<u8> = ErrorKind::ALL.into_iter().map(for_kind).collect();
        assert_eq!(codes, (10..=26).collect::<Vec<u8>>());
        codes.dedup();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }
}

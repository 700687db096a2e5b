//! The one error type of the SDK: a kind that matches LiteLLM's exception
//! classes, plus status, provider, model, retryability and Retry-After.

use std::fmt;
use std::time::Duration;

/// What went wrong, named after LiteLLM's exception classes so code ported
/// from LiteLLM can match on the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was invalid (HTTP 400).
    BadRequest,
    /// The prompt does not fit the model's context window (400).
    ContextWindowExceeded,
    /// The provider's safety system refused the request (400).
    ContentPolicyViolation,
    /// A parameter is not supported by the target provider (400).
    UnsupportedParams,
    /// Missing or wrong API key (401).
    Authentication,
    /// The key may not use this resource (403).
    PermissionDenied,
    /// Unknown model or route (404).
    NotFound,
    /// The request took too long (408, or a local deadline).
    Timeout,
    /// The server understood the body but cannot process it (422).
    UnprocessableEntity,
    /// Too many requests or tokens (429).
    RateLimit,
    /// The provider failed (500 and other 5xx not named below).
    InternalServer,
    /// An upstream gateway failed (502).
    BadGateway,
    /// The provider is overloaded or down (503).
    ServiceUnavailable,
    /// The server could not be reached, or the connection broke.
    APIConnection,
    /// Any other failure status, or a response that could not be understood.
    APIError,
    /// The reply did not match the requested JSON schema (after any repairs).
    JSONSchemaValidation,
    /// The call would take the spend past the configured budget.
    BudgetExceeded,
}

impl ErrorKind {
    /// All kinds, in declaration order.
    pub const ALL: [ErrorKind; 17] = [
        Self::BadRequest,
        Self::ContextWindowExceeded,
        Self::ContentPolicyViolation,
        Self::UnsupportedParams,
        Self::Authentication,
        Self::PermissionDenied,
        Self::NotFound,
        Self::Timeout,
        Self::UnprocessableEntity,
        Self::RateLimit,
        Self::InternalServer,
        Self::BadGateway,
        Self::ServiceUnavailable,
        Self::APIConnection,
        Self::APIError,
        Self::JSONSchemaValidation,
        Self::BudgetExceeded,
    ];

    /// The LiteLLM exception class name for this kind (`RateLimitError`, ...).
    pub fn litellm_class(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequestError",
            Self::ContextWindowExceeded => "ContextWindowExceededError",
            Self::ContentPolicyViolation => "ContentPolicyViolationError",
            Self::UnsupportedParams => "UnsupportedParamsError",
            Self::Authentication => "AuthenticationError",
            Self::PermissionDenied => "PermissionDeniedError",
            Self::NotFound => "NotFoundError",
            Self::Timeout => "Timeout",
            Self::UnprocessableEntity => "UnprocessableEntityError",
            Self::RateLimit => "RateLimitError",
            Self::InternalServer => "InternalServerError",
            Self::BadGateway => "BadGatewayError",
            Self::ServiceUnavailable => "ServiceUnavailableError",
            Self::APIConnection => "APIConnectionError",
            Self::APIError => "APIError",
            Self::JSONSchemaValidation => "JSONSchemaValidationError",
            Self::BudgetExceeded => "BudgetExceededError",
        }
    }

    /// The short name used in messages and on the CLI (`RateLimit`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequest",
            Self::ContextWindowExceeded => "ContextWindowExceeded",
            Self::ContentPolicyViolation => "ContentPolicyViolation",
            Self::UnsupportedParams => "UnsupportedParams",
            Self::Authentication => "Authentication",
            Self::PermissionDenied => "PermissionDenied",
            Self::NotFound => "NotFound",
            Self::Timeout => "Timeout",
            Self::UnprocessableEntity => "UnprocessableEntity",
            Self::RateLimit => "RateLimit",
            Self::InternalServer => "InternalServer",
            Self::BadGateway => "BadGateway",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::APIConnection => "APIConnection",
            Self::APIError => "APIError",
            Self::JSONSchemaValidation => "JSONSchemaValidation",
            Self::BudgetExceeded => "BudgetExceeded",
        }
    }

    /// Parses a kind from its short name or its LiteLLM class name
    /// (`"RateLimit"`, `"RateLimitError"`, `"litellm.RateLimitError"`).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix("litellm.").unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|kind| kind.name() == name || kind.litellm_class() == name)
    }

    /// The HTTP status LiteLLM attaches to this kind when the provider gave none.
    pub fn default_status(self) -> u16 {
        match self {
            Self::BadRequest
            | Self::ContextWindowExceeded
            | Self::ContentPolicyViolation
            | Self::UnsupportedParams => 400,
            Self::BudgetExceeded => 400,
            Self::Authentication => 401,
            Self::PermissionDenied => 403,
            Self::NotFound => 404,
            Self::Timeout => 408,
            Self::UnprocessableEntity => 422,
            Self::RateLimit => 429,
            Self::InternalServer
            | Self::APIConnection
            | Self::APIError
            | Self::JSONSchemaValidation => 500,
            Self::BadGateway => 502,
            Self::ServiceUnavailable => 503,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    provider: Option<String>,
    model: Option<String>,
    retry_after: Option<Duration>,
    should_retry: Option<bool>,
    body: Option<String>,
    details: Option<serde_json::Value>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// An SDK failure. Displays as `Kind: message`; the message never contains an
/// API key and says what to do where there is something to do.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", .0.kind, .0.message)]
pub struct Error(Box<Inner>);

/// `Result` with the SDK's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            kind,
            message: message.into(),
            status: None,
            provider: None,
            model: None,
            retry_after: None,
            should_retry: None,
            body: None,
            details: None,
            source: None,
        }))
    }

    /// Sets the HTTP status the provider answered with.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Sets the provider the call went to.
    pub fn with_provider(mut self, provider: impl Into<String>) -> Self {
        self.0.provider = Some(provider.into());
        self
    }

    /// Sets the model the call asked for.
    pub fn with_model(mut self, model: impl Into<String>) -> Self {
        self.0.model = Some(model.into());
        self
    }

    /// Sets how long the provider asked us to wait before retrying.
    pub fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    /// Sets the provider's explicit retry advice (`x-should-retry`).
    pub fn with_should_retry(mut self, should_retry: Option<bool>) -> Self {
        self.0.should_retry = should_retry;
        self
    }

    /// Keeps the raw response body (already scrubbed of secrets).
    pub fn with_body(mut self, body: impl Into<String>) -> Self {
        self.0.body = Some(body.into());
        self
    }

    /// Attaches structured details (for JSONSchemaValidation: the raw reply,
    /// the schema and each validation error with its schema path).
    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.0.details = Some(details);
        self
    }

    /// Structured details, when the error carries any.
    pub fn details(&self) -> Option<&serde_json::Value> {
        self.0.details.as_ref()
    }

    /// Keeps the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Prefixes the message with context, keeping everything else.
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.0.message = format!("{context}: {}", self.0.message);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The message, without the kind prefix.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status the provider answered with, if it answered.
    pub fn upstream_status(&self) -> Option<u16> {
        self.0.status
    }

    /// The status code LiteLLM reports for this error: the provider's status
    /// when there was one, else the kind's default (500 for connection errors).
    pub fn status_code(&self) -> u16 {
        self.0
            .status
            .unwrap_or_else(|| self.0.kind.default_status())
    }

    /// The provider the call went to (`llamafile`, `openai`, ...).
    pub fn provider(&self) -> Option<&str> {
        self.0.provider.as_deref()
    }

    /// The model the call asked for.
    pub fn model(&self) -> Option<&str> {
        self.0.model.as_deref()
    }

    /// How long the provider asked us to wait (Retry-After, retry-after-ms).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The raw response body, when the provider sent one.
    pub fn body(&self) -> Option<&str> {
        self.0.body.as_deref()
    }

    /// Whether retrying the same request may succeed: 408, 409, 429, 5xx,
    /// timeouts and connection failures, unless the provider said
    /// `x-should-retry: false` (and 4xx become retryable with `x-should-retry: true`).
    pub fn is_retryable(&self) -> bool {
        if let Some(advice) = self.0.should_retry {
            return advice;
        }
        match self.0.status {
            Some(status) => matches!(status, 408 | 409 | 429) || status >= 500,
            None => matches!(
                self.0.kind,
                ErrorKind::Timeout
                    | ErrorKind::APIConnection
                    | ErrorKind::RateLimit
                    | ErrorKind::InternalServer
                    | ErrorKind::BadGateway
                    | ErrorKind::ServiceUnavailable
            ),
        }
    }

    /// The OpenAI-shaped error body for this error (`{"error": {...}}`).
    pub fn to_openai_json(&self) -> serde_json::Value {
        serde_json::json!({
            "error": {
                "message": self.to_string(),
                "type": self.openai_type(),
                "param": null,
                "code": self.status_code().to_string(),
            }
        })
    }

    fn openai_type(&self) -> &'static str {
        match self.0.kind {
            ErrorKind::Authentication => "authentication_error",
            ErrorKind::PermissionDenied => "permission_error",
            ErrorKind::NotFound => "not_found_error",
            ErrorKind::RateLimit => "rate_limit_error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::InternalServer
            | ErrorKind::BadGateway
            | ErrorKind::ServiceUnavailable
            | ErrorKind::APIConnection
            | ErrorKind::APIError
            | ErrorKind::JSONSchemaValidation => "api_error",
            ErrorKind::BudgetExceeded => "budget_exceeded",
            ErrorKind::BadRequest
            | ErrorKind::ContextWindowExceeded
            | ErrorKind::ContentPolicyViolation
            | ErrorKind::UnsupportedParams
            | ErrorKind::UnprocessableEntity => "invalid_request_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_round_trip_through_both_spellings() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
            assert_eq!(ErrorKind::from_name(kind.litellm_class()), Some(kind));
            let dotted = format!("litellm.{}", kind.litellm_class());
            assert_eq!(ErrorKind::from_name(&dotted), Some(kind));
        }
        assert_eq!(ErrorKind::from_name("Nope"), None);
    }

    #[test]
    fn retryability_follows_status_then_header_advice() {
        let rate = Error::new(ErrorKind::RateLimit, "slow down").with_status(429);
        assert!(rate.is_retryable());
        let bad = Error::new(ErrorKind::BadRequest, "bad").with_status(400);
        assert!(!bad.is_retryable());
        let conflict = Error::new(ErrorKind::APIError, "conflict").with_status(409);
        assert!(conflict.is_retryable());
        let told_no = Error::new(ErrorKind::InternalServer, "x")
            .with_status(500)
            .with_should_retry(Some(false));
        assert!(!told_no.is_retryable());
        let told_yes = Error::new(ErrorKind::BadRequest, "x")
            .with_status(400)
            .with_should_retry(Some(true));
        assert!(told_yes.is_retryable());
        assert!(Error::new(ErrorKind::APIConnection, "refused").is_retryable());
        assert!(!Error::new(ErrorKind::UnsupportedParams, "x").is_retryable());
    }

    #[test]
    fn display_is_kind_then_message_and_json_has_string_code() {
        let err = Error::new(ErrorKind::NotFound, "no such model").with_status(404);
        assert_eq!(err.to_string(), "NotFound: no such model");
        let json = err.to_openai_json();
        assert_eq!(json["error"]["code"], "404");
        assert_eq!(json["error"]["type"], "not_found_error");
        assert_eq!(
            Error::new(ErrorKind::APIConnection, "x").status_code(),
            500,
            "LiteLLM reports connection errors as 500"
        );
    }
}

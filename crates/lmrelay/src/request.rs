//! SDK requests: the OpenAI wire body plus per-call options (where to send
//! it, how long to wait, how to retry and fall back).

use std::time::Duration;

use lmrelay_types::{
    ChatCompletionRequest, ChatMessage, EmbeddingInput, EmbeddingRequest, JsonObject, Prompt,
    ResponseFormat, StopSequences, StreamOptions, TextCompletionRequest, Tool,
};
use serde_json::Value;

use crate::error::ErrorKind;
use crate::secret::ApiKey;

/// What `mock_response` returns instead of calling the network (as LiteLLM's
/// `mock_response`): a reply text, or an error of a kind.
#[derive(Debug, Clone, PartialEq)]
pub enum MockResponse {
    /// Answer with this text (usage 10 prompt / 20 completion tokens).
    Text(String),
    /// Fail with this kind (retries and fallbacks apply as for a real error).
    Error(ErrorKind),
}

impl From<&str> for MockResponse {
    /// `"litellm.RateLimitError"` (or any `litellm.<Class>`) is an error, as in
    /// LiteLLM; anything else is reply text.
    fn from(text: &str) -> Self {
        match text.strip_prefix("litellm.").and_then(ErrorKind::from_name) {
            Some(kind) => Self::Error(kind),
            None => Self::Text(text.to_owned()),
        }
    }
}

impl From<ErrorKind> for MockResponse {
    fn from(kind: ErrorKind) -> Self {
        Self::Error(kind)
    }
}

/// A model to fall back to, with its own API base and key if it needs them
/// (the primary's are not carried over: they belong to another server).
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    /// The model string.
    pub model: String,
    /// Its API base.
    pub api_base: Option<String>,
    /// Its key.
    pub api_key: Option<ApiKey>,
}

impl Fallback {
    /// A fallback to `model`, with the provider's default API base and key.
    pub fn new(model: impl Into<String>) -> Self {
        Self {
            model: model.into(),
            api_base: None,
            api_key: None,
        }
    }

    /// Sends the fallback to this API base.
    pub fn api_base(mut self, api_base: impl Into<String>) -> Self {
        self.api_base = Some(api_base.into());
        self
    }

    /// Uses this key for the fallback.
    pub fn api_key(mut self, api_key: impl Into<ApiKey>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }
}

impl From<&str> for Fallback {
    fn from(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            api_base: None,
            api_key: None,
        }
    }
}

impl From<String> for Fallback {
    fn from(model: String) -> Self {
        Self {
            model,
            api_base: None,
            api_key: None,
        }
    }
}

/// Per-call options, the same for every endpoint. Its `Debug` output masks
/// the key and credential headers.
#[derive(Clone, Default)]
pub struct CallOptions {
    /// Overrides the provider's API base.
    pub api_base: Option<String>,
    /// Overrides the provider's key.
    pub api_key: Option<ApiKey>,
    /// Deadline for each attempt; for streams, for the first chunk (default 600 s).
    pub timeout: Option<Duration>,
    /// Streams only: the longest wait for the first chunk (default: `timeout`).
    pub first_chunk_timeout: Option<Duration>,
    /// Streams only: the longest silence between chunks (default: `timeout`).
    pub idle_timeout: Option<Duration>,
    /// Retries of retryable failures (default 2: at most 3 attempts).
    pub num_retries: Option<u32>,
    /// Models tried in order once the retries of the primary are spent.
    pub fallbacks: Vec<Fallback>,
    /// Models tried instead when the prompt does not fit the context window.
    pub context_window_fallbacks: Vec<Fallback>,
    /// Answer without calling the network.
    pub mock_response: Option<MockResponse>,
    /// Drop parameters the provider does not support instead of failing.
    pub drop_params: bool,
    /// Extra HTTP headers.
    pub extra_headers: Vec<(String, String)>,
    /// Extra top-level JSON body fields (provider-specific parameters).
    pub extra_body: JsonObject,
    /// Check the reply against the `response_format` JSON schema (default:
    /// the client's setting, off unless enabled there).
    pub validate_json_schema: Option<bool>,
    /// How often a reply that fails its schema is sent back to the model
    /// with the errors, asking for a corrected one (default 0).
    pub max_repairs: u32,
    /// Response-cache controls for this call.
    pub cache: crate::cache::CacheControl,
    /// Azure's `api-version` (default: `AZURE_API_VERSION`, else LiteLLM's default).
    pub api_version: Option<String>,
    /// AWS credentials, region and profile for Bedrock (default: the
    /// environment and the shared files).
    pub aws: AwsOptions,
    /// Project, location and credentials for Vertex AI.
    pub vertex: VertexOptions,
}

/// Vertex AI settings of a call, as LiteLLM's `vertex_*` arguments. Its
/// `Debug` output masks the credentials.
#[derive(Clone, Default)]
pub struct VertexOptions {
    /// `vertex_project` (default: `VERTEXAI_PROJECT`, then the key's `project_id`).
    pub project: Option<String>,
    /// `vertex_location` (default: `VERTEXAI_LOCATION`, then `us-central1`).
    pub location: Option<String>,
    /// `vertex_credentials`: a service-account key's JSON or its path
    /// (default: `GOOGLE_APPLICATION_CREDENTIALS`).
    pub credentials: Option<ApiKey>,
    /// Where to exchange the assertion for a token (default: the key's `token_uri`).
    pub token_uri: Option<String>,
}

impl std::fmt::Debug for VertexOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VertexOptions")
            .field("project", &self.project)
            .field("location", &self.location)
            .field("credentials", &self.credentials)
            .field("token_uri", &self.token_uri)
            .finish()
    }
}

/// AWS settings of a Bedrock call, as LiteLLM's `aws_*` arguments. Its
/// `Debug` output masks the secret and the session token.
#[derive(Clone, Default)]
pub struct AwsOptions {
    /// `aws_access_key_id`.
    pub access_key_id: Option<String>,
    /// `aws_secret_access_key`.
    pub secret_access_key: Option<ApiKey>,
    /// `aws_session_token`.
    pub session_token: Option<ApiKey>,
    /// `aws_region_name`.
    pub region: Option<String>,
    /// `aws_profile_name` (a profile of the shared files).
    pub profile: Option<String>,
}

impl std::fmt::Debug for AwsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsOptions")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("region", &self.region)
            .field("profile", &self.profile)
            .finish()
    }
}

impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("api_base", &self.api_base)
            .field("api_key", &self.api_key)
            .field("timeout", &self.timeout)
            .field("first_chunk_timeout", &self.first_chunk_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("num_retries", &self.num_retries)
            .field("fallbacks", &self.fallbacks)
            .field("context_window_fallbacks", &self.context_window_fallbacks)
            .field("mock_response", &self.mock_response)
            .field("drop_params", &self.drop_params)
            .field(
                "extra_headers",
                &crate::transport::redacted_headers(&self.extra_headers),
            )
            .field("extra_body", &self.extra_body)
            .field("validate_json_schema", &self.validate_json_schema)
            .field("max_repairs", &self.max_repairs)
            .field("cache", &self.cache)
            .field("api_version", &self.api_version)
            .field("aws", &self.aws)
            .field("vertex", &self.vertex)
            .finish()
    }
}

/// Default per-attempt deadline, as LiteLLM's `completion(timeout=600)`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// An SDK request: a model string, the wire body and the call options.
#[derive(Debug, Clone)]
pub struct Request<B> {
    /// The model string (`provider/model`).
    pub model: String,
    /// The wire body (its `model` is replaced by the resolved model name).
    pub body: B,
    /// Per-call options.
    pub options: CallOptions,
}

/// A chat completion request.
pub type ChatRequest = Request<ChatCompletionRequest>;
/// A text completion request.
pub type TextRequest = Request<TextCompletionRequest>;
/// An embedding request.
pub type EmbeddingsRequest = Request<EmbeddingRequest>;

impl<B> Request<B> {
    /// Sends to this API base instead of the provider's default.
    pub fn api_base(mut self, api_base: impl Into<String>) -> Self {
        self.options.api_base = Some(api_base.into());
        self
    }

    /// Uses this key instead of the environment's.
    pub fn api_key(mut self, api_key: impl Into<ApiKey>) -> Self {
        self.options.api_key = Some(api_key.into());
        self
    }

    /// Deadline for each attempt (for streams: for the first chunk).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options.timeout = Some(timeout);
        self
    }

    /// Streams: the longest wait for the first chunk.
    pub fn first_chunk_timeout(mut self, timeout: Duration) -> Self {
        self.options.first_chunk_timeout = Some(timeout);
        self
    }

    /// Streams: the longest silence between two chunks.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.options.idle_timeout = Some(timeout);
        self
    }

    /// Retries of retryable failures: at most `1 + num_retries` attempts.
    pub fn num_retries(mut self, num_retries: u32) -> Self {
        self.options.num_retries = Some(num_retries);
        self
    }

    /// Adds a fallback model.
    pub fn fallback(mut self, fallback: impl Into<Fallback>) -> Self {
        self.options.fallbacks.push(fallback.into());
        self
    }

    /// Adds a model to use when the prompt does not fit the context window.
    pub fn context_window_fallback(mut self, fallback: impl Into<Fallback>) -> Self {
        self.options.context_window_fallbacks.push(fallback.into());
        self
    }

    /// Answers with this text or error instead of calling the network.
    pub fn mock_response(mut self, mock: impl Into<MockResponse>) -> Self {
        self.options.mock_response = Some(mock.into());
        self
    }

    /// Drops parameters the provider does not support instead of failing.
    pub fn drop_params(mut self, drop: bool) -> Self {
        self.options.drop_params = drop;
        self
    }

    /// Adds an HTTP header.
    pub fn extra_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options
            .extra_headers
            .push((name.into().to_ascii_lowercase(), value.into()));
        self
    }

    /// Checks the reply against the `response_format` JSON schema; a
    /// mismatch is a JSONSchemaValidation error (see [`Self::max_repairs`]).
    pub fn validate_json_schema(mut self, validate: bool) -> Self {
        self.options.validate_json_schema = Some(validate);
        self
    }

    /// Sends a reply that fails its schema back to the model with the
    /// validation errors, at most `repairs` times (implies validation).
    pub fn max_repairs(mut self, repairs: u32) -> Self {
        self.options.max_repairs = repairs;
        self
    }

    /// Response-cache controls (`no_cache`, `no_store`, `ttl`, `namespace`).
    pub fn cache(mut self, control: crate::cache::CacheControl) -> Self {
        self.options.cache = control;
        self
    }

    /// AWS credentials, region or profile for a Bedrock call.
    pub fn aws(mut self, aws: AwsOptions) -> Self {
        self.options.aws = aws;
        self
    }

    /// Vertex AI's project, location or credentials for this call.
    pub fn vertex(mut self, vertex: VertexOptions) -> Self {
        self.options.vertex = vertex;
        self
    }

    /// Azure's `api-version` for this call.
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.options.api_version = Some(version.into());
        self
    }

    /// Adds a top-level body field (provider-specific parameters such as `top_k`).
    pub fn extra_body(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.options.extra_body.insert(key.into(), value.into());
        self
    }
}

impl ChatRequest {
    /// A chat request for `model` with no messages yet.
    ///
    /// ```
    /// use lmrelay::ChatRequest;
    /// let request = ChatRequest::new("llamafile/gemma-3-3b")
    ///     .system("Answer in one word.")
    ///     .user("Capital of France?")
    ///     .temperature(0.0)
    ///     .max_tokens(8)
    ///     .mock_response("Paris");
    /// assert_eq!(request.body.messages.len(), 2);
    /// ```
    pub fn new(model: impl Into<String>) -> Self {
        let model = model.into();
        Self {
            body: ChatCompletionRequest::new(model.clone(), Vec::new()),
            model,
            options: CallOptions::default(),
        }
    }

    /// Adds a message.
    pub fn message(mut self, message: ChatMessage) -> Self {
        self.body.messages.push(message);
        self
    }

    /// Replaces all messages.
    pub fn messages(mut self, messages: Vec<ChatMessage>) -> Self {
        self.body.messages = messages;
        self
    }

    /// Adds a system message.
    pub fn system(self, text: impl Into<String>) -> Self {
        self.message(ChatMessage::system(text.into()))
    }

    /// Adds a user message.
    pub fn user(self, text: impl Into<String>) -> Self {
        self.message(ChatMessage::user(text.into()))
    }

    /// Sampling temperature.
    pub fn temperature(mut self, value: f64) -> Self {
        self.body.temperature = Some(value);
        self
    }

    /// Nucleus sampling.
    pub fn top_p(mut self, value: f64) -> Self {
        self.body.top_p = Some(value);
        self
    }

    /// Number of choices.
    pub fn n(mut self, value: u32) -> Self {
        self.body.n = Some(value);
        self
    }

    /// Stop sequences.
    pub fn stop(mut self, stops: Vec<String>) -> Self {
        self.body.stop = Some(StopSequences::Many(stops));
        self
    }

    /// Maximum tokens to generate.
    pub fn max_tokens(mut self, value: u32) -> Self {
        self.body.max_tokens = Some(value);
        self
    }

    /// Maximum tokens to generate, reasoning included.
    pub fn max_completion_tokens(mut self, value: u32) -> Self {
        self.body.max_completion_tokens = Some(value);
        self
    }

    /// Presence penalty.
    pub fn presence_penalty(mut self, value: f64) -> Self {
        self.body.presence_penalty = Some(value);
        self
    }

    /// Frequency penalty.
    pub fn frequency_penalty(mut self, value: f64) -> Self {
        self.body.frequency_penalty = Some(value);
        self
    }

    /// Token biases (token id → bias).
    pub fn logit_bias(mut self, bias: serde_json::Map<String, Value>) -> Self {
        self.body.logit_bias = Some(bias);
        self
    }

    /// Seed for deterministic sampling.
    pub fn seed(mut self, value: i64) -> Self {
        self.body.seed = Some(value);
        self
    }

    /// End-user identifier.
    pub fn user_id(mut self, value: impl Into<String>) -> Self {
        self.body.user = Some(value.into());
        self
    }

    /// Output format.
    pub fn response_format(mut self, format: ResponseFormat) -> Self {
        self.body.response_format = Some(format);
        self
    }

    /// Tools the model may call.
    pub fn tools(mut self, tools: Vec<Tool>) -> Self {
        self.body.tools = Some(tools);
        self
    }

    /// `"auto"`, `"none"`, `"required"` or a specific function.
    pub fn tool_choice(mut self, choice: impl Into<Value>) -> Self {
        self.body.tool_choice = Some(choice.into());
        self
    }

    /// Allow several tool calls in one turn.
    pub fn parallel_tool_calls(mut self, value: bool) -> Self {
        self.body.parallel_tool_calls = Some(value);
        self
    }

    /// Ask for a final usage chunk when streaming.
    pub fn include_usage(mut self, value: bool) -> Self {
        self.body.stream_options = Some(StreamOptions {
            include_usage: Some(value),
        });
        self
    }
}

impl TextRequest {
    /// A text completion request.
    pub fn new(model: impl Into<String>, prompt: impl Into<Prompt>) -> Self {
        let model = model.into();
        Self {
            body: TextCompletionRequest {
                model: model.clone(),
                prompt: prompt.into(),
                max_tokens: None,
                temperature: None,
                top_p: None,
                n: None,
                stop: None,
                seed: None,
                echo: None,
                suffix: None,
                presence_penalty: None,
                frequency_penalty: None,
                user: None,
                extra: JsonObject::new(),
            },
            model,
            options: CallOptions::default(),
        }
    }

    /// Maximum tokens to generate.
    pub fn max_tokens(mut self, value: u32) -> Self {
        self.body.max_tokens = Some(value);
        self
    }

    /// Sampling temperature.
    pub fn temperature(mut self, value: f64) -> Self {
        self.body.temperature = Some(value);
        self
    }
}

impl EmbeddingsRequest {
    /// An embedding request.
    pub fn new(model: impl Into<String>, input: impl Into<EmbeddingInput>) -> Self {
        let model = model.into();
        Self {
            body: EmbeddingRequest {
                model: model.clone(),
                input: input.into(),
                encoding_format: None,
                dimensions: None,
                user: None,
                extra: JsonObject::new(),
            },
            model,
            options: CallOptions::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_a_request_never_shows_the_key() {
        let request = ChatRequest::new("openai/gpt-4o")
            .api_key("sk-canary-secret")
            .extra_header("api-key", "sk-canary-azure");
        let text = format!("{request:?}");
        assert!(!text.contains("canary"), "{text}");
    }

    #[test]
    fn litellm_mock_error_strings_become_error_kinds() {
        assert_eq!(
            MockResponse::from("litellm.RateLimitError"),
            MockResponse::Error(ErrorKind::RateLimit)
        );
        assert_eq!(
            MockResponse::from("RateLimitError"),
            MockResponse::Text("RateLimitError".into()),
            "only the litellm.-prefixed form is an error"
        );
    }
}

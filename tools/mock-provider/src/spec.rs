//! The fault spec: comma-separated `key=value` settings in the URL path
//! (`/fault/status=429,retry_after=1/v1/chat/completions`), so any client,
//! LiteLLM included, can ask for a fault by choosing its API base.

use std::time::Duration;

/// What the mock should do for requests under one spec.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// Answer with this HTTP status and an error body.
    pub status: Option<u16>,
    /// Which error body to send (see `replies::error_body`).
    pub error: Option<String>,
    /// Fail only the first N requests, then succeed.
    pub fail_times: Option<usize>,
    /// `retry-after` in seconds.
    pub retry_after: Option<String>,
    /// `retry-after-ms`.
    pub retry_after_ms: Option<u64>,
    /// `retry-after` as an HTTP date this many seconds ahead.
    pub retry_after_date: Option<u64>,
    /// `x-should-retry`.
    pub should_retry: Option<bool>,
    /// Delay before the response starts.
    pub first_byte: Option<Duration>,
    /// Delay between stream chunks.
    pub chunk_delay: Option<Duration>,
    /// Number of content chunks in a stream.
    pub chunks: Option<usize>,
    /// End the stream cleanly after N content chunks (no finish, no [DONE]).
    pub cut_after: Option<usize>,
    /// Abort the connection after N content chunks.
    pub abort_after: Option<usize>,
    /// Stop sending (but keep the connection) after N content chunks.
    pub stall_after: Option<usize>,
    /// Send an error event after N content chunks.
    pub midstream_error: Option<usize>,
    /// Send N identical chunks.
    pub repeat: Option<usize>,
    /// Send a body (or stream line) that is not valid JSON.
    pub malformed: bool,
    /// Use CRLF line ends in streams.
    pub crlf: bool,
    /// Answer 200 with an error object instead of a result.
    pub error_200: bool,
    /// Answer a stream request with one JSON body (a server ignoring `stream`).
    pub stream_as_json: bool,
    /// Refuse requests that carry a `response_format` (a server without JSON mode).
    pub reject_json: bool,
    /// The context size `/v1/models` reports (llama.cpp's `meta.n_ctx`).
    pub n_ctx: Option<u64>,
    /// Reply text (`_` stands for a space).
    pub reply: Option<String>,
    /// With a JSON-schema `response_format`: the first N replies break the
    /// schema (an empty object inside chatter), later ones follow it.
    pub bad_json_times: Option<usize>,
    /// With a JSON-schema `response_format`: wrap the valid reply in a
    /// fenced block with chatter around it (a model without JSON mode).
    pub chatty_json: bool,
}

impl FaultSpec {
    /// Parses a spec; an unknown key or bad value is an error naming it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut spec = Self::default();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let num = || {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("fault '{key}' needs a whole number, got '{value}'"))
            };
            let ms = || num().map(Duration::from_millis);
            let count = || num().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
            match key {
                "status" => {
                    spec.status =
                        Some(u16::try_from(num()?).map_err(|_| format!("bad status '{value}'"))?)
                }
                "error" => spec.error = Some(value.to_owned()),
                "fail_times" => spec.fail_times = Some(count()?),
                "retry_after" => spec.retry_after = Some(value.to_owned()),
                "retry_after_ms" => spec.retry_after_ms = Some(num()?),
                "retry_after_date" => spec.retry_after_date = Some(num()?),
                "should_retry" => spec.should_retry = Some(value == "true"),
                "first_byte_ms" => spec.first_byte = Some(ms()?),
                "chunk_ms" => spec.chunk_delay = Some(ms()?),
                "chunks" => spec.chunks = Some(count()?),
                "cut_after" => spec.cut_after = Some(count()?),
                "abort_after" => spec.abort_after = Some(count()?),
                "stall_after" => spec.stall_after = Some(count()?),
                "midstream_error" => spec.midstream_error = Some(count()?),
                "repeat" => spec.repeat = Some(count()?),
                "malformed" => spec.malformed = true,
                "crlf" => spec.crlf = true,
                "error_200" => spec.error_200 = true,
                "n_ctx" => spec.n_ctx = Some(num()?),
                "reject_json" => spec.reject_json = true,
                "stream_as_json" => spec.stream_as_json = true,
                "reply" => spec.reply = Some(value.replace('_', " ")),
                "bad_json_times" => spec.bad_json_times = Some(count()?),
                "chatty_json" => spec.chatty_json = true,
                // A free name, so tests can keep their requests apart.
                "label" => {}
                other => return Err(format!("unknown fault '{other}' in spec '{text}'")),
            }
        }
        Ok(spec)
    }

    /// Whether request number `attempt` (1-based) should fail.
    pub fn fails(&self, attempt: usize) -> bool {
        self.status.is_some() && self.fail_times.is_none_or(|n| attempt <= n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_instances_follow_the_schema() {
        let schema = serde_json::json!({"type": "object", "properties": {
            "type": {"type": "string", "enum": ["feat", "fix"]},
            "subject": {"type": "string", "minLength": 12},
            "breaking": {"type": "boolean"}}});
        let value = crate::replies::schema_instance(&schema);
        assert_eq!(value["type"], "feat");
        assert_eq!(value["subject"], "mock replyxx");
        assert_eq!(value["breaking"], false);
    }

    #[test]
    fn parses_keys_and_rejects_unknown_ones() {
        let spec =
            FaultSpec::parse("status=429,retry_after=2,fail_times=1,reply=hi_there").unwrap();
        assert_eq!(spec.status, Some(429));
        assert_eq!(spec.retry_after.as_deref(), Some("2"));
        assert_eq!(spec.reply.as_deref(), Some("hi there"));
        assert!(spec.fails(1));
        assert!(!spec.fails(2));
        assert!(FaultSpec::parse("stauts=500").is_err());
        assert!(FaultSpec::parse("status=abc").is_err());
        assert_eq!(FaultSpec::parse("").unwrap(), FaultSpec::default());
    }
}

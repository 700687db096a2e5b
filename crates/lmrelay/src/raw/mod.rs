//! A chat completion kept as the bytes the provider sent, for callers that
//! only forward it (the gateway): the reply is checked and its usage read,
//! but it is not rebuilt field by field and written again.
//!
//! Only an OpenAI-protocol reply with the complete head of a chat
//! completion (`id`, `object`, `created`, `model` and a `choices` list of
//! objects) is kept as sent; anything else is parsed into
//! [`ChatCompletionResponse`] and written out again, exactly as
//! [`crate::Client::completion`] would answer it.

use std::borrow::Cow;

use bytes::Bytes;
use lmrelay_types::{ChatCompletionResponse, ResponseMeta, Usage};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::cost::Priced;
use head::reply_head;

mod chunk;
mod head;
mod scan;

pub use chunk::RawChunk;
pub use head::ChunkMemo;

/// A chat completion as JSON bytes, with the usage read from it and the
/// SDK's meta (cost, provider, cache hit). See [`crate::Client::completion_raw`].
#[derive(Debug, Clone)]
pub struct RawChatCompletion {
    body: Bytes,
    /// Boxed: the reply moves through the router's and SDK's futures, and
    /// usage inline would double its size.
    usage: Option<Box<Usage>>,
    meta: ResponseMeta,
}

impl RawChatCompletion {
    /// The reply's JSON, as the provider sent it when it could be kept.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The reply's token usage, when it reported one.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_deref()
    }

    /// Cost, cache hit and provider, filled by the SDK.
    pub fn meta(&self) -> &ResponseMeta {
        &self.meta
    }

    /// The cost in USD, when the model's price is known: priced when
    /// asked, from the usage (a caller that prices calls its own way, as
    /// the gateway, never pays for it).
    pub fn cost(&self) -> Option<rust_decimal::Decimal> {
        if self.meta.cost.is_some() {
            return self.meta.cost;
        }
        crate::cost::price_usage(&self.meta, self.usage.as_deref()?)
    }

    /// The reply as a typed response (with the same meta, its cost priced).
    pub fn parse(&self) -> serde_json::Result<ChatCompletionResponse> {
        let mut response: ChatCompletionResponse = lmrelay_types::from_json_bytes(&self.body)?;
        response.meta = self.meta.clone();
        response.meta.cost = self.cost();
        Ok(response)
    }

    /// Writes a typed response out as JSON, keeping its usage and meta.
    pub fn from_typed(response: &ChatCompletionResponse) -> serde_json::Result<Self> {
        let mut body = Vec::with_capacity(1024);
        serde_json::to_writer(&mut body, response)?;
        Ok(Self {
            body: Bytes::from(body),
            usage: response.usage.clone().map(Box::new),
            meta: response.meta.clone(),
        })
    }

    /// Keeps `body` as it is when it has the complete head of a chat
    /// completion; `None` when it does not (or is not JSON), and the caller
    /// takes the typed path, which fills in or names what is missing.
    pub fn keep(body: Bytes) -> Option<Self> {
        let usage = reply_head(std::str::from_utf8(&body).ok()?)?;
        Some(Self {
            body,
            usage: usage.map(Box::new),
            meta: ResponseMeta::default(),
        })
    }
}

impl Priced for RawChatCompletion {
    fn meta_mut(&mut self) -> &mut ResponseMeta {
        &mut self.meta
    }
    fn meta(&self) -> &ResponseMeta {
        &self.meta
    }
    fn usage_to_price(&self) -> Option<Cow<'_, Usage>> {
        self.usage.as_deref().map(Cow::Borrowed)
    }
    fn priced_cost(&self) -> Option<rust_decimal::Decimal> {
        self.cost()
    }
    /// Who asked and answered; the cost waits for [`RawChatCompletion::cost`].
    fn set_meta(&mut self, requested_model: &str, provider: &str) {
        self.meta.requested_model = Some(requested_model.to_owned());
        self.meta.provider = Some(provider.to_owned());
        self.meta.cost = None;
    }
}

/// Written as the JSON it holds (the cache stores it this way).
impl Serialize for RawChatCompletion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value: &serde_json::value::RawValue =
            serde_json::from_slice(&self.body).map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

/// Read from any chat completion's JSON (the cache's stored answers): kept
/// as it is when its head is complete, else normalized through the typed
/// response.
impl<'de> Deserialize<'de> for RawChatCompletion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        let body = Bytes::from(serde_json::to_vec(&value).map_err(de::Error::custom)?);
        if let Some(kept) = Self::keep(body) {
            return Ok(kept);
        }
        let typed: ChatCompletionResponse =
            serde_json::from_value(value).map_err(de::Error::custom)?;
        Self::from_typed(&typed).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"{"id":"c-1","object":"chat.completion","created":1700000000,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"h\u00e9"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5},"system_fingerprint":null,"timings":{"x":1.50}}"#;

    #[test]
    fn complete_reply_is_kept_byte_for_byte_with_its_usage() {
        let kept = RawChatCompletion::keep(Bytes::from_static(FULL.as_bytes())).unwrap();
        assert_eq!(kept.body().as_ref(), FULL.as_bytes());
        let usage = kept.usage().unwrap();
        assert_eq!((usage.prompt_tokens, usage.completion_tokens), (3, 2));
        assert_eq!(kept.parse().unwrap().content(), Some("hé"));
    }

    #[test]
    fn incomplete_or_mistyped_heads_are_not_kept() {
        let cases = [
            r#"{"object":"chat.completion","created":1,"model":"m","choices":[]}"#,
            r#"{"id":"a","created":1,"model":"m","choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","model":"m","choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":"m"}"#,
            r#"{"id":7,"object":"chat.completion","created":1,"model":"m","choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":-1,"model":"m","choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":1.5,"model":"m","choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":null,"choices":[]}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":"m","choices":{}}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":"m","choices":[1]}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":"x"}}"#,
            r#"{"id":"a","object":"chat.completion","created":1,"model":"m","choices":[]"#,
            "not json",
        ];
        for case in cases {
            assert!(
                RawChatCompletion::keep(Bytes::from_static(case.as_bytes())).is_none(),
                "kept {case}"
            );
        }
        let invalid_utf8 =
            b"{\"id\":\"\xff\",\"object\":\"o\",\"created\":1,\"model\":\"m\",\"choices\":[]}";
        assert!(RawChatCompletion::keep(Bytes::from_static(invalid_utf8)).is_none());
    }

    #[test]
    fn serde_round_trip_keeps_the_reply() {
        let kept = RawChatCompletion::keep(Bytes::from_static(FULL.as_bytes())).unwrap();
        let value = serde_json::to_value(&kept).unwrap();
        assert_eq!(
            value,
            serde_json::from_str::<serde_json::Value>(FULL).unwrap()
        );
        let back: RawChatCompletion = serde_json::from_value(value).unwrap();
        assert_eq!(back.parse().unwrap(), kept.parse().unwrap());
        assert_eq!(back.usage(), kept.usage());
    }

    #[test]
    fn incomplete_reply_read_from_json_is_normalized_like_the_typed_path() {
        let value = serde_json::json!({"choices": [], "model": "m"});
        let raw: RawChatCompletion = serde_json::from_value(value.clone()).unwrap();
        let typed: ChatCompletionResponse = serde_json::from_value(value).unwrap();
        assert_eq!(raw.body().as_ref(), serde_json::to_vec(&typed).unwrap());
    }
}

//! How each endpoint is spoken to a target: the request to build, the
//! body to read and the failure statuses to map, per protocol.

use bytes::Bytes;
use lmrelay_types::{ChatCompletionResponse, EmbeddingResponse, TextCompletionResponse};

use crate::error::{ErrorKind, Result};
use crate::providers::adapter::{Adapter, MapErrorFn, adapter_for};
use crate::providers::openai_compat::{self, parse_json};
use crate::providers::{Protocol, Target};
use crate::raw::RawChatCompletion;
use crate::request::{CallOptions, MockResponse};
use crate::transport::WireRequest;

/// How one endpoint is spoken to a target: build the request, read the
/// body, map a failure status (adapter functions, chosen per target).
pub(super) struct Route<B, T> {
    pub(super) build: fn(&Target, &B, &CallOptions) -> Result<WireRequest>,
    pub(super) parse: fn(&Target, &Bytes) -> Result<T>,
    pub(super) map_error: MapErrorFn,
}

/// The adapter that speaks a target's chat protocol.
pub(super) fn chat_adapter(target: &Target) -> Result<&'static Adapter> {
    adapter_for(target.provider.protocol).ok_or_else(|| {
        target.error(
            ErrorKind::BadRequest,
            format!(
                "provider '{}' speaks its own protocol, which this version of lmrelay does not \
                 translate yet; call it through an OpenAI-compatible endpoint meanwhile (see {})",
                target.provider.prefix, target.provider.docs
            ),
        )
    })
}

pub(super) const CHAT: Route<lmrelay_types::ChatCompletionRequest, ChatCompletionResponse> =
    Route {
        build: |t, b, o| (chat_adapter(t)?.chat_request)(t, b, o, false),
        parse: |t, bytes| (chat_adapter(t)?.parse_chat)(t, bytes),
        map_error: chat_error,
    };

/// Chat kept as the provider's bytes: an OpenAI-protocol reply with the
/// complete head of a chat completion and no `"error"` key is kept as sent;
/// anything else goes through the typed path (translated, normalized, or
/// the error it names) and is written out again.
pub(super) const RAW_CHAT: Route<lmrelay_types::ChatCompletionRequest, RawChatCompletion> = Route {
    build: CHAT.build,
    parse: |t, bytes| {
        if t.provider.protocol == Protocol::Openai
            && !openai_compat::mentions_error(bytes)
            && let Some(kept) = RawChatCompletion::keep(bytes.clone())
        {
            return Ok(kept);
        }
        let typed = (chat_adapter(t)?.parse_chat)(t, bytes)?;
        RawChatCompletion::from_typed(&typed).map_err(|err| {
            t.error(
                ErrorKind::APIError,
                format!("the reply could not be written as JSON: {err}"),
            )
        })
    },
    map_error: chat_error,
};

/// A chat failure status, mapped by the target's protocol.
fn chat_error(
    target: &Target,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> crate::Error {
    match chat_adapter(target) {
        Ok(adapter) => (adapter.map_error)(target, status, headers, body),
        Err(err) => err,
    }
}

/// Azure's error mapping (content filter) for Azure targets, OpenAI's for the rest.
fn deployment_or_openai_error(
    target: &Target,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &str,
) -> crate::Error {
    if target.provider.protocol == Protocol::Azure {
        crate::providers::azure::map_error(target, status, headers, body)
    } else {
        openai_compat::map_error(target, status, headers, body)
    }
}

pub(super) const TEXT: Route<lmrelay_types::TextCompletionRequest, TextCompletionResponse> =
    Route {
        build: |t, b, o| {
            if t.provider.protocol == Protocol::Azure {
                return crate::providers::azure::text_request(t, b, o);
            }
            ensure_openai(t)?;
            openai_compat::text_request(t, b, o)
        },
        parse: |t, bytes| parse_json(t, bytes),
        map_error: deployment_or_openai_error,
    };

pub(super) const EMBEDDINGS: Route<lmrelay_types::EmbeddingRequest, EmbeddingResponse> = Route {
    build: |t, b, o| {
        if t.provider.protocol == Protocol::Azure {
            return crate::providers::azure::embedding_request(t, b, o);
        }
        ensure_openai(t)?;
        openai_compat::embedding_request(t, b, o)
    },
    parse: |t, bytes| parse_json(t, bytes),
    map_error: deployment_or_openai_error,
};

/// Builds the answer to a `mock_response`.
pub(super) type MockFn<T> = fn(&Target, &str, &MockResponse) -> Result<T>;

/// Only OpenAI-compatible providers are translated by this module.
fn ensure_openai(target: &Target) -> Result<()> {
    if target.provider.is_openai_compatible() {
        return Ok(());
    }
    Err(target.error(
        ErrorKind::BadRequest,
        format!(
            "provider '{}' speaks its own protocol, which this version of lmrelay does not \
             translate yet; call it through an OpenAI-compatible endpoint meanwhile (see {})",
            target.provider.prefix, target.provider.docs
        ),
    ))
}

//! The same calls without async: each blocks the calling thread on a runtime
//! the module owns. Do not call these from inside an async runtime (that is
//! an error, not a deadlock); use the async API there.
//!
//! ```
//! let reply = lmrelay::blocking::completion(
//!     lmrelay::ChatRequest::new("llamafile/gemma-3-3b")
//!         .user("Say hi")
//!         .mock_response("hi"),
//! )?;
//! assert_eq!(reply.content(), Some("hi"));
//! # Ok::<(), lmrelay::Error>(())
//! ```

use std::sync::LazyLock;

use futures::StreamExt;
use lmrelay_types::{
    ChatCompletionChunk, ChatCompletionResponse, EmbeddingResponse, TextCompletionResponse,
};

use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::request::{ChatRequest, EmbeddingsRequest, TextRequest};
use crate::stream::ChatStream;

struct Blocking {
    runtime: tokio::runtime::Runtime,
    client: Client,
}

static BLOCKING: LazyLock<Result<Blocking, String>> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("lmrelay-blocking")
        .enable_all()
        .build()
        .map_err(|err| format!("could not start the blocking runtime: {err}"))?;
    let client = {
        let _guard = runtime.enter();
        Client::new().map_err(|err| err.to_string())?
    };
    Ok(Blocking { runtime, client })
});

fn blocking() -> Result<&'static Blocking> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::new(
            ErrorKind::BadRequest,
            "lmrelay::blocking was called inside an async runtime: use the async API \
             (lmrelay::completion(...).await) there",
        ));
    }
    BLOCKING
        .as_ref()
        .map_err(|msg| Error::new(ErrorKind::APIConnection, msg.clone()))
}

/// Blocking [`crate::completion`].
pub fn completion(request: ChatRequest) -> Result<ChatCompletionResponse> {
    let b = blocking()?;
    b.runtime.block_on(b.client.completion(request))
}

/// Blocking [`crate::completion_parsed`].
pub fn completion_parsed<T>(request: ChatRequest) -> Result<crate::Parsed<T>>
where
    T: serde::de::DeserializeOwned + schemars::JsonSchema,
{
    let b = blocking()?;
    b.runtime.block_on(b.client.completion_parsed(request))
}

/// Blocking [`crate::completion_stream`]: an iterator over chunks.
pub fn completion_stream(request: ChatRequest) -> Result<ChunkIter> {
    let b = blocking()?;
    let stream = b.runtime.block_on(b.client.completion_stream(request))?;
    Ok(ChunkIter { stream })
}

/// Blocking [`crate::text_completion`].
pub fn text_completion(request: TextRequest) -> Result<TextCompletionResponse> {
    let b = blocking()?;
    b.runtime.block_on(b.client.text_completion(request))
}

/// Blocking [`crate::embedding`].
pub fn embedding(request: EmbeddingsRequest) -> Result<EmbeddingResponse> {
    let b = blocking()?;
    b.runtime.block_on(b.client.embedding(request))
}

/// Chunks of a streamed completion, one per `next()`.
#[derive(Debug)]
pub struct ChunkIter {
    stream: ChatStream,
}

impl Iterator for ChunkIter {
    type Item = Result<ChatCompletionChunk>;

    fn next(&mut self) -> Option<Self::Item> {
        match blocking() {
            Ok(b) => b.runtime.block_on(self.stream.next()),
            Err(err) => Some(Err(err)),
        }
    }
}

//! Streaming: the SSE decoder, the chunk reader with first-chunk and idle
//! deadlines, the repeated-chunk guard and the chunk builder.

mod chunk_builder;
mod sse;

use std::collections::{BTreeSet, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use lmrelay_types::{ChatCompletionChunk, ChatCompletionResponse, ResponseMeta, Usage};
use rust_decimal::Decimal;
use tokio::time::{Instant, Sleep};

pub use chunk_builder::{ChunkBuilder, DEFAULT_REPEAT_LIMIT, RepeatGuard};
pub use sse::{
    DEFAULT_MAX_LINE, LineTooLong, SseDecoder, SseEvent, check_split_invariance, decode_all,
};

use crate::error::{ErrorKind, Result};
use crate::providers::Target;
use crate::providers::adapter::{Adapter, FrameFormat, StreamTranslator};
use crate::raw::ChunkMemo;
use crate::transport::{ByteStream, HttpResponse, deadline_error, transport_error};

/// What a [`ChatStream`] can carry: typed chunks ([`ChatCompletionChunk`],
/// the default) or chunks kept as the provider's JSON
/// ([`crate::RawChunk`]).
pub trait StreamChunk: Clone + Send + Sized + Unpin + 'static {
    /// Takes an OpenAI-protocol frame as it is, when this kind of chunk
    /// keeps frames and this one qualifies; `None` leaves the frame
    /// untouched for the typed path. `memo` belongs to the stream: what
    /// its chunks repeat, learned from the ones before.
    fn keep_frame(frame: &mut SseEvent, memo: &mut ChunkMemo) -> Option<Self>;
    /// A chunk from the typed path (translated providers, mock, cache).
    fn from_typed(chunk: ChatCompletionChunk) -> Self;
    /// The chunk as a typed one (`None` if it cannot be read as one).
    fn into_typed(self) -> Option<ChatCompletionChunk>;
    /// Its usage, if it carries one.
    fn usage(&self) -> Option<&Usage>;
    /// Calls `f` with each choice's index and whether this chunk ends it.
    fn for_each_choice(&self, f: impl FnMut(u32, bool));
    /// The first choice's text, if any.
    fn first_content(&self) -> Option<&str>;
    /// Whether it has any choice (the usage chunk has none).
    fn has_choices(&self) -> bool {
        let mut any = false;
        self.for_each_choice(|_, _| any = true);
        any
    }
}

impl StreamChunk for ChatCompletionChunk {
    fn keep_frame(_: &mut SseEvent, _: &mut ChunkMemo) -> Option<Self> {
        None
    }
    fn from_typed(chunk: ChatCompletionChunk) -> Self {
        chunk
    }
    fn into_typed(self) -> Option<ChatCompletionChunk> {
        Some(self)
    }
    fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }
    fn for_each_choice(&self, mut f: impl FnMut(u32, bool)) {
        for choice in &self.choices {
            f(choice.index, choice.finish_reason.is_some());
        }
    }
    fn first_content(&self) -> Option<&str> {
        self.choices.first()?.delta.content.as_deref()
    }
    fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }
}

/// A stream of chat completion chunks. Ends after the last chunk; a failure
/// (mid-stream error event, cut connection, deadline) is its last item.
pub struct ChatStream<C = ChatCompletionChunk> {
    inner: BoxStream<'static, Result<C>>,
    meta: ResponseMeta,
    usage: Option<Usage>,
    tap: Option<StreamTap<C>>,
}

/// Called with every chunk of a stream that ended cleanly (the response cache).
pub(crate) type StreamTap<C> = (Vec<C>, Box<dyn FnOnce(Vec<C>) + Send>);

impl<C> std::fmt::Debug for ChatStream<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChatStream")
    }
}

impl<C: StreamChunk> ChatStream<C> {
    /// A stream over chunks already at hand (mock responses, tests).
    pub fn from_chunks(chunks: Vec<Result<C>>) -> Self {
        Self::new(futures::stream::iter(chunks).boxed())
    }

    /// A stream over typed chunks, in this stream's kind of chunk.
    pub(crate) fn from_typed_chunks(chunks: Vec<ChatCompletionChunk>) -> Self {
        Self::from_chunks(chunks.into_iter().map(|c| Ok(C::from_typed(c))).collect())
    }

    fn new(inner: BoxStream<'static, Result<C>>) -> Self {
        Self {
            inner,
            meta: ResponseMeta::default(),
            usage: None,
            tap: None,
        }
    }

    /// Sets who asked and who answered, so [`ChatStream::cost`] can price the usage.
    pub(crate) fn with_meta(mut self, meta: ResponseMeta) -> Self {
        self.meta = meta;
        self
    }

    /// Hands every chunk to `done` once the stream ends without error.
    pub(crate) fn with_tap(mut self, done: Box<dyn FnOnce(Vec<C>) + Send>) -> Self {
        self.tap = Some((Vec::new(), done));
        self
    }

    /// The usage, once the chunk that carries it has been read.
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_ref()
    }

    /// The cost in USD once usage has arrived (ask for it with
    /// `include_usage(true)`); `None` before, or when the price is unknown.
    pub fn cost(&self) -> Option<Decimal> {
        let usage = self.usage.as_ref()?;
        crate::cost::price_usage(&self.meta, usage)
    }

    /// Whether this stream is replayed from the response cache.
    pub fn cache_hit(&self) -> bool {
        self.meta.cache_hit
    }

    pub(crate) fn from_reader(first: C, reader: ChunkReader<C>, idle: Duration) -> Self {
        let head = futures::stream::once(async move { Ok(first) });
        let tail = ChunkTail {
            reader,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            armed: false,
        };
        Self::new(head.chain(tail).boxed())
    }
}

impl ChatStream {
    /// Reads the whole stream and assembles the response a non-streamed call
    /// would have returned. Fails with the stream's error if it had one.
    pub async fn collect_response(mut self) -> Result<ChatCompletionResponse> {
        let mut builder = ChunkBuilder::default();
        while let Some(chunk) = self.next().await {
            builder.push(&chunk?);
        }
        let mut response = builder.finish()?;
        response.meta = self.meta.clone();
        if let Some(usage) = &response.usage {
            response.meta.cost = crate::cost::price_usage(&self.meta, usage);
        }
        Ok(response)
    }
}

impl<C: StreamChunk> Stream for ChatStream<C> {
    type Item = Result<C>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = self.inner.poll_next_unpin(cx);
        match &item {
            Poll::Ready(Some(Ok(chunk))) => {
                if let Some(usage) = chunk.usage() {
                    self.usage = Some(usage.clone());
                }
                if let Some((chunks, _)) = &mut self.tap {
                    chunks.push(chunk.clone());
                }
            }
            Poll::Ready(Some(Err(_))) => self.tap = None,
            Poll::Ready(None) => {
                if let Some((chunks, done)) = self.tap.take() {
                    done(chunks);
                }
            }
            Poll::Pending => {}
        }
        item
    }
}

/// Splits a streamed body into frames: SSE events, or NDJSON lines (as
/// events whose `data` is the line).
enum FrameDecoder {
    Sse(SseDecoder),
    Ndjson(Vec<u8>),
    Lines(Vec<u8>),
    Aws(Vec<u8>),
}

impl FrameDecoder {
    fn new(format: FrameFormat) -> Self {
        match format {
            FrameFormat::Sse => Self::Sse(SseDecoder::new()),
            FrameFormat::Ndjson => Self::Ndjson(Vec::new()),
            FrameFormat::Lines => Self::Lines(Vec::new()),
            FrameFormat::AwsEventStream => Self::Aws(Vec::new()),
        }
    }

    /// Decodes `bytes`; the frames they complete go to the end of `frames`.
    fn feed(
        &mut self,
        bytes: &[u8],
        frames: &mut VecDeque<SseEvent>,
    ) -> std::result::Result<(), String> {
        let sse_lines = matches!(self, Self::Lines(_));
        match self {
            Self::Sse(decoder) => decoder
                .feed_into(bytes, frames)
                .map_err(|err| err.to_string()),
            Self::Aws(buffer) => {
                buffer.extend_from_slice(bytes);
                frames.extend(
                    crate::providers::bedrock::eventstream::decode(buffer)
                        .map_err(|err| err.to_string())?,
                );
                Ok(())
            }
            Self::Ndjson(buffer) | Self::Lines(buffer) => {
                buffer.extend_from_slice(bytes);
                while let Some(end) = buffer.iter().position(|b| *b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    let text = String::from_utf8_lossy(&line).trim().to_owned();
                    if let Some(data) = line_data(text, sse_lines) {
                        frames.push_back(data_frame(data));
                    }
                }
                if buffer.len() > DEFAULT_MAX_LINE {
                    return Err(LineTooLong {
                        limit: DEFAULT_MAX_LINE,
                    }
                    .to_string());
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> Vec<SseEvent> {
        match self {
            Self::Sse(decoder) => decoder.finish().into_iter().collect(),
            Self::Aws(_) => Vec::new(),
            Self::Ndjson(buffer) | Self::Lines(buffer) => {
                let text = String::from_utf8_lossy(buffer).trim().to_owned();
                buffer.clear();
                line_data(text, true).map(data_frame).into_iter().collect()
            }
        }
    }
}

/// The JSON of one line: empty lines, and with SSE framing `event:`, `id:`,
/// `retry:` and comment lines, carry none; a `data:` prefix is removed.
fn line_data(line: String, sse_framing: bool) -> Option<String> {
    if line.is_empty() {
        return None;
    }
    if !sse_framing {
        return Some(line);
    }
    if let Some(data) = line.strip_prefix("data:") {
        let data = data.trim();
        return (!data.is_empty() && data != "[DONE]").then(|| data.to_owned());
    }
    if line.starts_with(':')
        || ["event:", "id:", "retry:"]
            .iter()
            .any(|p| line.starts_with(p))
    {
        return None;
    }
    Some(line)
}

fn data_frame(data: String) -> SseEvent {
    SseEvent {
        event: None,
        data,
        id: None,
        retry: None,
    }
}

/// Reads chunks from a streamed body, with a deadline per chunk.
pub(crate) struct ChunkReader<C = ChatCompletionChunk> {
    target: Target,
    url: String,
    bytes: ByteStream,
    decoder: FrameDecoder,
    translator: Box<dyn StreamTranslator>,
    frames: VecDeque<SseEvent>,
    ready: VecDeque<C>,
    /// Whether frames may be kept as they are (OpenAI's protocol only).
    keep_frames: bool,
    /// What the stream's kept chunks repeat (see [`ChunkMemo`]).
    memo: ChunkMemo,
    guard: RepeatGuard,
    eof: bool,
    done: bool,
    finished: bool,
    chunks: usize,
    open_choices: BTreeSet<u32>,
}

impl<C: StreamChunk> ChunkReader<C> {
    pub(crate) fn new(
        target: Target,
        url: String,
        response: HttpResponse,
        adapter: &Adapter,
        model: &str,
        include_usage: bool,
    ) -> Self {
        let translator = (adapter.new_stream)(&target, model, include_usage);
        let keep_frames = target.provider.protocol == crate::providers::Protocol::Openai;
        Self {
            keep_frames,
            memo: ChunkMemo::default(),
            target,
            url,
            bytes: response.into_stream(),
            decoder: FrameDecoder::new(adapter.frames),
            translator,
            frames: VecDeque::new(),
            ready: VecDeque::new(),
            guard: RepeatGuard::default(),
            eof: false,
            done: false,
            finished: false,
            chunks: 0,
            open_choices: BTreeSet::new(),
        }
    }

    /// The next chunk, `None` at the end, or the error that ended the stream.
    pub(crate) async fn next_chunk(&mut self, wait: Duration, what: &str) -> Option<Result<C>> {
        let deadline = tokio::time::sleep(wait);
        tokio::pin!(deadline);
        let mut armed = true;
        std::future::poll_fn(|cx| self.poll_chunk(cx, deadline.as_mut(), &mut armed, wait, what))
            .await
    }

    /// Polls for the next chunk; `deadline` ends the wait for bytes (`wait`
    /// and `what` name it in the error). Unless `armed`, it is set to `wait`
    /// from now when the bytes first have to be waited for: a chunk already
    /// received costs no timer.
    fn poll_chunk(
        &mut self,
        cx: &mut Context<'_>,
        mut deadline: Pin<&mut Sleep>,
        armed: &mut bool,
        wait: Duration,
        what: &str,
    ) -> Poll<Option<Result<C>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if let Some(chunk) = self.ready.pop_front() {
                return Poll::Ready(Some(self.accept(chunk)));
            }
            if self.done {
                self.finished = true;
                return Poll::Ready(None);
            }
            if let Some(mut frame) = self.frames.pop_front() {
                if self.keep_frames
                    && let Some(chunk) = C::keep_frame(&mut frame, &mut self.memo)
                {
                    self.ready.push_back(chunk);
                    continue;
                }
                match self.translator.frame(&frame) {
                    Ok(step) => {
                        self.ready
                            .extend(step.chunks.into_iter().map(C::from_typed));
                        if step.done {
                            self.done = true;
                            self.frames.clear();
                        }
                    }
                    Err(err) => return Poll::Ready(Some(self.fail(err))),
                }
                continue;
            }
            if self.eof {
                self.finished = true;
                if self.open_choices.is_empty() && self.chunks > 0 {
                    return Poll::Ready(None);
                }
                return Poll::Ready(Some(Err(self.target.error(
                    ErrorKind::APIConnection,
                    format!(
                        "the stream from {} ended after {} chunk(s) without finishing \
                         (no finish reason, no end marker): the connection was cut",
                        self.url, self.chunks
                    ),
                ))));
            }
            // As `tokio::time::timeout`: the bytes first, then the deadline.
            let next = match self.bytes.poll_next_unpin(cx) {
                Poll::Ready(next) => next,
                Poll::Pending => {
                    if !*armed {
                        // An idle limit past the clock's range (`Duration::MAX`
                        // for "none") waits as long as tokio's own far future.
                        let now = Instant::now();
                        let at = now.checked_add(wait).unwrap_or_else(|| now + FAR_FUTURE);
                        deadline.as_mut().reset(at);
                        *armed = true;
                    }
                    if deadline.as_mut().poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    let err = deadline_error(&self.target, &self.url, what, wait);
                    return Poll::Ready(Some(self.fail(err)));
                }
            };
            match next {
                None => {
                    self.eof = true;
                    self.frames.extend(self.decoder.finish());
                }
                Some(Err(err)) => {
                    let err = transport_error(&self.target, &self.url, &err)
                        .context(format!("stream broke after {} chunk(s)", self.chunks));
                    return Poll::Ready(Some(self.fail(err)));
                }
                Some(Ok(bytes)) => {
                    if let Err(err) = self.decoder.feed(&bytes, &mut self.frames) {
                        let err = self.target.error(ErrorKind::APIError, err);
                        return Poll::Ready(Some(self.fail(err)));
                    }
                }
            }
        }
    }

    fn accept(&mut self, chunk: C) -> Result<C> {
        self.chunks += 1;
        let open = &mut self.open_choices;
        chunk.for_each_choice(|index, finished| {
            if finished {
                open.remove(&index);
            } else {
                open.insert(index);
            }
        });
        if let Err(err) = self.guard.check_content(chunk.first_content()) {
            let err = err
                .with_provider(self.target.provider.prefix.clone())
                .with_model(self.target.model.clone());
            return self.fail(err);
        }
        Ok(chunk)
    }

    fn fail<T>(&mut self, err: crate::Error) -> Result<T> {
        self.finished = true;
        Err(err)
    }
}

/// About 30 years: tokio's own stand-in for "never".
const FAR_FUTURE: Duration = Duration::from_secs(86_400 * 365 * 30);

/// The chunks after the first: each wait for the next one has the idle
/// deadline, on one timer reset per chunk that had to be waited for (a
/// stream built with `unfold` moved the whole reader in and out of a new
/// future for every chunk).
struct ChunkTail<C> {
    reader: ChunkReader<C>,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    /// Whether `deadline` is set for the chunk being waited for.
    armed: bool,
}

impl<C: StreamChunk> Stream for ChunkTail<C> {
    type Item = Result<C>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let item = std::task::ready!(this.reader.poll_chunk(
            cx,
            this.deadline.as_mut(),
            &mut this.armed,
            this.idle,
            "no next chunk"
        ));
        this.armed = false;
        Poll::Ready(item)
    }
}

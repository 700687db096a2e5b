//! Stream chunks kept as the JSON the provider sent: each OpenAI-protocol
//! chunk is checked for the head of a `chat.completion.chunk` (`id`,
//! `object`, `created`, `model`, `choices`), and only what the stream needs
//! is read from it (each choice's index and whether it finished, the first
//! choice's text for the repeated-chunk guard, and `usage`).

use std::ops::Range;

use lmrelay_types::{ChatCompletionChunk, Usage};

use super::head::{ChunkMemo, read_head};
use super::scan::{Scanner, Str, first_time};
use crate::stream::{SseEvent, StreamChunk};

/// One chunk of a chat stream as JSON text, with what the stream reads of
/// it. See [`crate::Client::completion_stream_raw`].
#[derive(Debug, Clone, PartialEq)]
pub struct RawChunk {
    json: String,
    /// Boxed: a chunk moves through several stream layers, and usage
    /// (rarely present) would triple its size.
    usage: Option<Box<Usage>>,
    /// Index and "finished" of the first choice; the rest in `more_choices`.
    first_choice: Option<(u32, bool)>,
    more_choices: Vec<(u32, bool)>,
    content: Option<Content>,
}

/// The first choice's text: where it is in the JSON, or unescaped.
#[derive(Debug, Clone, PartialEq)]
enum Content {
    At(Range<usize>),
    Owned(String),
}

impl RawChunk {
    /// The chunk's JSON (one line: the `data` of its server-sent event).
    pub fn json(&self) -> &str {
        &self.json
    }

    /// The usage it carries (the last chunk, when usage was asked for).
    pub fn usage(&self) -> Option<&Usage> {
        self.usage.as_deref()
    }

    /// Whether it has any choice (the usage chunk has none).
    pub fn has_choices(&self) -> bool {
        self.first_choice.is_some()
    }

    /// The chunk as a typed chunk.
    pub fn parse(&self) -> serde_json::Result<ChatCompletionChunk> {
        serde_json::from_str(&self.json)
    }

    /// Writes a typed chunk out as JSON.
    pub fn from_typed(chunk: &ChatCompletionChunk) -> serde_json::Result<Self> {
        let mut choices = chunk
            .choices
            .iter()
            .map(|c| (c.index, c.finish_reason.is_some()));
        Ok(Self {
            json: serde_json::to_string(chunk)?,
            usage: chunk.usage.clone().map(Box::new),
            first_choice: choices.next(),
            more_choices: choices.collect(),
            content: chunk
                .choices
                .first()
                .and_then(|c| c.delta.content.clone())
                .map(Content::Owned),
        })
    }

    /// Keeps `data` when it is one line of JSON with the complete head of a
    /// chunk and no `"error"` member; `None` sends it down the typed path.
    /// `memo` carries what the stream's chunks repeat from one to the next.
    fn keep(data: &mut String, memo: &mut ChunkMemo) -> Option<Self> {
        let text = data.trim();
        if text.is_empty() || text.contains('\n') {
            return None;
        }
        let head = chunk_head(text, memo)?;
        let content = match head.content {
            Some(found) if found.escaped => {
                // The text the escapes mean (read with its quotes).
                let quoted = text.get(found.span.start - 1..found.span.end + 1)?;
                Some(Content::Owned(serde_json::from_str(quoted).ok()?))
            }
            Some(found) => Some(Content::At(found.span)),
            None => None,
        };
        let usage = head.usage.map(Box::new);
        let json = if text.len() == data.len() {
            std::mem::take(data)
        } else {
            text.to_owned()
        };
        Some(Self {
            json,
            usage,
            first_choice: head.first_choice,
            more_choices: head.more_choices,
            content,
        })
    }
}

impl StreamChunk for RawChunk {
    fn keep_frame(frame: &mut SseEvent, memo: &mut ChunkMemo) -> Option<Self> {
        if frame.event.is_some() {
            return None;
        }
        Self::keep(&mut frame.data, memo)
    }

    fn from_typed(chunk: ChatCompletionChunk) -> Self {
        match RawChunk::from_typed(&chunk) {
            Ok(raw) => raw,
            // A typed chunk always serializes (string keys, finite numbers);
            // should it not, the client still gets its choices' shape.
            Err(_) => Self {
                json: String::from("{}"),
                usage: chunk.usage.map(Box::new),
                first_choice: None,
                more_choices: Vec::new(),
                content: None,
            },
        }
    }

    fn into_typed(self) -> Option<ChatCompletionChunk> {
        self.parse().ok()
    }

    fn usage(&self) -> Option<&Usage> {
        self.usage.as_deref()
    }

    fn for_each_choice(&self, mut f: impl FnMut(u32, bool)) {
        if let Some((index, finished)) = self.first_choice {
            f(index, finished);
        }
        for &(index, finished) in &self.more_choices {
            f(index, finished);
        }
    }

    fn has_choices(&self) -> bool {
        self.first_choice.is_some()
    }

    fn first_content(&self) -> Option<&str> {
        match self.content.as_ref()? {
            Content::At(range) => self.json.get(range.clone()),
            Content::Owned(text) => Some(text),
        }
    }
}

/// What the pass-through reads of a chunk.
struct ChunkHead {
    /// Each choice's index and whether this chunk ends it: the first, then
    /// the others (a chunk has one choice unless `n` asked for more).
    first_choice: Option<(u32, bool)>,
    more_choices: Vec<(u32, bool)>,
    /// The first choice's `delta.content`, when it is a string.
    content: Option<Str>,
    usage: Option<Usage>,
}

/// Reads the head of a chunk (see [`read_head`]): its choices must be
/// objects whose `index`, `finish_reason` and `delta.content`, when
/// present, have the types serde reads.
fn chunk_head(text: &str, memo: &mut ChunkMemo) -> Option<ChunkHead> {
    let mut first_choice = None;
    let mut more_choices = Vec::new();
    let mut content = None;
    let usage = read_head(text, Some(memo), |scanner| {
        if first_choice.is_none() {
            first_choice = Some(choice(scanner, Some(&mut content))?);
        } else {
            more_choices.push(choice(scanner, None)?);
        }
        Some(())
    })?;
    Some(ChunkHead {
        first_choice,
        more_choices,
        content,
        usage,
    })
}

/// One choice of a chunk: its index and whether it finished; the text of
/// its delta goes to `content` when asked for.
fn choice(scanner: &mut Scanner<'_>, mut content: Option<&mut Option<Str>>) -> Option<(u32, bool)> {
    let mut seen = [false; 3];
    let (mut index, mut finished) = (0, false);
    scanner.object(|scanner, key, escaped| {
        if escaped {
            return None;
        }
        match key {
            b"index" => {
                first_time(&mut seen[0])?;
                index = u32::try_from(scanner.unsigned()?).ok()?;
                Some(())
            }
            b"finish_reason" => {
                first_time(&mut seen[1])?;
                finished = !scanner.null();
                if finished {
                    scanner.string()?;
                }
                Some(())
            }
            b"delta" => {
                first_time(&mut seen[2])?;
                let mut seen_content = false;
                scanner.object(|scanner, key, escaped| {
                    if escaped {
                        return None;
                    }
                    if key != b"content" {
                        return scanner.value().map(drop);
                    }
                    first_time(&mut seen_content)?;
                    if scanner.null() {
                        return Some(());
                    }
                    let text = scanner.string()?;
                    if let Some(slot) = content.as_deref_mut() {
                        *slot = Some(text);
                    }
                    Some(())
                })
            }
            _ => scanner.value().map(drop),
        }
    })?;
    Some((index, finished))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keep(data: &str) -> Option<RawChunk> {
        RawChunk::keep(&mut data.to_owned(), &mut ChunkMemo::default())
    }

    const CHUNK: &str = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hel\"lo"},"finish_reason":null}],"usage":null}"#;

    #[test]
    fn chunk_is_kept_with_its_choice_states_text_and_usage() {
        let chunk = keep(CHUNK).unwrap();
        assert_eq!(chunk.json(), CHUNK);
        assert_eq!(chunk.first_content(), Some("Hel\"lo"));
        assert!(chunk.has_choices() && chunk.usage().is_none());
        let mut states = Vec::new();
        chunk.for_each_choice(|i, done| states.push((i, done)));
        assert_eq!(states, [(0, false)]);

        let plain = keep(&CHUNK.replace(r#"Hel\"lo"#, "Hello")).unwrap();
        assert_eq!(plain.first_content(), Some("Hello"));
        assert!(matches!(plain.content, Some(Content::At(_))));

        let last = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"},{"index":1,"delta":{"content":null},"finish_reason":null}]}"#;
        let last = keep(&format!("  {last} ")).unwrap();
        let mut states = Vec::new();
        last.for_each_choice(|i, done| states.push((i, done)));
        assert_eq!(states, [(0, true), (1, false)]);
        assert_eq!(last.first_content(), None);
        assert!(!last.json().starts_with(' '));

        let usage = r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}"#;
        let usage = keep(usage).unwrap();
        assert!(!usage.has_choices());
        assert_eq!(usage.usage().unwrap().completion_tokens, 2);
    }

    #[test]
    fn chunks_the_typed_path_must_read_are_not_kept() {
        for data in [
            "",
            "[DONE]",
            r#"{"error":{"message":"overloaded"}}"#,
            r#"{"object":"chat.completion.chunk","created":1,"model":"m","choices":[]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m"}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":"1","model":"m","choices":[]}"#,
            r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"finish_reason":7}]}"#,
            "{\"id\":\"c\",\"object\":\"o\",\n\"created\":1,\"model\":\"m\",\"choices\":[]}",
            r#"{"id":"c","object":"o","created":1,"model":"m","choices":[]"#,
        ] {
            assert!(keep(data).is_none(), "kept {data:?}");
        }
        let mut event = SseEvent {
            event: Some("error".to_owned()),
            data: CHUNK.to_owned(),
            id: None,
            retry: None,
        };
        assert!(RawChunk::keep_frame(&mut event, &mut ChunkMemo::default()).is_none());
        assert_eq!(event.data, CHUNK, "a frame not kept is left as it was");
    }

    #[test]
    fn typed_and_raw_chunks_agree() {
        let kept = keep(CHUNK).unwrap();
        let typed = kept.parse().unwrap();
        let written = RawChunk::from_typed(&typed).unwrap();
        assert_eq!(written.parse().unwrap(), typed);
        assert_eq!(written.first_content(), kept.first_content());
        assert_eq!(StreamChunk::into_typed(kept), Some(typed));
    }

    mod generated {
        use proptest::prelude::*;
        use serde_json::{Value, json};

        use super::super::*;

        /// A field value of the wanted type, of another type, or absent.
        fn field(good: BoxedStrategy<Value>) -> impl Strategy<Value = Option<Value>> {
            prop_oneof![
                6 => good.prop_map(Some),
                1 => Just(None),
                1 => Just(Some(Value::Null)),
                1 => Just(Some(json!(1.5))),
                1 => Just(Some(json!(["x"]))),
            ]
        }

        fn text() -> BoxedStrategy<Value> {
            prop_oneof![
                Just(json!("a")),
                Just(json!("h\u{e9} \"q\"\n")),
                Just(json!(""))
            ]
            .boxed()
        }

        fn choice() -> impl Strategy<Value = Value> {
            (
                field(prop_oneof![Just(json!(0)), Just(json!(3)), Just(json!(-1))].boxed()),
                field(prop_oneof![Just(json!("stop")), Just(Value::Null)].boxed()),
                field(
                    field(text())
                        .prop_map(|content| match content {
                            Some(content) => json!({"role": "assistant", "content": content}),
                            None => json!({}),
                        })
                        .boxed(),
                ),
            )
                .prop_map(|(index, finish_reason, delta)| {
                    let mut choice = serde_json::Map::new();
                    for (key, value) in [
                        ("index", index),
                        ("finish_reason", finish_reason),
                        ("delta", delta),
                    ] {
                        if let Some(value) = value {
                            choice.insert(key.to_owned(), value);
                        }
                    }
                    Value::Object(choice)
                })
        }

        fn chunk() -> impl Strategy<Value = Value> {
            (
                field(text()),
                field(Just(json!("chat.completion.chunk")).boxed()),
                field(
                    prop_oneof![
                        Just(json!(0)),
                        Just(json!(1_700_000_000u64)),
                        Just(json!(-5))
                    ]
                    .boxed(),
                ),
                field(text()),
                field(
                    prop::collection::vec(choice(), 0..3)
                        .prop_map(Value::from)
                        .boxed(),
                ),
                field(
                    prop_oneof![
                        Just(
                            json!({"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5})
                        ),
                        Just(json!({"prompt_tokens": "x"})),
                    ]
                    .boxed(),
                ),
            )
                .prop_map(|(id, object, created, model, choices, usage)| {
                    let mut chunk = serde_json::Map::new();
                    for (key, value) in [
                        ("id", id),
                        ("object", object),
                        ("created", created),
                        ("model", model),
                        ("choices", choices),
                        ("usage", usage),
                    ] {
                        if let Some(value) = value {
                            chunk.insert(key.to_owned(), value);
                        }
                    }
                    chunk.insert(
                        "extra".to_owned(),
                        json!({"nested": [1, {"error_free": true}]}),
                    );
                    Value::Object(chunk)
                })
        }

        /// The chunks of one stream: `base`, then each variant, which is
        /// either `base` with other choices and usage (what a memo skips)
        /// or a chunk of its own; choices first or in place (llama.cpp
        /// writes them first, OpenAI after the model).
        fn stream() -> impl Strategy<Value = Vec<String>> {
            let variant = (chunk(), any::<bool>(), 0..4u8);
            (
                chunk(),
                prop::collection::vec(variant, 1..5),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(mut base, variants, choices_first, valid_head)| {
                    if valid_head {
                        // Most generated heads lack a field; streams mostly do not.
                        for (key, value) in [
                            ("id", json!("c")),
                            ("object", json!("chat.completion.chunk")),
                            ("created", json!(7)),
                            ("model", json!("m")),
                        ] {
                            base[key] = value;
                        }
                    }
                    let mut chunks = vec![(base.clone(), 1)];
                    for (other, same_head, cut) in variants {
                        if !same_head {
                            chunks.push((other, cut));
                            continue;
                        }
                        let mut next = base.clone();
                        for key in ["choices", "usage"] {
                            match other.get(key) {
                                Some(value) => next[key] = value.clone(),
                                None => {
                                    next.as_object_mut().unwrap().shift_remove(key);
                                }
                            }
                        }
                        chunks.push((next, cut));
                    }
                    chunks
                        .into_iter()
                        .map(|(chunk, cut)| {
                            let mut chunk = chunk.as_object().unwrap().clone();
                            if choices_first && let Some(choices) = chunk.shift_remove("choices") {
                                chunk.shift_insert(0, "choices".to_owned(), choices);
                            }
                            let text = serde_json::to_string(&Value::Object(chunk)).unwrap();
                            // Now and then the same length, not valid: its end swapped.
                            match cut {
                                0 => format!("{}]", &text[..text.len() - 1]),
                                _ => text,
                            }
                        })
                        .collect()
                })
        }

        proptest! {
            /// A chunk kept by the scanner is one serde reads, with the same
            /// choices, text and usage; a chunk serde reads with every head
            /// field present and typed as serde types it is kept.
            #[test]
            fn scanner_agrees_with_the_typed_parse(value in chunk(), pretty in any::<bool>()) {
                let text = if pretty {
                    serde_json::to_string_pretty(&value).unwrap().replace('\n', " ")
                } else {
                    serde_json::to_string(&value).unwrap()
                };
                let kept = RawChunk::keep(&mut text.clone(), &mut ChunkMemo::default());
                let typed = serde_json::from_str::<ChatCompletionChunk>(&text);
                let head_complete = ["id", "object", "model"].iter().all(|k| value[k].is_string())
                    && value["created"].is_u64()
                    && value["choices"].is_array();
                match (&kept, &typed) {
                    (Some(kept), Ok(typed)) => {
                        prop_assert!(head_complete);
                        let mut states = Vec::new();
                        kept.for_each_choice(|i, done| states.push((i, done)));
                        let expected: Vec<_> = typed.choices.iter()
                            .map(|c| (c.index, c.finish_reason.is_some())).collect();
                        prop_assert_eq!(states, expected);
                        prop_assert_eq!(kept.first_content(), StreamChunk::first_content(typed));
                        prop_assert_eq!(kept.usage(), typed.usage.as_ref());
                        prop_assert_eq!(kept.json(), text.trim());
                    }
                    (Some(_), Err(err)) => prop_assert!(false, "kept what serde refuses ({}): {}", err, text),
                    (None, Ok(_)) => prop_assert!(!head_complete, "not kept: {}", text),
                    (None, Err(_)) => {}
                }
            }

            /// Read with one memo carried from chunk to chunk, each chunk
            /// of a stream is read exactly as it is alone.
            #[test]
            fn a_memo_changes_nothing_read(texts in stream()) {
                let mut memo = ChunkMemo::default();
                for text in texts {
                    let with_memo = RawChunk::keep(&mut text.clone(), &mut memo);
                    let alone = RawChunk::keep(&mut text.clone(), &mut ChunkMemo::default());
                    prop_assert_eq!(with_memo, alone, "{}", text);
                }
            }
        }
    }
}

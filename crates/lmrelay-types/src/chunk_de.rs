//! `Deserialize` for [`ChatCompletionChunk`] and [`Delta`] without serde's
//! `flatten`: known fields are read straight into their types, any other
//! field is kept in `extra` as JSON, exactly as the derive did it, without
//! buffering the whole object first.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

use crate::chunk::chunk_object;
use crate::{ChatCompletionChunk, Delta};

/// A field name, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

impl<'de> Deserialize<'de> for ChatCompletionChunk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ChunkVisitor;
        impl<'de> Visitor<'de> for ChunkVisitor {
            type Value = ChatCompletionChunk;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a chat.completion.chunk object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut chunk = ChatCompletionChunk {
                    object: chunk_object(),
                    ..ChatCompletionChunk::default()
                };
                while let Some(Key(key)) = map.next_key()? {
                    match key.as_ref() {
                        "id" => chunk.id = map.next_value()?,
                        "object" => chunk.object = map.next_value()?,
                        "created" => chunk.created = map.next_value()?,
                        "model" => chunk.model = map.next_value()?,
                        "choices" => chunk.choices = map.next_value()?,
                        "usage" => chunk.usage = map.next_value()?,
                        "system_fingerprint" => chunk.system_fingerprint = map.next_value()?,
                        _ => {
                            chunk.extra.insert(key.into_owned(), map.next_value()?);
                        }
                    }
                }
                Ok(chunk)
            }
        }
        deserializer.deserialize_map(ChunkVisitor)
    }
}

impl<'de> Deserialize<'de> for Delta {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DeltaVisitor;
        impl<'de> Visitor<'de> for DeltaVisitor {
            type Value = Delta;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a delta object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut delta = Delta::default();
                while let Some(Key(key)) = map.next_key()? {
                    match key.as_ref() {
                        "role" => delta.role = map.next_value()?,
                        "content" => delta.content = map.next_value()?,
                        "reasoning_content" => delta.reasoning_content = map.next_value()?,
                        "tool_calls" => delta.tool_calls = map.next_value()?,
                        _ => {
                            delta.extra.insert(key.into_owned(), map.next_value()?);
                        }
                    }
                }
                Ok(delta)
            }
        }
        deserializer.deserialize_map(DeltaVisitor)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{ChatCompletionChunk, Role};

    #[test]
    fn known_fields_are_typed_and_the_rest_is_kept() {
        let chunk: ChatCompletionChunk = serde_json::from_value(json!({
            "id": "c1",
            "created": 7,
            "model": "m",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi",
                "reasoning_content": null, "audio": {"id": "a"}}, "finish_reason": null}],
            "usage": null,
            "service_tier": "default",
            "obfuscation": "x\"y"
        }))
        .unwrap();
        assert_eq!(chunk.id, "c1");
        assert_eq!(chunk.object, "chat.completion.chunk", "the default");
        assert_eq!(chunk.created, 7);
        assert_eq!(chunk.usage, None);
        assert_eq!(chunk.extra["service_tier"], "default");
        assert_eq!(chunk.extra["obfuscation"], "x\"y");
        let delta = &chunk.choices[0].delta;
        assert_eq!(delta.role, Some(Role::Assistant));
        assert_eq!(delta.content.as_deref(), Some("Hi"));
        assert_eq!(delta.reasoning_content, None);
        assert_eq!(delta.extra["audio"], json!({"id": "a"}));
        // Serialized back, nothing is lost or added.
        let again: ChatCompletionChunk =
            serde_json::from_str(&serde_json::to_string(&chunk).unwrap()).unwrap();
        assert_eq!(again, chunk);
    }

    #[test]
    fn escaped_field_names_and_wrong_types_read_as_before() {
        // "\u0069d" is "id" written with an escape: not borrowable.
        let chunk: ChatCompletionChunk =
            serde_json::from_str(r#"{"\u0069d":"c2","x\ny":1,"choices":[]}"#).unwrap();
        assert_eq!(chunk.id, "c2");
        assert_eq!(chunk.extra["x\ny"], 1);
        let err = serde_json::from_str::<ChatCompletionChunk>(r#"{"created":"soon"}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid type"), "{err}");
        assert!(serde_json::from_str::<ChatCompletionChunk>("[1]").is_err());
    }
}

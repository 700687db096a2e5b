//! Reading the head of a chat completion or stream chunk (`id`, `object`,
//! `created`, `model`, `choices`, `usage`), and remembering what repeats
//! between the chunks of one stream.
//!
//! A provider writes every chunk of a stream with the same text around its
//! `choices` (the same id, object, created and model before them, the same
//! closing fields after). A [`ChunkMemo`] keeps that text from a chunk it
//! read: the next chunk that starts (or ends) with exactly those bytes is
//! not scanned there again, since the scanner, which reads bytes in order
//! and keeps no other state, would pass through them the same way.

use lmrelay_types::Usage;

use super::scan::{Kind, Scanner, first_time};

/// The head fields, by their slot in the `seen` flags.
const ID: usize = 0;
const OBJECT: usize = 1;
const CREATED: usize = 2;
const MODEL: usize = 3;
const CHOICES: usize = 4;
const USAGE: usize = 5;
/// Any other key: its value is skipped.
const OTHER: usize = 6;

/// Which head fields were read.
type Seen = [bool; 6];

/// The longest text before or after the choices a memo keeps.
const MAX_REMEMBERED: usize = 1024;

/// The text one stream's chunks repeat around their `choices`, learned
/// from a chunk read before: passed to each [`crate::StreamChunk::keep_frame`]
/// of a stream, it spares scanning those bytes again.
#[derive(Debug, Default, Clone)]
pub struct ChunkMemo {
    /// From the chunk's first byte through the colon after `"choices"`,
    /// and the fields read in it (never `usage` with a value).
    before: Vec<u8>,
    seen_before: Seen,
    /// From the end of the `choices` list to the chunk's last byte; the
    /// fields read when it starts, and when it ends (never `usage` with a
    /// value). Empty when nothing is remembered.
    after: Vec<u8>,
    seen_at_after: Seen,
    seen_after: Seen,
}

/// Reads the head of a chat completion (its choices must be objects).
pub(super) fn reply_head(text: &str) -> Option<Option<Usage>> {
    read_head(text, None, |scanner| {
        scanner.object(|scanner, _, _| scanner.value().map(drop))
    })
}

/// Reads the head of a chat completion or chunk: `Some(usage)` when
/// `text` is valid JSON with an `id`, `object`, `model` (strings),
/// `created` (an unsigned integer) and `choices` (a list, each element
/// read by `choice`), each once, no `error` member, and a `usage` that is
/// `null`, absent or a usage object. With a `memo`, the text it remembers
/// is not scanned again, and what this text repeats is remembered.
pub(super) fn read_head(
    text: &str,
    memo: Option<&mut ChunkMemo>,
    mut choice: impl FnMut(&mut Scanner<'_>) -> Option<()>,
) -> Option<Option<Usage>> {
    let bytes = text.as_bytes();
    let mut scanner = Scanner::new(text);
    let mut seen: Seen = [false; 6];
    let mut usage = None;
    // Up to the choices: skipped when the memo's text opens this one.
    let mut learned_before = None;
    match memo.as_deref() {
        Some(memo) if !memo.before.is_empty() && bytes.starts_with(&memo.before) => {
            scanner.resume(memo.before.len(), 1);
            seen = memo.seen_before;
        }
        _ => {
            if !scanner.open_object()? {
                return None;
            }
            loop {
                let slot = head_key(&mut scanner)?;
                if slot == CHOICES {
                    break;
                }
                read_field(&mut scanner, slot, &mut seen, &mut usage)?;
                if !scanner.next_entry()? {
                    // Closed without choices.
                    return None;
                }
            }
            if usage.is_none() && scanner.offset() <= MAX_REMEMBERED {
                learned_before = Some((scanner.offset(), seen));
            }
        }
    }
    first_time(&mut seen[CHOICES])?;
    scanner.array(&mut choice)?;
    // After the choices: skipped when it is exactly the memo's text.
    let after = scanner.offset();
    let mut learned_after = None;
    match memo.as_deref() {
        Some(memo)
            if !memo.after.is_empty()
                && memo.seen_at_after == seen
                && bytes[after..] == memo.after[..] =>
        {
            seen = memo.seen_after;
        }
        _ => {
            let seen_at_after = seen;
            let usage_before = usage.is_some();
            while scanner.next_entry()? {
                let slot = head_key(&mut scanner)?;
                read_field(&mut scanner, slot, &mut seen, &mut usage)?;
            }
            scanner.finish()?;
            if usage.is_some() == usage_before && bytes.len() - after <= MAX_REMEMBERED {
                learned_after = Some((seen_at_after, seen));
            }
        }
    }
    if !seen[..USAGE].iter().all(|&s| s) {
        return None;
    }
    if let Some(memo) = memo {
        if let Some((end, seen_before)) = learned_before {
            memo.before.clear();
            memo.before.extend_from_slice(&bytes[..end]);
            memo.seen_before = seen_before;
        }
        if let Some((seen_at_after, seen_after)) = learned_after {
            memo.after.clear();
            memo.after.extend_from_slice(&bytes[after..]);
            memo.seen_at_after = seen_at_after;
            memo.seen_after = seen_after;
        }
    }
    Some(usage)
}

/// Reads a key of the head object and its colon: the key's slot. `None`
/// for a key written with escapes (it may name a field: serde decides)
/// and for `error` (the typed path turns it into the provider's error).
fn head_key(scanner: &mut Scanner<'_>) -> Option<usize> {
    let key = scanner.key()?;
    if key.escaped {
        return None;
    }
    Some(match scanner.key_bytes(&key) {
        b"id" => ID,
        b"object" => OBJECT,
        b"created" => CREATED,
        b"model" => MODEL,
        b"choices" => CHOICES,
        b"usage" => USAGE,
        b"error" => return None,
        _ => OTHER,
    })
}

/// Reads the value of a head field other than `choices` (which must not
/// come again): each once, with the type serde reads.
fn read_field(
    scanner: &mut Scanner<'_>,
    slot: usize,
    seen: &mut Seen,
    usage: &mut Option<Usage>,
) -> Option<()> {
    if slot == OTHER {
        return scanner.value().map(drop);
    }
    first_time(&mut seen[slot])?;
    match slot {
        CREATED => scanner.unsigned().map(drop),
        USAGE => {
            *usage = read_usage(scanner)?;
            Some(())
        }
        CHOICES => None,
        _ => scanner.string().map(drop),
    }
}

/// A `usage` value: `null`, or an object read as [`Usage`]; `None` for
/// anything else. An object of the three counts only (llama.cpp's, the
/// mock's) is read here; any other is read by serde, which keeps the
/// details and unknown fields.
fn read_usage(scanner: &mut Scanner<'_>) -> Option<Option<Usage>> {
    if scanner.null() {
        return Some(None);
    }
    let start = scanner.position();
    let mut counts = [None; 3];
    let mut only_counts = true;
    scanner.object(|scanner, key, escaped| {
        let slot = match key {
            b"prompt_tokens" => 0,
            b"completion_tokens" => 1,
            b"total_tokens" => 2,
            _ => {
                only_counts = false;
                return scanner.value().map(drop);
            }
        };
        if escaped || counts[slot].is_some() {
            only_counts = false;
            return scanner.value().map(drop);
        }
        match scanner.next_kind()? {
            // A count serde would refuse as a `u64` (a sign, a fraction)
            // is refused here too.
            Kind::Number => counts[slot] = Some(scanner.unsigned()?),
            _ => {
                scanner.value()?;
                only_counts = false;
            }
        }
        Some(())
    })?;
    if only_counts {
        let [prompt, completion, total] = counts.map(Option::unwrap_or_default);
        return Some(Some(Usage {
            prompt_tokens: prompt,
            completion_tokens: completion,
            total_tokens: total,
            ..Usage::default()
        }));
    }
    let end = scanner.position();
    let text = std::str::from_utf8(scanner.slice(start..end)).ok()?;
    serde_json::from_str(text).ok().map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_choice(scanner: &mut Scanner<'_>) -> Option<()> {
        scanner.value().map(drop)
    }

    const HEAD: &str =
        r#"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":"#;

    #[test]
    fn a_memo_keeps_the_text_around_the_choices() {
        let mut memo = ChunkMemo::default();
        let first = format!(r#"{HEAD}[{{"index":0}}],"usage":null}}"#);
        assert_eq!(read_head(&first, Some(&mut memo), any_choice), Some(None));
        assert_eq!(memo.before, HEAD.as_bytes());
        assert_eq!(memo.after, br#","usage":null}"#);

        // Usage with a value is read, never remembered.
        let last = format!(
            r#"{HEAD}[],"usage":{{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}}}"#
        );
        let usage = read_head(&last, Some(&mut memo), any_choice)
            .unwrap()
            .unwrap();
        assert_eq!(usage.total_tokens, 3);
        assert_eq!(memo.after, br#","usage":null}"#);

        // Choices first (llama.cpp): the text before is `{"choices":`.
        let mut memo = ChunkMemo::default();
        let first = r#"{"choices":[],"id":"c","object":"o","created":1,"model":"m"}"#;
        assert_eq!(read_head(first, Some(&mut memo), any_choice), Some(None));
        assert_eq!(memo.before, br#"{"choices":"#);
        assert_eq!(
            memo.after,
            br#","id":"c","object":"o","created":1,"model":"m"}"#
        );
    }

    #[test]
    fn remembered_text_is_not_scanned_again() {
        // A memo trusted as it is: text it holds is skipped, so a head it
        // says was read (here wrongly) counts as read.
        let memo = &mut ChunkMemo {
            before: br#"{"id":7,"choices":"#.to_vec(),
            seen_before: [true, true, true, true, false, false],
            ..ChunkMemo::default()
        };
        let text = r#"{"id":7,"choices":[]}"#;
        assert_eq!(read_head(text, None, any_choice), None);
        assert_eq!(read_head(text, Some(memo), any_choice), Some(None));
        // Text that differs from it by one byte is scanned.
        assert_eq!(
            read_head(r#"{"id":8,"choices":[]}"#, Some(memo), any_choice),
            None
        );
    }

    #[test]
    fn an_error_member_is_left_to_the_typed_path() {
        for text in [
            format!(r#"{HEAD}[],"error":{{"message":"overloaded"}}}}"#),
            format!(r#"{HEAD}[],"error":null}}"#),
        ] {
            assert_eq!(read_head(&text, None, any_choice), None, "{text}");
        }
        // A nested `error` is the provider's data.
        let nested = format!(r#"{HEAD}[],"x":{{"error":1}}}}"#);
        assert_eq!(read_head(&nested, None, any_choice), Some(None));
    }
}

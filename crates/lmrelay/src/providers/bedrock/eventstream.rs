//! The AWS event-stream binary framing of ConverseStream: each message is
//! `total_len u32, headers_len u32, prelude_crc u32, headers, payload,
//! message_crc u32` (big-endian, CRC32/IEEE). Messages become frames whose
//! `event` is the `:event-type` (or `exception:<type>`) and `data` the payload.

use crate::stream::SseEvent;

/// The largest message accepted (a broken stream, not a model, sends more).
const MAX_MESSAGE: usize = 16 * 1024 * 1024;

/// A framing error: a bad length or CRC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the Bedrock event stream is corrupt: {0}")]
pub struct FrameError(pub String);

fn be32(bytes: &[u8], at: usize) -> Option<usize> {
    let slice = bytes.get(at..at + 4)?;
    Some(u32::from_be_bytes(slice.try_into().ok()?) as usize)
}

/// Takes every complete message off the front of `buffer`.
pub fn decode(buffer: &mut Vec<u8>) -> Result<Vec<SseEvent>, FrameError> {
    let mut events = Vec::new();
    loop {
        let (Some(total), Some(headers_len)) = (be32(buffer, 0), be32(buffer, 4)) else {
            return Ok(events);
        };
        if !(16..=MAX_MESSAGE).contains(&total) || headers_len + 16 > total {
            return Err(FrameError(format!(
                "message length {total} with headers {headers_len}"
            )));
        }
        if buffer.len() < total {
            return Ok(events);
        }
        let message: Vec<u8> = buffer.drain(..total).collect();
        let prelude_crc = be32(&message, 8).unwrap_or(0);
        if crc32fast::hash(&message[..8]) as usize != prelude_crc {
            return Err(FrameError("prelude CRC mismatch".to_owned()));
        }
        let message_crc = be32(&message, total - 4).unwrap_or(0);
        if crc32fast::hash(&message[..total - 4]) as usize != message_crc {
            return Err(FrameError("message CRC mismatch".to_owned()));
        }
        let headers = parse_headers(&message[12..12 + headers_len])?;
        let payload = String::from_utf8_lossy(&message[12 + headers_len..total - 4]).into_owned();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let event = match header(":message-type").as_deref() {
            Some("exception") | Some("error") => Some(format!(
                "exception:{}",
                header(":exception-type")
                    .or_else(|| header(":error-code"))
                    .unwrap_or_default()
            )),
            _ => header(":event-type"),
        };
        events.push(SseEvent {
            event,
            data: payload,
            id: None,
            retry: None,
        });
    }
}

/// String-valued headers (other types are skipped).
fn parse_headers(mut bytes: &[u8]) -> Result<Vec<(String, String)>, FrameError> {
    let bad = || FrameError("truncated header".to_owned());
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let name_len = usize::from(*bytes.first().ok_or_else(bad)?);
        let name =
            String::from_utf8_lossy(bytes.get(1..1 + name_len).ok_or_else(bad)?).into_owned();
        let kind = *bytes.get(1 + name_len).ok_or_else(bad)?;
        let rest = &bytes[2 + name_len..];
        let (value, used) = match kind {
            0 | 1 => (None, 0),
            2 => (None, 1),
            3 => (None, 2),
            4 => (None, 4),
            5 | 8 => (None, 8),
            9 => (None, 16),
            6 | 7 => {
                let len = usize::from(u16::from_be_bytes(
                    rest.get(..2)
                        .ok_or_else(bad)?
                        .try_into()
                        .map_err(|_| bad())?,
                ));
                let data = rest.get(2..2 + len).ok_or_else(bad)?;
                (Some(String::from_utf8_lossy(data).into_owned()), 2 + len)
            }
            other => return Err(FrameError(format!("unknown header type {other}"))),
        };
        if let Some(value) = value {
            out.push((name, value));
        }
        bytes = rest.get(used..).ok_or_else(bad)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    /// Encodes one message (the inverse, for tests).
    pub(crate) fn encode(headers: &[(&str, &str)], payload: &str) -> Vec<u8> {
        let mut header_bytes = Vec::new();
        for (name, value) in headers {
            header_bytes.push(u8::try_from(name.len()).unwrap());
            header_bytes.extend_from_slice(name.as_bytes());
            header_bytes.push(7);
            header_bytes.extend_from_slice(&u16::try_from(value.len()).unwrap().to_be_bytes());
            header_bytes.extend_from_slice(value.as_bytes());
        }
        let total = 16 + header_bytes.len() + payload.len();
        let mut out = Vec::new();
        out.extend_from_slice(&u32::try_from(total).unwrap().to_be_bytes());
        out.extend_from_slice(&u32::try_from(header_bytes.len()).unwrap().to_be_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out.extend_from_slice(&header_bytes);
        out.extend_from_slice(payload.as_bytes());
        let crc = crc32fast::hash(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        out
    }

    #[test]
    fn decodes_split_messages_and_rejects_corruption() {
        let mut bytes = encode(
            &[(":event-type", "messageStart"), (":message-type", "event")],
            r#"{"role":"assistant"}"#,
        );
        bytes.extend(encode(
            &[
                (":message-type", "exception"),
                (":exception-type", "throttlingException"),
            ],
            r#"{"message":"slow down"}"#,
        ));
        let mut buffer = bytes[..10].to_vec();
        assert!(decode(&mut buffer).unwrap().is_empty());
        buffer.extend_from_slice(&bytes[10..]);
        let events = decode(&mut buffer).unwrap();
        assert_eq!(events[0].event.as_deref(), Some("messageStart"));
        assert_eq!(
            events[1].event.as_deref(),
            Some("exception:throttlingException")
        );
        assert!(buffer.is_empty());
        let mut corrupt = encode(&[(":event-type", "x")], "{}");
        let last = corrupt.len() - 5;
        corrupt[last] ^= 1;
        assert!(decode(&mut corrupt).is_err());
    }
}

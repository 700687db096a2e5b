//! Decoding a `Transfer-Encoding: chunked` body (RFC 9112 §7.1) from a
//! buffer that fills as bytes arrive: each step takes what is complete and
//! leaves the rest for the next read. The SDK's client reads responses with
//! it and the gateway's server reads request bodies.

use bytes::{Buf, Bytes, BytesMut};

/// What is wrong with a chunked body (the text names the problem).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Malformed(pub String);

fn invalid(what: &str) -> Malformed {
    Malformed(what.to_owned())
}

/// The longest chunk-size line (size and extensions) accepted.
const MAX_SIZE_LINE: usize = 4096;

/// The most trailer bytes accepted after the last chunk.
const MAX_TRAILERS: usize = 64 * 1024;

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chunked {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk's data, with this many bytes left.
    Data(u64),
    /// After a chunk's data, before its line break.
    DataEnd,
    /// After the last chunk, reading trailer lines; trailer bytes so far.
    Trailers(usize),
    /// The body has ended.
    Done,
}

/// What one decoding step found.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Body bytes (a chunk's data, or as much of it as has arrived).
    Data(Bytes),
    /// The body ended (last chunk and trailers read).
    End,
}

impl Chunked {
    /// Decodes what `buf` holds: the next data or the end, or `None` when
    /// more bytes are needed. Consumed bytes are removed from `buf`.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Step>, Malformed> {
        loop {
            match *self {
                Self::Done => return Ok(Some(Step::End)),
                Self::Size => {
                    let Some((length, consumed)) =
                        find_line(buf, MAX_SIZE_LINE, "a chunk size line")?
                    else {
                        return Ok(None);
                    };
                    let size = chunk_size(&buf[..length])?;
                    buf.advance(consumed);
                    *self = if size == 0 {
                        Self::Trailers(0)
                    } else {
                        Self::Data(size)
                    };
                }
                Self::Data(left) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(left).map_or(buf.len(), |left| left.min(buf.len()));
                    let data = buf.split_to(take).freeze();
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Self::DataEnd
                    } else {
                        Self::Data(left)
                    };
                    return Ok(Some(Step::Data(data)));
                }
                Self::DataEnd => match buf.first() {
                    None => return Ok(None),
                    Some(b'\n') => {
                        buf.advance(1);
                        *self = Self::Size;
                    }
                    Some(b'\r') => match buf.get(1) {
                        None => return Ok(None),
                        Some(b'\n') => {
                            buf.advance(2);
                            *self = Self::Size;
                        }
                        Some(_) => return Err(invalid("a chunk's data is not followed by CRLF")),
                    },
                    Some(_) => return Err(invalid("a chunk's data is not followed by CRLF")),
                },
                Self::Trailers(seen) => {
                    let room = MAX_TRAILERS.saturating_sub(seen);
                    let Some((length, consumed)) = find_line(buf, room, "trailers")? else {
                        return Ok(None);
                    };
                    buf.advance(consumed);
                    if length == 0 {
                        *self = Self::Done;
                        return Ok(Some(Step::End));
                    }
                    // Trailer fields carry nothing a completion needs.
                    *self = Self::Trailers(seen + length + 2);
                }
            }
        }
    }
}

/// The next line at the start of `buf`: its length without the line break
/// (CRLF or a bare LF) and with it; `None` when it has not all arrived; an
/// error past `max` bytes. The caller reads it in place, then consumes it.
fn find_line(buf: &[u8], max: usize, what: &str) -> Result<Option<(usize, usize)>, Malformed> {
    let window = &buf[..buf.len().min(max.saturating_add(1))];
    let Some(end) = memchr::memchr(b'\n', window) else {
        if buf.len() > max {
            return Err(invalid(&format!("{what} longer than {max} bytes")));
        }
        return Ok(None);
    };
    let length = if end > 0 && buf[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    Ok(Some((length, end + 1)))
}

/// The size a chunk-size line gives (hex digits, then optional `;`
/// extensions, which are ignored).
fn chunk_size(line: &[u8]) -> Result<u64, Malformed> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let rest = &line[digits_end..];
    let rest_ok = rest.is_empty() || matches!(rest.trim_ascii_start().first(), Some(b';'));
    if digits_end == 0 || digits_end > 16 || !rest_ok {
        let shown = String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
        return Err(invalid(&format!("bad chunk size line {shown:?}")));
    }
    let text = std::str::from_utf8(&line[..digits_end]).map_err(|_| invalid("bad chunk size"))?;
    u64::from_str_radix(text, 16).map_err(|_| invalid("bad chunk size"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes `wire` fed in the given piece sizes: the body, and whether
    /// the end was seen.
    fn decode_in_pieces(
        wire: &[u8],
        pieces: &[usize],
    ) -> Result<(Vec<u8>, bool, usize), Malformed> {
        let mut state = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut body = Vec::new();
        let mut fed = 0;
        let mut sizes = pieces.iter().copied().chain(std::iter::repeat(1));
        loop {
            match state.decode(&mut buf)? {
                Some(Step::Data(data)) => body.extend_from_slice(&data),
                Some(Step::End) => return Ok((body, true, buf.len())),
                None if fed == wire.len() => return Ok((body, false, buf.len())),
                None => {
                    let n = sizes.next().unwrap_or(1).max(1).min(wire.len() - fed);
                    buf.extend_from_slice(&wire[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    fn encode(chunks: &[Vec<u8>], trailers: &str) -> Vec<u8> {
        let mut wire = Vec::new();
        for chunk in chunks.iter().filter(|c| !c.is_empty()) {
            wire.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            wire.extend_from_slice(chunk);
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(format!("0\r\n{trailers}\r\n").as_bytes());
        wire
    }

    #[test]
    fn decodes_chunks_extensions_trailers_and_bare_line_feeds() {
        let wire = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n";
        let (body, ended, left) = decode_in_pieces(wire, &[wire.len()]).unwrap();
        assert_eq!((&body[..], ended, left), (&b"hello world"[..], true, 0));
        let lf = b"A\nabcdefghij\n0\n\n";
        let (body, ended, _) = decode_in_pieces(lf, &[3]).unwrap();
        assert_eq!((&body[..], ended), (&b"abcdefghij"[..], true));
        // Bytes after the body stay in the buffer (the next response's).
        let (_, ended, left) = decode_in_pieces(b"0\r\n\r\nHTTP", &[100]).unwrap();
        assert_eq!((ended, left), (true, 4));
    }

    #[test]
    fn a_body_cut_before_its_last_chunk_has_not_ended() {
        let (body, ended, _) = decode_in_pieces(b"5\r\nhel", &[100]).unwrap();
        assert_eq!((&body[..], ended), (&b"hel"[..], false));
    }

    #[test]
    fn bad_framing_is_an_error_naming_it() {
        for (wire, says) in [
            (&b"zz\r\nhello\r\n"[..], "bad chunk size line"),
            (b"5 x\r\nhello\r\n", "bad chunk size line"),
            (b"11111111111111111\r\n", "bad chunk size line"),
            (b"5\r\nhelloXX", "not followed by CRLF"),
        ] {
            let err = decode_in_pieces(wire, &[wire.len()]).unwrap_err();
            assert!(err.to_string().contains(says), "{err}");
        }
        let long = vec![b'1'; MAX_SIZE_LINE + 2];
        let err = decode_in_pieces(&long, &[long.len()]).unwrap_err();
        assert!(err.to_string().contains("longer than"), "{err}");
        let mut trailers = b"0\r\n".to_vec();
        while trailers.len() < MAX_TRAILERS + 100 {
            trailers.extend_from_slice(b"x-filler: 0123456789\r\n");
        }
        let err = decode_in_pieces(&trailers, &[trailers.len()]).unwrap_err();
        assert!(err.to_string().contains("trailers"), "{err}");
    }

    proptest! {
        /// Any body, chunked any way and delivered in any pieces, decodes
        /// to itself and ends exactly at its last byte.
        #[test]
        fn any_split_decodes_to_the_body(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 0..8),
            pieces in proptest::collection::vec(1usize..64, 0..40),
            trailer in any::<bool>(),
        ) {
            let wire = encode(&chunks, if trailer { "a: b\r\n" } else { "" });
            let (body, ended, left) = decode_in_pieces(&wire, &pieces).unwrap();
            prop_assert_eq!(body, chunks.concat());
            prop_assert!(ended);
            prop_assert_eq!(left, 0);
        }
    }
}

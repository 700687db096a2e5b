//! Image tokens as OpenAI bills them (and LiteLLM counts them): 85 at low
//! or auto detail; at high detail, 85 plus 170 per 512-pixel tile after
//! scaling. Sizes come from `data:` URLs only: lmrelay never fetches an image
//! URL to count it (LiteLLM does); a remote image at high detail is an error.

use base64::Engine;
use serde_json::Value;

use crate::error::{Error, ErrorKind, Result};

const BASE_TOKENS: u64 = 85;
const TILE_TOKENS: u64 = 170;

fn bad(message: String) -> Error {
    Error::new(ErrorKind::BadRequest, message)
}

/// Tokens of one `image_url` part value (a string or `{url, detail}`).
pub(super) fn image_tokens(image_url: Option<&Value>) -> Result<u64> {
    let (url, detail) = match image_url {
        Some(Value::String(url)) => (url.as_str(), "auto"),
        Some(Value::Object(object)) => (
            object.get("url").and_then(Value::as_str).unwrap_or(""),
            object
                .get("detail")
                .and_then(Value::as_str)
                .unwrap_or("auto"),
        ),
        _ => return Err(bad("an image_url part needs a url".to_owned())),
    };
    if url.is_empty() {
        return Err(bad("an image_url part has an empty url".to_owned()));
    }
    match detail {
        "low" | "auto" => Ok(BASE_TOKENS),
        "high" => {
            let (width, height) = data_url_size(url)?;
            Ok(high_detail_tokens(width, height))
        }
        other => Err(bad(format!(
            "image detail '{other}' is not one of low, high, auto"
        ))),
    }
}

/// OpenAI's tiling: fit within 2048, shortest side to 768, count 512 tiles.
fn high_detail_tokens(width: u64, height: u64) -> u64 {
    let (w, h) = (width as f64, height as f64);
    let (rw, rh) = if width <= 768 && height <= 768 {
        (w, h)
    } else {
        let aspect = w.max(h) / w.min(h);
        if width <= height {
            let (mut rw, mut rh) = (768.0, (768.0 * aspect).trunc());
            if rh > 2000.0 {
                rh = 2000.0;
                rw = (2000.0 / aspect).trunc();
            }
            (rw, rh)
        } else {
            let (mut rw, mut rh) = ((768.0 * aspect).trunc(), 768.0);
            if rw > 2000.0 {
                rw = 2000.0;
                rh = (2000.0 / aspect).trunc();
            }
            (rw, rh)
        }
    };
    let tiles = (rw / 512.0).ceil() as u64 * (rh / 512.0).ceil() as u64;
    BASE_TOKENS + TILE_TOKENS * tiles
}

/// Width and height of a base64 `data:` image; unknown formats count as
/// 300x300, as in LiteLLM.
fn data_url_size(url: &str) -> Result<(u64, u64)> {
    let Some((_, payload)) = url.split_once(',').filter(|_| url.starts_with("data:")) else {
        return Err(bad(format!(
            "counting a high-detail image needs its size; lmrelay reads it only from data: URLs \
             and does not fetch {}; pass the image as a data: URL or count it at detail low",
            url.chars().take(60).collect::<String>()
        )));
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|err| bad(format!("the image data URL is not valid base64: {err}")))?;
    Ok(image_size(&bytes).unwrap_or((300, 300)))
}

fn be16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn image_size(b: &[u8]) -> Option<(u64, u64)> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        let w = u64::from(u32::from_be_bytes(b.get(16..20)?.try_into().ok()?));
        let h = u64::from(u32::from_be_bytes(b.get(20..24)?.try_into().ok()?));
        return Some((w, h));
    }
    if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        return Some((le16(b, 6)?, le16(b, 8)?));
    }
    if b.starts_with(b"RIFF") && b.get(8..12) == Some(b"WEBP") {
        return match b.get(12..16)? {
            b"VP8X" => {
                let w = 1 + (le16(b, 24)? | (u64::from(*b.get(26)?) << 16));
                let h = 1 + (le16(b, 27)? | (u64::from(*b.get(29)?) << 16));
                Some((w, h))
            }
            b"VP8 " => Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff)),
            b"VP8L" => {
                let bits = u32::from_le_bytes(b.get(21..25)?.try_into().ok()?);
                Some((
                    u64::from(bits & 0x3fff) + 1,
                    u64::from((bits >> 14) & 0x3fff) + 1,
                ))
            }
            _ => None,
        };
    }
    if b.starts_with(&[0xff, 0xd8]) {
        let mut at = 2;
        while at + 9 < b.len() {
            if b[at] != 0xff {
                return None;
            }
            let marker = b[at + 1];
            let length = usize::try_from(be16(b, at + 2)?).ok()?;
            if (0xc0..=0xcf).contains(&marker) && ![0xc4, 0xc8, 0xcc].contains(&marker) {
                return Some((be16(b, at + 7)?, be16(b, at + 5)?));
            }
            at += 2 + length;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiling_matches_litellm() {
        for ((w, h), want) in [
            ((300, 300), 255),
            ((1024, 1024), 765),
            ((2048, 4096), 1105),
            ((4096, 1000), 765),
            ((800, 600), 765),
            ((100, 5000), 765),
        ] {
            assert_eq!(high_detail_tokens(w, h), want, "{w}x{h}");
        }
    }
}

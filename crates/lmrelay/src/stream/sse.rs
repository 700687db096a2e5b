//! A server-sent-events decoder: CR, LF and CRLF line ends, multi-line data,
//! comments and keep-alives, fields split across reads, a bounded line length.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field, when present (`error` for mid-stream errors).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field, when present.
    pub id: Option<String>,
    /// The `retry:` field, when present.
    pub retry: Option<u64>,
}

/// The decoder met a line longer than its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("server-sent event line longer than {limit} bytes")]
pub struct LineTooLong {
    /// The limit in bytes.
    pub limit: usize,
}

/// The longest line accepted by default (16 MiB): more is a broken server.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024 * 1024;

/// Incremental decoder: feed it bytes as they arrive, take events out.
#[derive(Debug)]
pub struct SseDecoder {
    line: Vec<u8>,
    after_cr: bool,
    at_start: bool,
    data: String,
    has_data: bool,
    event: Option<String>,
    id: Option<String>,
    retry: Option<u64>,
    max_line: usize,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl SseDecoder {
    /// A decoder with the default line limit.
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A decoder that rejects lines longer than `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            data: String::new(),
            has_data: false,
            event: None,
            id: None,
            retry: None,
            max_line,
        }
    }

    /// Feeds bytes; returns the events completed by them, in order.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
        let mut events = Vec::new();
        self.feed_into(bytes, &mut events)?;
        Ok(events)
    }

    /// Feeds bytes; the events completed by them are added to `events`, in
    /// order (a stream's queue, without a new list per read).
    pub fn feed_into(
        &mut self,
        mut bytes: &[u8],
        events: &mut impl Extend<SseEvent>,
    ) -> Result<(), LineTooLong> {
        if self.at_start && !bytes.is_empty() {
            // A UTF-8 byte-order mark may open the stream; it can arrive split.
            let bom = [0xEF, 0xBB, 0xBF];
            let have = self.line.len();
            let take = (3 - have).min(bytes.len());
            if self
                .line
                .iter()
                .chain(&bytes[..take])
                .eq(bom[..have + take].iter())
            {
                if have + take == 3 {
                    self.line.clear();
                    self.at_start = false;
                } else {
                    self.line.extend_from_slice(&bytes[..take]);
                }
                bytes = &bytes[take..];
            } else {
                self.at_start = false;
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', bytes) {
            let is_cr = bytes[pos] == b'\r';
            if pos == 0 && !is_cr && self.after_cr {
                // The LF of a CRLF split across two reads: the line already ended.
                self.after_cr = false;
                bytes = &bytes[1..];
                continue;
            }
            let event = if self.line.is_empty() {
                // The whole line is in this read (the usual case): no copy.
                self.check_line_length(pos)?;
                self.at_start = false;
                self.process_line(&bytes[..pos])
            } else {
                self.push_line_bytes(&bytes[..pos])?;
                let mut line = std::mem::take(&mut self.line);
                let event = self.process_line(&line);
                // Keep the buffer's capacity for the next split line.
                line.clear();
                self.line = line;
                event
            };
            if let Some(event) = event {
                events.extend(std::iter::once(event));
            }
            self.after_cr = is_cr;
            let mut consumed = pos + 1;
            if is_cr && bytes.get(pos + 1) == Some(&b'\n') {
                consumed += 1;
                self.after_cr = false;
            }
            bytes = &bytes[consumed..];
        }
        if !bytes.is_empty() {
            self.after_cr = false;
            self.push_line_bytes(bytes)?;
        }
        Ok(())
    }

    /// Ends the input: an event whose blank line never came is dispatched
    /// when it has data (servers that close right after the last `data:`).
    pub fn finish(&mut self) -> Option<SseEvent> {
        if self.at_start {
            self.line.clear();
        }
        let line = std::mem::take(&mut self.line);
        if !line.is_empty()
            && let Some(event) = self.process_line(&line)
        {
            return Some(event);
        }
        self.process_line(b"")
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), LineTooLong> {
        self.at_start = false;
        self.check_line_length(self.line.len() + bytes.len())?;
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn check_line_length(&mut self, length: usize) -> Result<(), LineTooLong> {
        if length > self.max_line {
            self.line.clear();
            return Err(LineTooLong {
                limit: self.max_line,
            });
        }
        Ok(())
    }

    fn process_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            return None;
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &[][..]),
        };
        // Valid UTF-8 (the norm) is checked by the fast validator; only
        // broken text pays for the lossy decoding.
        let value = match std::str::from_utf8(value) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(value),
        };
        match field {
            b"data" => {
                // Room for the line end too: one allocation per event.
                self.data.reserve(value.len() + 1);
                self.data.push_str(&value);
                self.data.push('\n');
                self.has_data = true;
            }
            b"event" => self.event = Some(value.into_owned()),
            b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
            b"retry" => {
                if let Ok(ms) = value.parse() {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let retry = self.retry.take();
        if !self.has_data {
            self.data.clear();
            return None;
        }
        self.has_data = false;
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        Some(SseEvent {
            event,
            data,
            id: self.id.clone(),
            retry,
        })
    }
}

/// Decodes a whole byte string at once (tests and fuzzing).
pub fn decode_all(bytes: &[u8]) -> Result<Vec<SseEvent>, LineTooLong> {
    let mut decoder = SseDecoder::new();
    let mut events = decoder.feed(bytes)?;
    events.extend(decoder.finish());
    Ok(events)
}

/// The property the fuzzer checks: decoding never panics, and feeding the
/// bytes in pieces (cut where `data[0]` says) gives the same events as
/// feeding them whole. Returns what differed.
#[doc(hidden)]
pub fn check_split_invariance(data: &[u8]) -> Result<(), String> {
    let Some((&step, bytes)) = data.split_first() else {
        return Ok(());
    };
    let Ok(whole) = decode_all(bytes) else {
        return Ok(());
    };
    let step = usize::from(step).max(1);
    let mut decoder = SseDecoder::new();
    let mut pieces = Vec::new();
    for piece in bytes.chunks(step) {
        pieces.extend(decoder.feed(piece).map_err(|e| e.to_string())?);
    }
    pieces.extend(decoder.finish());
    if whole != pieces {
        return Err(format!("whole {whole:?} != pieces of {step}: {pieces:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn lf_crlf_and_cr_line_ends() {
        for input in [
            "data: a\n\ndata: b\n\n",
            "data: a\r\n\r\ndata: b\r\n\r\n",
            "data: a\r\rdata: b\r\r",
        ] {
            assert_eq!(
                data(&decode_all(input.as_bytes()).unwrap()),
                ["a", "b"],
                "{input:?}"
            );
        }
    }

    #[test]
    fn multi_line_data_comments_and_fields() {
        let input = ": keep-alive\n\nevent: error\nid: 7\nretry: 1500\ndata: {\"a\":\ndata:1}\n\n";
        let events = decode_all(input.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data, "{\"a\":\n1}");
        assert_eq!(events[0].event.as_deref(), Some("error"));
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[0].retry, Some(1500));
    }

    #[test]
    fn crlf_split_across_reads_is_one_line_end() {
        let mut decoder = SseDecoder::new();
        let mut events = decoder.feed(b"data: a\r").unwrap();
        events.extend(decoder.feed(b"\n\r").unwrap());
        events.extend(decoder.feed(b"\ndata: b\n\n").unwrap());
        assert_eq!(data(&events), ["a", "b"]);
    }

    #[test]
    fn bom_and_empty_data_and_unterminated_tail() {
        let events = decode_all("\u{feff}data:\n\ndata: [DONE]".as_bytes()).unwrap();
        assert_eq!(data(&events), ["", "[DONE]"]);
    }

    #[test]
    fn long_lines_are_refused() {
        let mut decoder = SseDecoder::with_max_line(8);
        assert!(decoder.feed(b"data: 0123456789").is_err());
    }

    #[test]
    fn fuzz_corpus_replays_cleanly() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/sse_decoder");
        let mut count = 0;
        for entry in std::fs::read_dir(&dir).expect("fuzz corpus present") {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            check_split_invariance(&data).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            count += 1;
        }
        assert!(count >= 8, "{count} corpus files");
    }

    proptest! {
        #[test]
        fn any_split_gives_the_same_events(
            payloads in proptest::collection::vec("[a-z{}\":, ]{0,12}", 1..6),
            crlf in any::<bool>(),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let end = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            for p in &payloads {
                text.push_str(&format!(": ping{end}data: {p}{end}{end}"));
            }
            let bytes = text.as_bytes();
            let whole = decode_all(bytes).unwrap();
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut decoder = SseDecoder::new();
            let mut pieces = Vec::new();
            let mut start = 0;
            for cut in cuts {
                pieces.extend(decoder.feed(&bytes[start..cut]).unwrap());
                start = cut;
            }
            pieces.extend(decoder.feed(&bytes[start..]).unwrap());
            pieces.extend(decoder.finish());
            prop_assert_eq!(&whole, &pieces);
            prop_assert_eq!(data(&whole), payloads.iter().map(String::as_str).collect::<Vec<_>>());
        }
    }
}

//! A strict JSON scanner for the pass-through: it checks that a reply is
//! valid JSON (RFC 8259) and hands the caller the keys and value spans it
//! asks about, without building any value. Keeping a 316-byte chat reply
//! (`RawChatCompletion::keep`, UTF-8 check and usage included) takes about
//! 5,300 instructions, 17 per byte (callgrind).
//!
//! Every function answers `None` for input it does not accept: invalid
//! JSON, nesting deeper than serde_json reads (127 levels), or a shape the caller
//! rejects. The pass-through then takes the typed path, which parses the
//! reply with serde and either reads it or names what is wrong.

use std::ops::Range;

/// The deepest nesting serde_json reads into a value (its recursion limit
/// of 128 counts the level it refuses): deeper input is refused there too.
const MAX_DEPTH: u32 = 127;

/// A position in a JSON text.
pub(super) struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
    depth: u32,
}

/// A JSON string found by the scanner: its contents (between the quotes)
/// and whether they hold escapes (then they differ from the text they mean).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Str {
    pub(super) span: Range<usize>,
    pub(super) escaped: bool,
}

/// What kind of value the scanner skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl<'a> Scanner<'a> {
    /// A scanner at the start of `text`.
    pub(super) fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            at: 0,
            depth: 0,
        }
    }

    /// Where the next value starts (after whitespace).
    pub(super) fn position(&mut self) -> usize {
        self.skip_whitespace();
        self.at
    }

    /// The bytes of `span`.
    pub(super) fn slice(&self, span: Range<usize>) -> &'a [u8] {
        &self.bytes[span]
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Whitespace, then the end of the text.
    pub(super) fn finish(mut self) -> Option<()> {
        self.skip_whitespace();
        (self.at == self.bytes.len()).then_some(())
    }

    /// The next value's kind, after whitespace, without reading it.
    pub(super) fn next_kind(&mut self) -> Option<Kind> {
        self.skip_whitespace();
        Some(match self.peek()? {
            b'{' => Kind::Object,
            b'[' => Kind::Array,
            b'"' => Kind::String,
            b'-' | b'0'..=b'9' => Kind::Number,
            b't' | b'f' => Kind::Bool,
            b'n' => Kind::Null,
            _ => return None,
        })
    }

    /// Skips one value of any kind; returns its kind and span.
    pub(super) fn value(&mut self) -> Option<(Kind, Range<usize>)> {
        let kind = self.next_kind()?;
        let start = self.at;
        match kind {
            Kind::Object => self.object(|scanner, _, _| scanner.value().map(drop))?,
            Kind::Array => self.array(|scanner| scanner.value().map(drop))?,
            Kind::String => {
                self.string()?;
            }
            Kind::Number => {
                self.number()?;
            }
            Kind::Bool => {
                if !(self.literal(b"true") || self.literal(b"false")) {
                    return None;
                }
            }
            Kind::Null => {
                if !self.literal(b"null") {
                    return None;
                }
            }
        }
        Some((kind, start..self.at))
    }

    fn literal(&mut self, word: &[u8]) -> bool {
        let found = self.bytes[self.at..].starts_with(word);
        if found {
            self.at += word.len();
        }
        found
    }

    /// Reads `null` if it is next.
    pub(super) fn null(&mut self) -> bool {
        self.skip_whitespace();
        self.literal(b"null")
    }

    /// Reads a string; `None` unless the next value is a valid string.
    pub(super) fn string(&mut self) -> Option<Str> {
        self.skip_whitespace();
        if self.peek()? != b'"' {
            return None;
        }
        self.at += 1;
        let start = self.at;
        let mut escaped = false;
        loop {
            self.skip_plain_text();
            let byte = *self.bytes.get(self.at)?;
            self.at += 1;
            match byte {
                b'"' => {
                    return Some(Str {
                        span: start..self.at - 1,
                        escaped,
                    });
                }
                b'\\' => {
                    escaped = true;
                    match *self.bytes.get(self.at)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                // Control characters must be escaped inside strings.
                0x00..=0x1f => return None,
                _ => {}
            }
        }
    }

    /// Moves past string bytes that need no attention (not `"`, `\\` or a
    /// control character), eight at a time: each 8-byte word is tested for
    /// those bytes at once (the "has zero byte" and "has less than" bit
    /// tricks; a false positive can only follow a true one, so the lowest
    /// flagged byte is exact).
    fn skip_plain_text(&mut self) {
        const ONES: u64 = 0x0101_0101_0101_0101;
        const HIGHS: u64 = 0x8080_8080_8080_8080;
        let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
        while let Some(eight) = self.bytes.get(self.at..self.at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(eight);
            let word = u64::from_le_bytes(word);
            let flagged = has_zero(word ^ (ONES * u64::from(b'"')))
                | has_zero(word ^ (ONES * u64::from(b'\\')))
                | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
            if flagged != 0 {
                self.at += (flagged.trailing_zeros() / 8) as usize;
                return;
            }
            self.at += 8;
        }
    }

    /// Reads a number; returns its span.
    pub(super) fn number(&mut self) -> Option<Range<usize>> {
        self.skip_whitespace();
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(start..self.at)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// Reads a number that is an unsigned integer fitting `u64` (what serde
    /// reads into a `u64` or `u32` field: no sign, fraction or exponent).
    pub(super) fn unsigned(&mut self) -> Option<u64> {
        self.skip_whitespace();
        let mut value: u64 = 0;
        match self.peek()? {
            // A leading zero stands alone in JSON.
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                while let Some(digit @ b'0'..=b'9') = self.peek() {
                    value = value
                        .checked_mul(10)?
                        .checked_add(u64::from(digit - b'0'))?;
                    self.at += 1;
                }
            }
            _ => return None,
        }
        // A fraction or an exponent makes it a float.
        match self.peek() {
            Some(b'.' | b'e' | b'E') => None,
            _ => Some(value),
        }
    }

    /// Reads an object, calling `entry` with each key (its bytes, and
    /// whether it holds escapes) while the scanner stands before the value;
    /// `entry` must read the value.
    pub(super) fn object(
        &mut self,
        mut entry: impl FnMut(&mut Self, &'a [u8], bool) -> Option<()>,
    ) -> Option<()> {
        let mut more = self.open_object()?;
        while more {
            let key = self.key()?;
            entry(self, &self.bytes[key.span], key.escaped)?;
            more = self.next_entry()?;
        }
        Some(())
    }

    /// Steps into an object: `{`, then whether an entry follows (`false`
    /// when `}` closed it at once).
    pub(super) fn open_object(&mut self) -> Option<bool> {
        self.skip_whitespace();
        if self.peek()? != b'{' {
            return None;
        }
        self.enter()?;
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
            self.depth -= 1;
            return Some(false);
        }
        Some(true)
    }

    /// An entry's key and its colon; the scanner then stands before the value.
    pub(super) fn key(&mut self) -> Option<Str> {
        let key = self.string()?;
        self.skip_whitespace();
        if self.peek()? != b':' {
            return None;
        }
        self.at += 1;
        Some(key)
    }

    /// The bytes of a key read by [`Scanner::key`].
    pub(super) fn key_bytes(&self, key: &Str) -> &'a [u8] {
        &self.bytes[key.span.clone()]
    }

    /// After an entry's value: `,` (`true`: another entry follows) or `}`
    /// (`false`: the object is closed).
    pub(super) fn next_entry(&mut self) -> Option<bool> {
        self.skip_whitespace();
        match self.peek()? {
            b',' => {
                self.at += 1;
                Some(true)
            }
            b'}' => {
                self.at += 1;
                self.depth -= 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Where the scanner stands (no whitespace skipped).
    pub(super) fn offset(&self) -> usize {
        self.at
    }

    /// Puts the scanner at `at`, inside `depth` open containers: where an
    /// earlier scan of the same bytes up to `at` stood.
    pub(super) fn resume(&mut self, at: usize, depth: u32) {
        self.at = at;
        self.depth = depth;
    }

    /// Reads an array, calling `element` while the scanner stands before
    /// each element; `element` must read it.
    pub(super) fn array(&mut self, mut element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.skip_whitespace();
        if self.peek()? != b'[' {
            return None;
        }
        self.enter()?;
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            self.depth -= 1;
            return Some(());
        }
        loop {
            element(self)?;
            self.skip_whitespace();
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    self.depth -= 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Steps into an object or array.
    fn enter(&mut self) -> Option<()> {
        self.at += 1;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }
}

/// Marks `seen` and fails if it was already set: a duplicated key the
/// pass-through reads is left to the typed path (serde refuses duplicates).
pub(super) fn first_time(seen: &mut bool) -> Option<()> {
    if *seen {
        return None;
    }
    *seen = true;
    Some(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn valid(text: &str) -> bool {
        let mut scanner = Scanner::new(text);
        scanner.value().is_some() && scanner.finish().is_some()
    }

    fn serde_valid(text: &str) -> bool {
        serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
    }

    #[test]
    fn accepts_and_refuses_what_serde_json_does() {
        let cases = [
            "{}",
            "[]",
            " {\"a\" : [1, -2.5e+3, true, false, null, \"\\u00e9\\n\"] } ",
            "0",
            "-0.0e0",
            "\"\"",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "nul",
            "truex",
            "\"\\x\"",
            "\"\\u12g4\"",
            "\"a\u{1}b\"",
            "\"unterminated",
            "{\"a\" 1}",
            "{1:2}",
            "[1 2]",
            "{} {}",
            "",
            "   ",
        ];
        for case in cases {
            assert_eq!(valid(case), serde_valid(case), "{case:?}");
        }
        // Nesting: as deep as serde_json reads into a value (the typed path
        // keeps unknown fields as values); skipping with `IgnoredAny` has
        // no limit there.
        let value_ok = |text: &str| serde_json::from_str::<serde_json::Value>(text).is_ok();
        let deep_ok = format!("{}{}", "[".repeat(127), "]".repeat(127));
        let too_deep = format!("{}{}", "[".repeat(128), "]".repeat(128));
        assert_eq!((valid(&deep_ok), value_ok(&deep_ok)), (true, true));
        assert_eq!((valid(&too_deep), value_ok(&too_deep)), (false, false));
    }

    #[test]
    fn strings_end_at_their_quote_wherever_the_special_bytes_fall() {
        for len in 0..20 {
            let plain = "é".repeat(len / 2) + &"a".repeat(len % 2);
            for special in ["\\\"", "\\\\", "\\u00e9", "\\n"] {
                for at in 0..=plain.len() {
                    if !plain.is_char_boundary(at) {
                        continue;
                    }
                    let inner = format!("{}{special}{}", &plain[..at], &plain[at..]);
                    let text = format!("\"{inner}\" ");
                    let found = Scanner::new(&text).string().unwrap();
                    assert_eq!(found.span, 1..1 + inner.len(), "{text:?}");
                    assert!(found.escaped);
                }
            }
            for bad in ["\u{1}", "\u{1f}", "\n"] {
                let text = format!("\"{plain}{bad}{plain}\"");
                assert!(Scanner::new(&text).string().is_none(), "{text:?}");
            }
            let unterminated = format!("\"{plain}");
            assert!(Scanner::new(&unterminated).string().is_none());
        }
    }

    #[test]
    fn unsigned_reads_only_what_fits_u64() {
        let read = |text: &str| Scanner::new(text).unsigned();
        assert_eq!(read("0"), Some(0));
        assert_eq!(read(" 1700000000"), Some(1_700_000_000));
        assert_eq!(read("18446744073709551615"), Some(u64::MAX));
        for refused in ["18446744073709551616", "-1", "1.0", "1e3", "x"] {
            assert_eq!(read(refused), None, "{refused}");
        }
    }

    /// Any JSON value, as serde_json writes it, pretty or compact.
    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(serde_json::Value::from),
            any::<String>().prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(6, 64, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::from),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn every_serialized_value_is_valid(value in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&value).unwrap()
            } else {
                serde_json::to_string(&value).unwrap()
            };
            prop_assert!(valid(&text), "{}", text);
        }

        #[test]
        fn damaged_text_is_judged_as_serde_json_judges_it(
            value in json_value(),
            cut in any::<prop::sample::Index>(),
            byte in prop::sample::select(b"{}[]\",:\\ 0-.eE+tfnu\x01a".to_vec()),
            insert in any::<bool>(),
        ) {
            let mut text = serde_json::to_string(&value).unwrap().into_bytes();
            let at = cut.index(text.len() + 1);
            if insert {
                text.insert(at, byte);
            } else if at < text.len() {
                text[at] = byte;
            } else {
                text.truncate(at.saturating_sub(1));
            }
            if let Ok(text) = String::from_utf8(text) {
                prop_assert_eq!(valid(&text), serde_valid(&text), "{:?}", text);
            }
        }
    }
}

//! PHP's JSON: `json_encode`'s string escaping (what Laravel's `JsonResponse` writes), and
//! `json_decode($body, true)`, as PHP 8.2 does it: objects become arrays whose numeric-string
//! keys turn into integers, a duplicate key keeps its first position and its last value,
//! integers beyond 64 bits become floats, `1e400` is `INF`, and nesting deeper than 511
//! arrays or objects is an error.
//!
//! Hand-written rather than `serde_json`: these four rules are exactly where serde_json
//! differs from PHP (its depth limit is 128, it refuses `1e400`, and a map type would have
//! to undo its key handling); the parser also keeps the error's line and column for the
//! `X-Mock-Diagnostic` header, in serde_json's wording.

use compact_str::CompactString;

use super::{Array, Key, Value};

/// PHP's `json_decode` default depth is 512; a value nested in 512 containers exceeds it.
const MAX_NESTING: usize = 511;

/// Why a body is not JSON, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub(crate) struct JsonError {
    message: &'static str,
    line: usize,
    column: usize,
}

/// Decodes a whole body.
///
/// # Errors
/// A [`JsonError`] where PHP's decoder gives `null` with an error.
pub(crate) fn decode(text: &[u8]) -> Result<Value, JsonError> {
    let mut parser = Parser {
        text,
        utf8: std::str::from_utf8(text).ok(),
        at: 0,
        depth: 0,
        // The vendor's bodies never hold more entries open at once: no growing.
        entries: Vec::with_capacity(SCANNED_KEYS),
    };
    parser.skip_ws();
    let value = parser.value()?;
    parser.skip_ws();
    if parser.at < text.len() {
        return Err(parser.error("trailing characters"));
    }
    Ok(value)
}

struct Parser<'a> {
    text: &'a [u8],
    /// The whole text, when it is UTF-8: checked once, so strings need no check of their own.
    utf8: Option<&'a str>,
    at: usize,
    depth: usize,
    /// The entries of the arrays being read, innermost last: each array is built once at
    /// its size when it closes, instead of growing entry by entry.
    entries: Vec<(Key, Value)>,
}

/// Objects with more entries than this go on in an [`Array`] (whose hash index finds
/// duplicate keys) rather than on the entry stack, where a duplicate is found by a scan.
const SCANNED_KEYS: usize = 16;

impl Parser<'_> {
    fn error(&self, message: &'static str) -> JsonError {
        let upto = &self.text[..self.at.min(self.text.len())];
        let line = 1 + upto.iter().filter(|&&b| b == b'\n').count();
        let line_start = upto.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&upto[line_start..]).chars().count()
            + usize::from(self.at < self.text.len());
        JsonError {
            message,
            line,
            column,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Result<Value, JsonError> {
        match self.peek() {
            None => Err(self.error("EOF while parsing a value")),
            Some(b'{') => self.object(),
            Some(b'[') => self.list(),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected value")),
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Result<Value, JsonError> {
        if self.text[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    fn enter(&mut self) -> Result<(), JsonError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error("nesting deeper than 511 levels (PHP's json_decode limit)"));
        }
        self.at += 1;
        Ok(())
    }

    fn list(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.at += 1;
            self.depth -= 1;
            return Ok(Value::Array(Array::new()));
        }
        let base = self.entries.len();
        let mut next: i64 = 0;
        loop {
            self.skip_ws();
            let value = self.value()?;
            self.entries.push((Key::Int(next), value));
            next += 1;
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => break,
                None => return Err(self.error("EOF while parsing a list")),
                Some(_) => return Err(self.error("expected `,` or `]`")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(Value::Array(Array::from_entries(
            self.entries.split_off(base),
        )))
    }

    fn object(&mut self) -> Result<Value, JsonError> {
        self.enter()?;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.at += 1;
            self.depth -= 1;
            return Ok(Value::Array(Array::new()));
        }
        let base = self.entries.len();
        // Past SCANNED_KEYS entries, the rest of the object goes into this array.
        let mut large: Option<Array> = None;
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'"') => {}
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("key must be a string")),
            }
            let key = Key::from_compact(self.string()?);
            self.skip_ws();
            match self.peek() {
                Some(b':') => self.at += 1,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `:`")),
            }
            self.skip_ws();
            let value = self.value()?;
            // `$array[$key] = $value`: a duplicate key keeps its place and takes the value.
            if let Some(array) = &mut large {
                array.set(key, value);
            } else if let Some(slot) = self.entries[base..].iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                self.entries.push((key, value));
                if self.entries.len() - base > SCANNED_KEYS {
                    large = Some(Array::from_entries(self.entries.split_off(base)));
                }
            }
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => break,
                None => return Err(self.error("EOF while parsing an object")),
                Some(_) => return Err(self.error("expected `,` or `}`")),
            }
        }
        self.at += 1;
        self.depth -= 1;
        Ok(Value::Array(match large {
            Some(array) => array,
            None => Array::from_entries(self.entries.split_off(base)),
        }))
    }

    fn number(&mut self) -> Result<Value, JsonError> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.at += 1;
                }
            }
            _ => return Err(self.error("invalid number")),
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            float = true;
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.at += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            float = true;
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.error("invalid number"));
            }
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.at += 1;
            }
        }
        if matches!(self.peek(), Some(b'0'..=b'9')) {
            // A leading zero followed by digits: `01`.
            return Err(self.error("invalid number"));
        }
        // Only ASCII digits, signs, points and exponents were consumed.
        let text = std::str::from_utf8(&self.text[start..self.at]).unwrap_or("0");
        if !float && let Ok(n) = text.parse::<i64>() {
            return Ok(Value::Int(n));
        }
        // Too long for an integer, or a float; Rust's parse gives ±inf beyond the range, as
        // PHP's zend_strtod does.
        Ok(Value::Float(text.parse::<f64>().unwrap_or(f64::NAN)))
    }

    fn string(&mut self) -> Result<CompactString, JsonError> {
        self.at += 1; // the opening quote
        let start = self.at;
        // Fast path: no escapes, straight to the closing quote.
        self.at += plain_len::<Reading>(&self.text[self.at..]);
        if self.peek() == Some(b'"') {
            let s = match self.utf8.and_then(|text| text.get(start..self.at)) {
                Some(s) => s,
                None => std::str::from_utf8(&self.text[start..self.at])
                    .map_err(|_| self.error("invalid UTF-8"))?,
            };
            self.at += 1;
            return Ok(CompactString::from(s));
        }
        let mut out: Vec<u8> = self.text[start..self.at].to_vec();
        loop {
            let run = plain_len::<Reading>(&self.text[self.at..]);
            out.extend_from_slice(&self.text[self.at..self.at + run]);
            self.at += run;
            let Some(b) = self.peek() else {
                return Err(self.error("EOF while parsing a string"));
            };
            match b {
                b'"' => {
                    self.at += 1;
                    break;
                }
                b'\\' => {
                    self.at += 1;
                    self.escape(&mut out)?;
                }
                _ => {
                    return Err(self.error(
                        "control character (\\u0000-\\u001F) found while parsing a string",
                    ));
                }
            }
        }
        String::from_utf8(out)
            .map(CompactString::from)
            .map_err(|_| self.error("invalid UTF-8"))
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<(), JsonError> {
        let Some(b) = self.peek() else {
            return Err(self.error("EOF while parsing a string"));
        };
        self.at += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    if !self.text[self.at..].starts_with(b"\\u") {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    self.at += 2;
                    let second = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&second) {
                        return Err(self.error("lone leading surrogate in hex escape"));
                    }
                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                } else if (0xDC00..0xE000).contains(&first) {
                    return Err(self.error("lone trailing surrogate in hex escape"));
                } else {
                    first
                };
                char::from_u32(code).ok_or_else(|| self.error("invalid unicode code point"))?
            }
            _ => return Err(self.error("invalid escape")),
        };
        let mut buf = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self
            .text
            .get(self.at..self.at + 4)
            .ok_or_else(|| self.error("unexpected end of hex escape"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("invalid escape"))?;
        let n = u32::from_str_radix(text, 16).map_err(|_| self.error("invalid escape"))?;
        if !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid escape"));
        }
        self.at += 4;
        Ok(n)
    }
}

/// Appends `value` as compact JSON, the same document [`super::to_json`] builds (lists as
/// arrays, other arrays as objects in their order, INF and NAN as `null`, a file as its
/// description) without building it: storing `billing_info` through a `serde_json::Value`
/// cost about 4,000 instructions per create (benches/instr.py).
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
        Value::Float(f) => match serde_json::Number::from_f64(*f) {
            Some(n) => out.extend_from_slice(n.to_string().as_bytes()),
            None => out.extend_from_slice(b"null"),
        },
        Value::Str(s) => write_string(out, s, false),
        Value::File(upload) => write_string(
            out,
            &format!("<file {}, {} bytes>", upload.name, upload.size),
            false,
        ),
        Value::Array(array) if array.is_list() => {
            out.push(b'[');
            for (i, item) in array.values().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item);
            }
            out.push(b']');
        }
        Value::Array(array) => {
            out.push(b'{');
            for (i, (key, item)) in array.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(out, &key.as_text(), false);
                out.push(b':');
                write_value(out, item);
            }
            out.push(b'}');
        }
    }
}

/// Appends `s` as `json_encode` writes a string: `"` and `\\` escaped, control characters
/// as `\b \f \n \r \t` or `\u00XX`, every non-ASCII character as `\uXXXX` (surrogate pairs
/// beyond the BMP), and `/` as `\/` unless `JSON_UNESCAPED_SLASHES` (`escape_slashes`).
pub(crate) fn write_string(out: &mut Vec<u8>, s: &str, escape_slashes: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push(b'"');
    let mut plain_from = 0;
    let bytes = s.as_bytes();
    let mut i = 0;
    // Nearly all text is plain ASCII, passed over eight bytes at a time.
    loop {
        i += if escape_slashes {
            plain_len::<WritingSlashes>(&bytes[i..])
        } else {
            plain_len::<Writing>(&bytes[i..])
        };
        if i >= bytes.len() {
            break;
        }
        // `i` is at a character's start: only whole characters were passed over.
        let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        out.extend_from_slice(&bytes[plain_from..i]);
        i += c.len_utf8();
        plain_from = i;
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' => out.extend_from_slice(b"\\/"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{C}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.extend_from_slice(b"\\u");
                    for shift in [12, 8, 4, 0] {
                        out.push(HEX[usize::from((*unit >> shift) & 0xF)]);
                    }
                }
            }
        }
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

/// The bytes a JSON string stops at, found eight at a time: `mask` marks, in a
/// little-endian word of eight bytes, the high bit of its first stop byte (and perhaps of
/// bytes after it, never of one before: it is zero exactly when the word holds none); `byte`
/// says whether one byte is a stop, the reference the scan tests hold `mask` to.
trait Stops {
    fn mask(x: u64) -> u64;
    #[cfg(test)]
    fn byte(b: u8) -> bool;
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = ONES << 7;

/// The bytes of `x` below `n` (`n` at most 128; "Bit Twiddling Hacks", hasless). The
/// subtraction's borrow can mark a byte after a marked one, never before: the lowest mark is
/// exact.
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH_BITS
}

/// The bytes of `x` equal to `b` (the lowest mark exact, as in [`below`]).
fn equal(x: u64, b: u8) -> u64 {
    let v = x ^ (ONES * u64::from(b));
    v.wrapping_sub(ONES) & !v & HIGH_BITS
}

/// Reading: the closing quote, an escape, or a control character (an error).
struct Reading;

impl Stops for Reading {
    fn mask(x: u64) -> u64 {
        below(x, 0x20) | equal(x, b'"') | equal(x, b'\\')
    }
    #[cfg(test)]
    fn byte(b: u8) -> bool {
        b < 0x20 || b == b'"' || b == b'\\'
    }
}

/// Writing: what `json_encode` escapes, non-ASCII included, slashes apart.
struct Writing;

impl Stops for Writing {
    fn mask(x: u64) -> u64 {
        (x & HIGH_BITS) | Reading::mask(x)
    }
    #[cfg(test)]
    fn byte(b: u8) -> bool {
        b >= 0x80 || Reading::byte(b)
    }
}

/// Writing without `JSON_UNESCAPED_SLASHES`: `/` is escaped too.
struct WritingSlashes;

impl Stops for WritingSlashes {
    fn mask(x: u64) -> u64 {
        equal(x, b'/') | Writing::mask(x)
    }
    #[cfg(test)]
    fn byte(b: u8) -> bool {
        b == b'/' || Writing::byte(b)
    }
}

/// Quoting as Rust's `Debug` does: what JSON escapes among ASCII, and DEL besides.
struct Quoting;

impl Stops for Quoting {
    fn mask(x: u64) -> u64 {
        equal(x, 0x7F) | Writing::mask(x)
    }
    #[cfg(test)]
    fn byte(b: u8) -> bool {
        b == 0x7F || Writing::byte(b)
    }
}

/// Whether `Debug` writes `text` between its quotes as it is: no quote, backslash, control
/// byte, DEL or non-ASCII byte (checked eight bytes at a time).
pub(crate) fn is_plain_for_debug(text: &[u8]) -> bool {
    plain_len::<Quoting>(text) == text.len()
}

/// How many bytes at the start of `bytes` are not stop bytes.
fn plain_len<S: Stops>(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(word) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>) {
        let mask = S::mask(u64::from_le_bytes(*word));
        if mask != 0 {
            // The lowest mark is the first stop: its byte's index, from its bit's.
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last few bytes (most keys and values are shorter than a word) as one word too,
    // padded with a byte that stops no scan, rather than tested one at a time.
    let rest = bytes.get(i..).unwrap_or_default();
    if rest.is_empty() {
        return i;
    }
    let word = rest
        .iter()
        .rev()
        .fold(PADDING, |word, &b| (word << 8) | u64::from(b));
    let mask = S::mask(word);
    if mask != 0 {
        // A mark in the padding can only follow a stop in `rest`: the lowest is real.
        return i + (mask.trailing_zeros() / 8) as usize;
    }
    i + rest.len()
}

/// Eight `A`s: plain to every scan, and no borrow reaches past a plain byte.
const PADDING: u64 = u64::from_le_bytes([b'A'; 8]);

#[cfg(test)]
mod tests;

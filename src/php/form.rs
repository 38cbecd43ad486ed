//! PHP's parsing of `name=value&...` (the query string into `$_GET`, a form body into
//! `$_POST`, `parse_str`), and `php_register_variable_ex`, which turns a field name such as
//! `billing_properties[0][type]` into nested arrays.
//!
//! Rules kept from PHP 8.2: pieces split on `&` (empty ones skipped), `+` and `%XX` decoded
//! in names and values, a name without `=` has the value `""`, leading spaces of a name
//! dropped and its spaces and dots turned into `_` (up to the first `[`), `[]` appends, an
//! unclosed `[` becomes `_`, text after a `]` that does not open another `[` is ignored, a
//! NUL ends the name, the last duplicate wins, 64 levels of nesting at most (a deeper field
//! is dropped, taking its top-level name with it), and 1,000 fields at most.

use std::borrow::Cow;

use super::{Array, Key, Value};

/// PHP's `max_input_vars` default.
pub(crate) const MAX_INPUT_VARS: usize = 1000;
/// PHP's `max_input_nesting_level` default.
const MAX_NESTING: usize = 64;

/// A query string or form body, read.
#[derive(Debug, Default)]
pub(crate) struct Form {
    /// The fields, as `$_GET` or `$_POST`.
    pub fields: Array,
    /// Whether a name or value was not UTF-8 (read with U+FFFD in place of the broken
    /// bytes; PHP keeps the bytes, which Laravel can then neither store nor JSON-encode).
    pub not_utf8: bool,
}

impl Form {
    /// The fields, adding to `not_utf8` whether a name or value was not UTF-8.
    pub(crate) fn noting(self, not_utf8: &mut bool) -> Array {
        *not_utf8 |= self.not_utf8;
        self.fields
    }
}

/// Parses `name=value&...` as PHP fills `$_GET` or `$_POST` (`parse_str`).
pub(crate) fn parse(text: &[u8]) -> Form {
    let mut form = Form::default();
    let mut count = 0;
    for piece in text.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        count += 1;
        if count > MAX_INPUT_VARS {
            break;
        }
        let (name, value) = match piece.iter().position(|&b| b == b'=') {
            Some(at) => (&piece[..at], &piece[at + 1..]),
            None => (piece, &b""[..]),
        };
        let name = url_decode(name);
        form.not_utf8 |= std::str::from_utf8(&name).is_err();
        let value = lossy_noting(&url_decode(value), &mut form.not_utf8);
        register(&mut form.fields, &name, Value::Str(value));
    }
    form
}

/// PHP's `urldecode`: `+` is a space, `%XX` a byte, any other `%` stays.
pub(crate) fn url_decode(text: &[u8]) -> Vec<u8> {
    let plus_decoded: Cow<'_, [u8]> = if text.contains(&b'+') {
        Cow::Owned(
            text.iter()
                .map(|&b| if b == b'+' { b' ' } else { b })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    };
    percent_encoding::percent_decode(&plus_decoded).collect()
}

/// Bytes as a PHP string value: UTF-8, or U+FFFD for what is not (see the module docs of
/// `php`).
pub(crate) fn lossy(bytes: &[u8]) -> compact_str::CompactString {
    compact_str::CompactString::from(String::from_utf8_lossy(bytes))
}

/// [`lossy`], setting `not_utf8` when bytes had to be replaced.
pub(crate) fn lossy_noting(bytes: &[u8], not_utf8: &mut bool) -> compact_str::CompactString {
    let text = String::from_utf8_lossy(bytes);
    *not_utf8 |= matches!(text, Cow::Owned(_));
    compact_str::CompactString::from(text)
}

/// `php_register_variable_ex`: stores `value` under the (decoded) field `name`.
pub(crate) fn register(target: &mut Array, name: &[u8], value: Value) {
    // A NUL ends the name: PHP handles it as a C string.
    let name = name.split(|&b| b == 0).next().unwrap_or_default();
    let start = name.iter().position(|&b| b != b' ').unwrap_or(name.len());
    let name = &name[start..];
    let bracket = name.iter().position(|&b| b == b'[');
    let base_end = bracket.unwrap_or(name.len());
    if base_end == 0 {
        return;
    }
    let base: Vec<u8> = name[..base_end]
        .iter()
        .map(|&b| if b == b' ' || b == b'.' { b'_' } else { b })
        .collect();
    let Some(first_bracket) = bracket else {
        target.set(Key::from_str(&lossy(&base)), value);
        return;
    };
    // Walk the `[index]` parts; `None` is `[]` (append).
    let mut indexes: Vec<Option<&[u8]>> = Vec::new();
    let mut at = first_bracket;
    loop {
        let open = at + 1;
        let Some(close) = name[open..]
            .iter()
            .position(|&b| b == b']')
            .map(|p| open + p)
        else {
            if indexes.is_empty() {
                // `a[b=1`: no closing bracket; the `[` becomes `_` and the name is plain.
                let mut plain = base.clone();
                plain.push(b'_');
                plain.extend_from_slice(&name[open..]);
                target.set(Key::from_str(&lossy(&plain)), value);
                return;
            }
            break;
        };
        let inner = &name[open..close];
        // `[]` and `[ ]` (one whitespace character, C's isspace) append.
        let empty = match inner {
            [] => true,
            [c] => super::is_c_space(*c),
            _ => false,
        };
        indexes.push(if empty { None } else { Some(inner) });
        if indexes.len() > MAX_NESTING {
            target.remove(&Key::from_str(&lossy(&base)));
            return;
        }
        if name.get(close + 1) == Some(&b'[') {
            at = close + 1;
        } else {
            break;
        }
    }
    let mut slot = target.entry(Key::from_str(&lossy(&base)), || Value::Array(Array::new()));
    for index in &indexes[..indexes.len() - 1] {
        if !matches!(slot, Value::Array(_)) {
            *slot = Value::Array(Array::new());
        }
        let Value::Array(array) = slot else {
            return;
        };
        slot = match index {
            Some(key) => {
                let child = array.entry(Key::from_str(&lossy(key)), || Value::Array(Array::new()));
                if !matches!(child, Value::Array(_)) {
                    *child = Value::Array(Array::new());
                }
                child
            }
            None => {
                let key = array.push(Value::Array(Array::new()));
                match array.get_mut(&key) {
                    Some(child) => child,
                    None => return,
                }
            }
        };
    }
    if !matches!(slot, Value::Array(_)) {
        *slot = Value::Array(Array::new());
    }
    if let Value::Array(array) = slot {
        match indexes.last().copied().flatten() {
            Some(key) => array.set(Key::from_str(&lossy(key)), value),
            None => {
                array.push(value);
            }
        }
    }
}

impl Array {
    /// Removes the entry under `key`, if any (PHP drops a too deeply nested field this way).
    pub(crate) fn remove(&mut self, key: &Key) {
        if self.get(key).is_some() {
            let kept: Vec<(Key, Value)> = std::mem::take(&mut self.entries)
                .into_iter()
                .filter(|(k, _)| k != key)
                .collect();
            let next_free = self.next_free;
            *self = Array::new();
            for (k, v) in kept {
                self.insert_new(k, v);
            }
            self.next_free = next_free;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::to_json;

    fn parsed(text: &str) -> String {
        to_json(&Value::Array(parse(text.as_bytes()).fields)).to_string()
    }

    /// Every expectation is PHP 8.2's `parse_str` on the same input.
    #[test]
    fn field_names_nest_as_in_php() {
        for (input, php) in [
            ("a=1&a=2", r#"{"a":"2"}"#),
            ("a[]=1&a[]=2", r#"{"a":["1","2"]}"#),
            ("a[x]=1&a[]=2", r#"{"a":{"x":"1","0":"2"}}"#),
            ("a[5]=1&a[]=2", r#"{"a":{"5":"1","6":"2"}}"#),
            ("a[-5]=1&a[]=2", r#"{"a":{"-5":"1","-4":"2"}}"#),
            ("a b=1", r#"{"a_b":"1"}"#),
            ("a.b=1", r#"{"a_b":"1"}"#),
            ("a[b c]=1", r#"{"a":{"b c":"1"}}"#),
            ("a[b.c]=1", r#"{"a":{"b.c":"1"}}"#),
            (" a=1", r#"{"a":"1"}"#),
            ("a+b=1", r#"{"a_b":"1"}"#),
            ("a[=1", r#"{"a_":"1"}"#),
            ("a[b=1", r#"{"a_b":"1"}"#),
            ("a]=1", r#"{"a]":"1"}"#),
            ("a[b]c=1", r#"{"a":{"b":"1"}}"#),
            ("a[b][c=1", r#"{"a":{"b":"1"}}"#),
            ("a[]b=1", r#"{"a":["1"]}"#),
            ("=1", "[]"),
            ("&&a=1&", r#"{"a":"1"}"#),
            ("a", r#"{"a":""}"#),
            ("[a]=1", "[]"),
            ("a%5B%5D=1", r#"{"a":["1"]}"#),
            ("a[ b]=1", r#"{"a":{" b":"1"}}"#),
            ("a[01]=1", r#"{"a":{"01":"1"}}"#),
            ("a[+1]=1", r#"{"a":{" 1":"1"}}"#),
            ("a[]=1&a[1]=x", r#"{"a":["1","x"]}"#),
            ("a=1&a[]=2", r#"{"a":["2"]}"#),
            ("a[]=1&a=2", r#"{"a":"2"}"#),
            ("a[][x]=1&a[][x]=2", r#"{"a":[{"x":"1"},{"x":"2"}]}"#),
            ("a%00b=1", r#"{"a":"1"}"#),
            ("a[b][]=1&a[b]=2", r#"{"a":{"b":"2"}}"#),
            ("a..b=1", r#"{"a__b":"1"}"#),
            ("a[*]=1", r#"{"a":{"*":"1"}}"#),
            ("a[0]=x&a[0][y]=z", r#"{"a":[{"y":"z"}]}"#),
            (
                "billing_properties[0][type]=phone",
                r#"{"billing_properties":[{"type":"phone"}]}"#,
            ),
        ] {
            assert_eq!(parsed(input), php, "{input}");
        }
    }

    #[test]
    fn names_and_values_that_are_not_utf8_are_noted() {
        for (input, not_utf8) in [
            ("a=1&b[c]=%C3%A4", false),
            ("a=%EF%BF%BD", false),
            ("a=%FF", true),
            ("a[%FF]=1", true),
            ("%E2%82=1", true),
            ("a=%E2%82&b=%AC", true),
        ] {
            assert_eq!(parse(input.as_bytes()).not_utf8, not_utf8, "{input}");
        }
        assert_eq!(parsed("a[%FF]=%FF"), "{\"a\":{\"\u{FFFD}\":\"\u{FFFD}\"}}");
    }

    #[test]
    fn nesting_and_field_count_are_bounded_like_php() {
        let deep = |n: usize| format!("a{}=1", "[x]".repeat(n));
        assert_eq!(parse(deep(64).as_bytes()).fields.len(), 1);
        assert_eq!(parse(deep(65).as_bytes()).fields.len(), 0);
        let many: Vec<String> = (1..=1005).map(|i| format!("k{i}=1")).collect();
        assert_eq!(
            parse(many.join("&").as_bytes()).fields.len(),
            MAX_INPUT_VARS
        );
    }
}

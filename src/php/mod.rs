//! PHP's data model, as Laravel's input arrives in it: scalars, strings and ordered arrays
//! whose keys are integers or strings, and the conversions PHP applies on the way
//! (`(string)`, `is_numeric`, `filter_var(..., FILTER_VALIDATE_INT)`, numeric-string keys).
//!
//! [`json`] decodes a body as `json_decode($body, true)` does, [`form`] parses a query string
//! or form body as PHP's request parsing does, [`multipart`] reads `multipart/form-data`.
//! Nothing here knows about Laravel; `http::input` assembles `$request->all()` from these.

mod convert;
pub(crate) mod form;
pub(crate) mod json;
pub(crate) mod multipart;

use compact_str::CompactString;
use hashbrown::HashTable;

use convert::numeric_string;
pub(crate) use convert::{
    array_to_json, float_cast, float_to_string, from_json, stripos_contains, to_json,
};
pub(crate) use json::is_plain_for_debug;
pub(crate) use json::write_value as write_json;

/// C's `isspace` in the "C" locale, which PHP's own parsers use (multipart headers, `[ ]` in a
/// form field's name, `(int)` and `(float)` of a string); also PCRE's `\s`.
pub(crate) fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// The characters PHP's `trim()` strips by default: C's white space but form feed, and NUL.
pub(crate) fn is_trim_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B')
}

/// Whether a string read from form or query input that was not UTF-8 stands for such bytes:
/// the reader put U+FFFD in their place. (A request that sends U+FFFD itself beside such
/// bytes has both counted.)
pub(crate) fn has_replacement(s: &str) -> bool {
    s.contains('\u{FFFD}')
}

/// A PHP value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (`INF` and `NAN` included).
    Float(f64),
    /// A string. Request bytes that are not UTF-8 were read as U+FFFD.
    Str(CompactString),
    /// An ordered array.
    Array(Array),
    /// A file from a `multipart/form-data` body (Symfony's `UploadedFile`).
    File(Upload),
}

/// An uploaded file, as far as validation can tell anything about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Upload {
    /// The client's file name (never empty).
    pub name: CompactString,
    /// Its size in bytes.
    pub size: u64,
}

/// An array key: PHP turns decimal integer strings into integers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// An integer key.
    Int(i64),
    /// Any other key.
    Str(CompactString),
}

impl Key {
    /// The key PHP stores for this string: `"5"` and `"-5"` become integers; `"05"`, `"+5"`,
    /// `"-0"` and numbers beyond 64 bits stay strings.
    pub(crate) fn from_str(s: &str) -> Key {
        match Self::integer(s) {
            Some(n) => Key::Int(n),
            None => Key::Str(s.into()),
        }
    }

    /// [`Key::from_str`] of a string already owned (a decoded JSON key), kept as it is.
    pub(crate) fn from_compact(s: CompactString) -> Key {
        match Self::integer(&s) {
            Some(n) => Key::Int(n),
            None => Key::Str(s),
        }
    }

    /// The integer PHP reads a key string as, if it does.
    fn integer(s: &str) -> Option<i64> {
        let bytes = s.as_bytes();
        let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
        let canonical = match digits {
            [] => false,
            [b'0'] => bytes.len() == 1,
            [first, rest @ ..] => {
                (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit)
            }
        };
        canonical.then(|| s.parse::<i64>().ok()).flatten()
    }

    /// The key as PHP prints it.
    pub(crate) fn as_text(&self) -> CompactString {
        match self {
            Key::Int(n) => int_text(*n),
            Key::Str(s) => s.clone(),
        }
    }

    /// About how many bytes the key takes as text (an integer counts as 8).
    pub(crate) fn byte_len(&self) -> usize {
        match self {
            Key::Int(_) => 8,
            Key::Str(s) => s.len(),
        }
    }

    /// Whether this key, read as a dotted path segment, is `segment` (`"5"` is `Int(5)`).
    pub(crate) fn matches(&self, segment: &str) -> bool {
        *self == Key::from_str(segment)
    }
}

/// An integer in decimal, as PHP prints it: `itoa`, not `format!`, which costs a request
/// with an integer where a string belongs (`"login": 5`) some 400 instructions per use.
fn int_text(n: i64) -> CompactString {
    CompactString::from(itoa::Buffer::new().format(n))
}

/// Arrays longer than this get a hash index, so a body with 100,000 keys does not cost
/// 100,000² comparisons; shorter ones (nearly all) are searched in order, which is faster.
const INDEXED_FROM: usize = 16;

/// A PHP array: entries in insertion order, keys unique.
#[derive(Clone, Debug, Default)]
pub(crate) struct Array {
    entries: Vec<(Key, Value)>,
    index: Option<Box<HashTable<usize>>>,
    /// PHP's next free integer key (`None` until an integer key was used).
    next_free: Option<i64>,
}

impl PartialEq for Array {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

fn key_hash(key: &Key) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x5eed).hash_one(key)
}

impl Array {
    /// An empty array.
    pub(crate) fn new() -> Self {
        Array::default()
    }

    /// A list: keys 0, 1, 2, ...
    pub(crate) fn list(values: impl IntoIterator<Item = Value>) -> Self {
        let mut array = Array::new();
        for value in values {
            array.push(value);
        }
        array
    }

    /// How many entries.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Key, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries, values mutable, in order.
    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&Key, &mut Value)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// The values, in order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &Value> {
        self.entries.iter().map(|(_, v)| v)
    }

    fn position(&self, key: &Key) -> Option<usize> {
        match &self.index {
            Some(index) => index
                .find(key_hash(key), |&i| self.entries[i].0 == *key)
                .copied(),
            None => self.entries.iter().position(|(k, _)| k == key),
        }
    }

    /// The value under `key`.
    pub(crate) fn get(&self, key: &Key) -> Option<&Value> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The value under a string key as PHP reads `$array['name']`.
    pub(crate) fn get_str(&self, name: &str) -> Option<&Value> {
        let [value] = self.get_strs([name]);
        value
    }

    /// [`Array::get_str`] of several names in one pass over the entries (handlers read a
    /// body's fields this way): compared as text, no key built.
    pub(crate) fn get_strs<const N: usize>(&self, names: [&str; N]) -> [Option<&Value>; N] {
        if self.index.is_some() || names.iter().any(|name| Key::integer(name).is_some()) {
            return names.map(|name| self.get(&Key::from_str(name)));
        }
        let mut found = [None; N];
        for (key, value) in &self.entries {
            if let Key::Str(s) = key {
                for (slot, name) in found.iter_mut().zip(names) {
                    if name == s.as_str() {
                        *slot = Some(value);
                    }
                }
            }
        }
        found
    }

    /// The value under `key`, mutable.
    pub(crate) fn get_mut(&mut self, key: &Key) -> Option<&mut Value> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// `$array[$key] = $value`: replaces in place, or appends a new entry.
    pub(crate) fn set(&mut self, key: Key, value: Value) {
        if let Some(i) = self.position(&key) {
            self.entries[i].1 = value;
            return;
        }
        self.insert_new(key, value);
    }

    /// `$array[] = $value`. Returns the key used.
    pub(crate) fn push(&mut self, value: Value) -> Key {
        let key = Key::Int(self.next_free.unwrap_or(0));
        self.insert_new(key.clone(), value);
        key
    }

    /// The entry under `key`, created with `make` if absent; returns the value.
    pub(crate) fn entry(&mut self, key: Key, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.position(&key) {
            Some(i) => i,
            None => {
                self.insert_new(key, make());
                self.entries.len() - 1
            }
        };
        &mut self.entries[i].1
    }

    /// An array of these entries, whose keys are unique, in this order (the JSON decoder
    /// gathers an object's entries first, so the array is allocated once at its size).
    pub(crate) fn from_entries(entries: Vec<(Key, Value)>) -> Self {
        let mut next_free: Option<i64> = None;
        for (key, _) in &entries {
            if let Key::Int(n) = *key
                && next_free.is_none_or(|next| n >= next)
            {
                next_free = Some(n.saturating_add(1));
            }
        }
        let mut array = Array {
            entries,
            index: None,
            next_free,
        };
        if array.entries.len() > INDEXED_FROM {
            array.build_index();
        }
        array
    }

    fn build_index(&mut self) {
        let mut index = HashTable::with_capacity(self.entries.len() * 2);
        for (i, (k, _)) in self.entries.iter().enumerate() {
            index.insert_unique(key_hash(k), i, |&j| key_hash(&self.entries[j].0));
        }
        self.index = Some(Box::new(index));
    }

    fn insert_new(&mut self, key: Key, value: Value) {
        if let Key::Int(n) = key
            && self.next_free.is_none_or(|next| n >= next)
        {
            self.next_free = Some(n.saturating_add(1));
        }
        let at = self.entries.len();
        if let Some(index) = &mut self.index {
            let entries = &self.entries;
            index.insert_unique(key_hash(&key), at, |&i| key_hash(&entries[i].0));
        }
        self.entries.push((key, value));
        if self.index.is_none() && self.entries.len() > INDEXED_FROM {
            self.build_index();
        }
    }

    /// Whether the keys are 0, 1, 2, ... in order (`json_encode` writes such an array as a
    /// JSON list).
    pub(crate) fn is_list(&self) -> bool {
        self.entries
            .iter()
            .enumerate()
            .all(|(i, (k, _))| *k == Key::Int(i as i64))
    }
}

impl Value {
    /// A string value.
    pub(crate) fn str(s: impl Into<CompactString>) -> Value {
        Value::Str(s.into())
    }

    /// The string, if this is one.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The array, if this is one.
    pub(crate) fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether a string here, or a key or string at any depth, [`has_replacement`]. (Form
    /// input nests at most 64 levels, and only form input has such strings.)
    pub(crate) fn holds_replacement(&self) -> bool {
        match self {
            Value::Str(s) => has_replacement(s),
            Value::Array(items) => items.iter().any(|(key, value)| {
                matches!(key, Key::Str(k) if has_replacement(k)) || value.holds_replacement()
            }),
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::File(_) => {
                false
            }
        }
    }

    /// PHP's `is_scalar($v) || is_null($v)`: what `:input` can show.
    pub(crate) fn is_scalar_or_null(&self) -> bool {
        !matches!(self, Value::Array(_) | Value::File(_))
    }

    /// PHP's `(string)` of a scalar (`true` is `"1"`, floats with 14 significant digits);
    /// `None` for arrays. A file is its temporary path, which no client can know; the mock
    /// names it after the client's file name.
    pub(crate) fn to_php_string(&self) -> Option<CompactString> {
        Some(match self {
            Value::Null | Value::Bool(false) => CompactString::default(),
            Value::Bool(true) => "1".into(),
            Value::Int(n) => int_text(*n),
            Value::Float(f) => float_to_string(*f),
            Value::Str(s) => s.clone(),
            Value::File(upload) => compact_str::format_compact!("/tmp/php{}", upload.name),
            Value::Array(_) => return None,
        })
    }

    /// PHP 8's `is_numeric`.
    pub(crate) fn is_numeric(&self) -> bool {
        match self {
            Value::Int(_) | Value::Float(_) => true,
            Value::Str(s) => numeric_string(s).is_some(),
            _ => false,
        }
    }

    /// The number an `is_numeric` value stands for (for size comparisons).
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => numeric_string(s),
            _ => None,
        }
    }

    /// `filter_var($value, FILTER_VALIDATE_INT)`: the integer, or `None` where PHP gives
    /// `false`. Scalars are read through `(string)`, so `5.0` and `true` are integers and
    /// `1e20` (printed `1.0E+20`) is not.
    pub(crate) fn filter_int(&self) -> Option<i64> {
        let text = match self {
            Value::Array(_) | Value::Null | Value::File(_) => return None,
            Value::Int(n) => return Some(*n),
            other => other.to_php_string()?,
        };
        let trimmed = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\x0B' | '\n'));
        let digits = trimmed.strip_prefix(['-', '+']).unwrap_or(trimmed);
        if digits == "0" {
            return Some(0);
        }
        let ok = digits
            .as_bytes()
            .first()
            .is_some_and(|c| (b'1'..=b'9').contains(c))
            && digits.bytes().all(|c| c.is_ascii_digit());
        if !ok {
            return None;
        }
        trimmed.strip_prefix('+').unwrap_or(trimmed).parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_string_keys_become_integers_as_in_php() {
        assert_eq!(Key::from_str("0"), Key::Int(0));
        assert_eq!(Key::from_str("-1"), Key::Int(-1));
        assert_eq!(Key::from_str("123"), Key::Int(123));
        for s in [
            "01",
            "+1",
            "-0",
            "1.0",
            "",
            " 1",
            "9223372036854775808",
            "1e3",
            "a",
        ] {
            assert_eq!(Key::from_str(s), Key::Str(s.into()), "{s}");
        }
    }

    #[test]
    fn integers_print_in_decimal_as_php_prints_them() {
        for (n, text) in [
            (0, "0"),
            (5, "5"),
            (-42, "-42"),
            (i64::MAX, "9223372036854775807"),
            (i64::MIN, "-9223372036854775808"),
        ] {
            assert_eq!(Value::Int(n).to_php_string().as_deref(), Some(text));
            assert_eq!(Key::Int(n).as_text(), text);
        }
    }

    #[test]
    fn arrays_keep_order_update_in_place_and_append_after_the_largest_key() {
        let mut a = Array::new();
        a.set(Key::from_str("a"), Value::Int(1));
        a.set(Key::from_str("b"), Value::Int(2));
        a.set(Key::from_str("a"), Value::Int(3));
        assert_eq!(
            a.iter().map(|(k, _)| k.as_text()).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(a.get_str("a"), Some(&Value::Int(3)));
        a.set(Key::Int(5), Value::Null);
        assert_eq!(a.push(Value::Null), Key::Int(6));
        let mut neg = Array::new();
        neg.set(Key::Int(-5), Value::Null);
        assert_eq!(neg.push(Value::Null), Key::Int(-4));
        assert!(Array::list([Value::Null, Value::Null]).is_list());
    }

    #[test]
    fn large_arrays_are_indexed_and_still_answer_in_order() {
        let mut a = Array::new();
        for i in 0..1000 {
            a.set(Key::from_str(&format!("k{i}")), Value::Int(i));
        }
        a.set(Key::from_str("k500"), Value::Int(-1));
        assert_eq!(a.len(), 1000);
        assert_eq!(a.get_str("k500"), Some(&Value::Int(-1)));
        assert_eq!(a.get_str("k999"), Some(&Value::Int(999)));
        assert_eq!(a.get_str("k1000"), None);
    }

    #[test]
    fn several_fields_read_in_one_pass_are_what_reading_each_gives() {
        let small = json::decode(br#"{"login":"a","5":"five","type":"t","login2":1}"#);
        let mut large = Array::new();
        for i in 0..100 {
            large.set(Key::from_str(&format!("k{i}")), Value::Int(i));
        }
        let Ok(Value::Array(small)) = small else {
            panic!("not an array");
        };
        for array in [&small, &large] {
            let names = ["login", "type", "5", "k7", "missing", "k99", "login2"];
            assert_eq!(array.get_strs(names), names.map(|n| array.get_str(n)));
            let plain = ["login2", "k0", "nothing", "type", "login2"];
            assert_eq!(array.get_strs(plain), plain.map(|n| array.get_str(n)));
        }
        assert_eq!(small.get_strs(["type"]), [Some(&Value::str("t"))]);
    }
}

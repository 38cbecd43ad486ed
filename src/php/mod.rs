//! PHP's data model, as Laravel's input arrives in it: scalars, strings and ordered arrays
//! whose keys are integers or strings, and the conversions PHP applies on the way
//! (`(string)`, `is_numeric`, `filter_var(..., FILTER_VALIDATE_INT)`, numeric-string keys).
//!
//! [`json`] decodes a body as `json_decode($body, true)` does, [`form`] parses a query string
//! or form body as PHP's request parsing does, [`multipart`] reads `multipart/form-data`.
//! Nothing here knows about Laravel; `http::input` assembles `$request->all()` from these.

pub(crate) mod form;
pub(crate) mod json;
pub(crate) mod multipart;

use compact_str::CompactString;
use hashbrown::HashTable;

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
        let bytes = s.as_bytes();
        let digits = bytes.strip_prefix(b"-").unwrap_or(bytes);
        let canonical = match digits {
            [] => false,
            [b'0'] => bytes.len() == 1,
            [first, rest @ ..] => {
                (b'1'..=b'9').contains(first) && rest.iter().all(u8::is_ascii_digit)
            }
        };
        match canonical.then(|| s.parse::<i64>().ok()).flatten() {
            Some(n) => Key::Int(n),
            None => Key::Str(s.into()),
        }
    }

    /// The key as PHP prints it.
    pub(crate) fn as_text(&self) -> CompactString {
        match self {
            Key::Int(n) => compact_str::format_compact!("{n}"),
            Key::Str(s) => s.clone(),
        }
    }

    /// Whether this key, read as a dotted path segment, is `segment` (`"5"` is `Int(5)`).
    pub(crate) fn matches(&self, segment: &str) -> bool {
        *self == Key::from_str(segment)
    }
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
        self.get(&Key::from_str(name))
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
            let mut index = HashTable::with_capacity(self.entries.len() * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                index.insert_unique(key_hash(k), i, |&j| key_hash(&self.entries[j].0));
            }
            self.index = Some(Box::new(index));
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
            Value::Int(n) => compact_str::format_compact!("{n}"),
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

/// PHP 8's numeric strings: optional leading and trailing whitespace, a sign, digits with an
/// optional point and exponent.
fn numeric_string(s: &str) -> Option<f64> {
    let ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C');
    let t = s.trim_matches(ws);
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        let mut j = i + 1;
        if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        let exp_start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > exp_start {
            i = j;
        }
    }
    if i != b.len() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// PHP's `(string)$float` with the default `precision` of 14: `0.1 + 0.2` is `0.3`, `1e20` is
/// `1.0E+20`, `-0.0` is `-0`.
pub(crate) fn float_to_string(f: f64) -> CompactString {
    if f.is_nan() {
        return "NAN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "INF".into() } else { "-INF".into() };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // 14 significant digits, then PHP's choice between fixed and exponent notation.
    let sci = format!("{:.13e}", f);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let sign = if negative { "-" } else { "" };
    if !(-4..14).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        let esign = if exp < 0 { '-' } else { '+' };
        return compact_str::format_compact!("{sign}{first}.{rest}E{esign}{}", exp.abs());
    }
    let exp = exp as isize;
    let n = digits.len() as isize;
    let text = if exp < 0 {
        format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
    } else if exp + 1 >= n {
        format!("{digits}{}", "0".repeat((exp + 1 - n) as usize))
    } else {
        let (int, frac) = digits.split_at((exp + 1) as usize);
        format!("{int}.{frac}")
    };
    compact_str::format_compact!("{sign}{text}")
}

/// A JSON document as PHP holds it after `json_decode($text, true)` (for documents already
/// parsed by serde, such as a scenario's seed users).
pub(crate) fn from_json(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::str(s.as_str()),
        serde_json::Value::Array(items) => Value::Array(Array::list(items.iter().map(from_json))),
        serde_json::Value::Object(map) => {
            let mut array = Array::new();
            for (k, v) in map {
                array.set(Key::from_str(k), from_json(v));
            }
            Value::Array(array)
        }
    }
}

/// `json_encode`'s view of a PHP value, for the journal, the admin API and the store.
pub(crate) fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Int(n) => (*n).into(),
        Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
        }
        Value::Str(s) => s.as_str().into(),
        Value::File(upload) => format!("<file {}, {} bytes>", upload.name, upload.size).into(),
        Value::Array(array) if array.is_list() => {
            serde_json::Value::Array(array.values().map(to_json).collect())
        }
        Value::Array(array) => serde_json::Value::Object(
            array
                .iter()
                .map(|(k, v)| (k.as_text().into_string(), to_json(v)))
                .collect(),
        ),
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
    fn floats_print_as_php_does() {
        for (f, s) in [
            (0.1 + 0.2, "0.3"),
            (1e20, "1.0E+20"),
            (5.0, "5"),
            (-0.0, "-0"),
            (1.5, "1.5"),
            (18446744073709551616.0, "1.844674407371E+19"),
            (9007199254740992.0, "9.007199254741E+15"),
            (1e15, "1.0E+15"),
            (1e14, "1.0E+14"),
            (123456789012345.0, "1.2345678901234E+14"),
            (0.00001, "1.0E-5"),
            (0.0001, "0.0001"),
            (f64::INFINITY, "INF"),
            (-f64::INFINITY, "-INF"),
            (1e25, "1.0E+25"),
            (255.0, "255"),
            (-1.25, "-1.25"),
        ] {
            assert_eq!(float_to_string(f), s, "{f}");
        }
    }

    #[test]
    fn filter_var_int_matches_php() {
        let s = |t: &str| Value::str(t).filter_int();
        assert_eq!(s("5"), Some(5));
        assert_eq!(s(" 5"), Some(5));
        assert_eq!(s("5 "), Some(5));
        assert_eq!(s("+5"), Some(5));
        assert_eq!(s("-0"), Some(0));
        assert_eq!(s("\t5\n"), Some(5));
        assert_eq!(s("\u{B}5"), Some(5));
        assert_eq!(s("9223372036854775807"), Some(i64::MAX));
        for bad in [
            "05",
            "00",
            "5.0",
            "1e3",
            "\u{C}5",
            "9223372036854775808",
            "",
            "x",
        ] {
            assert_eq!(s(bad), None, "{bad:?}");
        }
        assert_eq!(Value::Float(5.0).filter_int(), Some(5));
        assert_eq!(Value::Float(-0.0).filter_int(), Some(0));
        assert_eq!(Value::Float(1e20).filter_int(), None);
        assert_eq!(Value::Float(1.5).filter_int(), None);
        assert_eq!(Value::Bool(true).filter_int(), Some(1));
        assert_eq!(Value::Bool(false).filter_int(), None);
        assert_eq!(Value::Null.filter_int(), None);
    }

    #[test]
    fn is_numeric_matches_php_8() {
        for yes in [
            "5", " 5", "5 ", "+5", "-0", "05", "5.0", "1e3", ".5", "1.", "\u{C}5",
        ] {
            assert!(Value::str(yes).is_numeric(), "{yes:?}");
        }
        for no in ["", " ", ".", "1e", "0x1A", "abc", "1 2", "e5"] {
            assert!(!Value::str(no).is_numeric(), "{no:?}");
        }
    }
}

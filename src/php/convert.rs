//! PHP's conversions between its values and text: `(string)` of a float, numeric strings,
//! and the JSON view of a value (`json_decode`d documents in, `json_encode` out).

use compact_str::CompactString;

use super::{Array, Key, Value};

/// PHP's white space around numbers: C's.
fn number_space(c: char) -> bool {
    c.is_ascii() && super::is_c_space(c as u8)
}

/// How long the number at the start of `b` is, as PHP's `strtod` reads it: a sign, digits
/// with an optional point (one digit at least), and an exponent when digits follow its `e`;
/// 0 when `b` starts with no number.
fn number_len(b: &[u8]) -> usize {
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
        return 0;
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
    i
}

/// PHP 8's numeric strings: optional leading and trailing whitespace, a sign, digits with an
/// optional point and exponent.
pub(super) fn numeric_string(s: &str) -> Option<f64> {
    let t = s.trim_matches(number_space);
    let len = number_len(t.as_bytes());
    if len == 0 || len != t.len() {
        return None;
    }
    t.parse::<f64>().ok()
}

/// PHP's `(float)` of a string: the number it starts with after white space, 0 when it
/// starts with none (`"0.5abc"` is 0.5, `"1.5e"` 1.5, `"inf"` and `"0x1"` are 0).
pub(crate) fn float_cast(s: &str) -> f64 {
    let t = s.trim_start_matches(number_space);
    t[..number_len(t.as_bytes())].parse().unwrap_or(0.0)
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
        Value::Array(array) => array_to_json(array),
    }
}

/// [`to_json`] of an array, without wrapping (and so copying) it into a [`Value`] first.
pub(crate) fn array_to_json(array: &Array) -> serde_json::Value {
    if array.is_list() {
        serde_json::Value::Array(array.values().map(to_json).collect())
    } else {
        serde_json::Value::Object(
            array
                .iter()
                .map(|(k, v)| (k.as_text().into_string(), to_json(v)))
                .collect(),
        )
    }
}

/// PHP 8.2's `stripos($text, $needle) !== false`: `needle` in any ASCII letter case,
/// without lower-casing a copy.
pub(crate) fn stripos_contains(text: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    let Some(&first) = needle.first() else {
        return true;
    };
    // Compared in full only where the first letter is, in either case: memchr finds those
    // in fewer instructions than a byte loop, even in a message's few dozen bytes.
    let text = text.as_bytes();
    let starts = memchr::memchr2_iter(first.to_ascii_lowercase(), first.to_ascii_uppercase(), text);
    starts
        .filter_map(|i| text.get(i..i + needle.len()))
        .any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stripos_finds_a_needle_in_any_ascii_case_as_lower_casing_both_would() {
        let texts = [
            "",
            "i",
            "The :Index-th",
            "POSITION",
            "pos",
            "ïndex index",
            "xINDEXx",
            "/JSON",
            "a+json;q=1",
        ];
        let needles = ["index", "position", "/json", "+json", "i", "x"];
        for text in texts {
            for needle in needles {
                let expected = text
                    .to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase());
                assert_eq!(
                    stripos_contains(text, needle),
                    expected,
                    "{text:?} {needle:?}"
                );
            }
        }
    }

    #[test]
    fn a_float_cast_reads_the_number_a_string_starts_with() {
        // `php -r 'var_dump((float)$s);'` for each.
        for (text, value) in [
            (" 0.5", 0.5),
            ("\x0C1", 1.0),
            ("0.5abc", 0.5),
            ("1.5e", 1.5),
            ("1.5e+2x", 150.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("+.5", 0.5),
            (".", 0.0),
            ("inf", 0.0),
            ("0x1", 0.0),
            ("", 0.0),
            ("1_000", 1.0),
        ] {
            assert_eq!(float_cast(text), value, "{text:?}");
        }
        assert_eq!(float_cast("1e400"), f64::INFINITY);
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

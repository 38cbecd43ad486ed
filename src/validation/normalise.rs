//! Laravel's global input middleware, applied before validation: `TrimStrings` (Laravel 10's
//! PCRE set, top-level password fields left alone) and `ConvertEmptyStringsToNull`.

use compact_str::CompactString;

use super::messages::is_pcre_space;
use crate::php::{Array, Value, has_replacement, is_trim_char};

/// Top-level keys whose values Laravel 10's skeleton `TrimStrings` leaves alone. Laravel
/// compares the full dotted key, so a nested `password` is trimmed.
const UNTRIMMED_KEYS: [&str; 3] = ["current_password", "password", "password_confirmation"];

/// Trims every string (not the top-level passwords) and turns empty strings into `null`.
///
/// `not_utf8`: the input held bytes that are not UTF-8, read as U+FFFD. Laravel's pattern
/// fails on such a string (`preg_replace` with `/u` gives `null`), and TrimStrings falls
/// back to PHP's `trim()`: so a string with U+FFFD in such input loses only `trim()`'s
/// characters (NUL among them, no Unicode spaces).
pub(crate) fn normalise(input: &mut Array, not_utf8: bool) {
    for (key, value) in input.iter_mut() {
        let keep = matches!(key, crate::php::Key::Str(k) if UNTRIMMED_KEYS.contains(&k.as_str()));
        clean(value, !keep, not_utf8);
    }
}

/// Whether [`normalise`] would change anything: a string to trim, or an empty one. Most
/// bodies have none, and then the input need not be copied to be normalised.
pub(crate) fn changes(input: &Array, not_utf8: bool) -> bool {
    input.iter().any(|(key, value)| {
        let keep = matches!(key, crate::php::Key::Str(k) if UNTRIMMED_KEYS.contains(&k.as_str()));
        would_clean(value, !keep, not_utf8)
    })
}

fn would_clean(value: &Value, trim: bool, not_utf8: bool) -> bool {
    match value {
        Value::Str(s) if not_utf8 && has_replacement(s) => {
            trim && (s.starts_with(is_trim_char) || s.ends_with(is_trim_char))
        }
        Value::Str(s) => s.is_empty() || (trim && trims(s)),
        Value::Array(items) => items.values().any(|v| would_clean(v, true, not_utf8)),
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::File(_) => false,
    }
}

/// Whether TrimStrings would cut something off `s`. An ASCII byte at either end is that
/// end's whole character, so the usual text (plain ASCII at both ends) is settled by two
/// bytes without decoding a character.
fn trims(s: &str) -> bool {
    let plain = |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && !trimmed_char(char::from(b)));
    let bytes = s.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        return false;
    }
    s.starts_with(trimmed_char) || s.ends_with(trimmed_char)
}

fn clean(value: &mut Value, trim: bool, not_utf8: bool) {
    match value {
        Value::Str(s) => {
            if trim {
                let trimmed = if not_utf8 && has_replacement(s) {
                    s.trim_matches(is_trim_char)
                } else {
                    s.trim_matches(trimmed_char)
                };
                if trimmed.len() != s.len() {
                    *s = CompactString::from(trimmed);
                }
            }
            if s.is_empty() {
                *value = Value::Null;
            }
        }
        Value::Array(items) => {
            for (_, v) in items.iter_mut() {
                clean(v, true, not_utf8);
            }
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::File(_) => {}
    }
}

/// Laravel 10's `TrimStrings::transform`: PCRE `\s` in Unicode mode, U+FEFF and U+200B.
/// (U+200E is Laravel 11's addition; NUL is not trimmed.)
fn trimmed_char(c: char) -> bool {
    is_pcre_space(c) || matches!(c, '\u{FEFF}' | '\u{200B}')
}

/// PHP's `trim()` default set, which Laravel's `required` uses: a value of only these is
/// missing. (No form feed, no Unicode spaces; NUL is in it.)
pub(crate) fn is_blank_string(s: &str) -> bool {
    s.chars().all(is_trim_char)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::{json, to_json};

    fn normalised(body: &str) -> String {
        normalised_read(body, false)
    }

    /// `body` normalised as input that held bytes that are not UTF-8 (`not_utf8`) or not.
    fn normalised_read(body: &str, not_utf8: bool) -> String {
        let Value::Array(mut input) = json::decode(body.as_bytes()).unwrap() else {
            panic!("an object");
        };
        normalise(&mut input, not_utf8);
        to_json(&Value::Array(input)).to_string()
    }

    /// Laravel 10's TrimStrings on `"\xA0\xFF "` (PHP strings): `preg_replace` fails on the
    /// bad byte and `trim()` takes over, which keeps the no-break space and drops NUL.
    #[test]
    fn a_string_that_was_not_utf8_is_trimmed_by_php_trim() {
        let body =
            r#"{"type":"\u00a0a\ufffd\u0000 ","nested":{"v":"\t\ufffd\u2003"},"login":"\u00a0b "}"#;
        let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).unwrap();
        assert_eq!(
            json(&normalised_read(body, true)),
            json(r#"{"type":"\u00a0a\ufffd","nested":{"v":"\ufffd\u2003"},"login":"b"}"#)
        );
        assert_eq!(
            json(&normalised_read(body, false)),
            json(r#"{"type":"a\ufffd\u0000","nested":{"v":"\ufffd"},"login":"b"}"#)
        );
    }

    #[test]
    fn trims_at_any_depth_and_nulls_empty_strings() {
        assert_eq!(
            normalised(
                r#"{"login":"  a@b.c \n","type":"   ","bp":[{"type":" phone\t","value":""}],"bi":{"id":"\ufeff42\u200b"},"n":5}"#
            ),
            r#"{"login":"a@b.c","type":null,"bp":[{"type":"phone","value":null}],"bi":{"id":"42"},"n":5}"#
        );
    }

    #[test]
    fn laravel_10_trims_u180e_but_not_u200e_or_nul() {
        assert_eq!(
            normalised(r#"{"a":"\u180ex\u3000","b":"\u200ex","c":"\u0000"}"#),
            "{\"a\":\"x\",\"b\":\"\u{200e}x\",\"c\":\"\\u0000\"}"
        );
    }

    #[test]
    fn only_top_level_passwords_keep_whitespace_and_empty_is_null_for_all() {
        assert_eq!(
            normalised(
                r#"{"password":"  secret ","nested":{"password":" x"},"password_confirmation":""}"#
            ),
            r#"{"password":"  secret ","nested":{"password":"x"},"password_confirmation":null}"#
        );
    }

    #[test]
    fn blank_is_php_trim_blank() {
        for blank in ["", " ", "\0", "\t\n\r\u{B}"] {
            assert!(is_blank_string(blank), "{blank:?}");
        }
        for present in ["\u{C}", "\u{A0}", "\u{3000}", "a"] {
            assert!(!is_blank_string(present), "{present:?}");
        }
    }

    #[test]
    fn changes_says_whether_normalising_changes_the_input() {
        for body in [
            r#"{"login":"a","type":"t"}"#,
            r#"{"login":" a"}"#,
            r#"{"login":"a\u00a0"}"#,
            r#"{"login":""}"#,
            r#"{"password":" p "}"#,
            r#"{"password":""}"#,
            r#"{"bp":[{"type":"x","value":"y"}]}"#,
            r#"{"bp":[{"type":"x","value":"y\n"}]}"#,
            r#"{"bp":{"a":{"value":""}}}"#,
            r#"{"n":1,"b":true,"z":null,"l":[1,2.5]}"#,
            r#"{"nul":"a\u0000"}"#,
            r#"{"bom":"\ufeffa"}"#,
            r#"{"broken":"\ufffd\u00a0"}"#,
            r#"{"broken":"\ufffd\u0000"}"#,
            r#"{"bp":[{"value":"\u3000\ufffd"}]}"#,
        ] {
            let Ok(crate::php::Value::Array(input)) = json::decode(body.as_bytes()) else {
                panic!("{body}");
            };
            for not_utf8 in [false, true] {
                let mut normalised = input.clone();
                normalise(&mut normalised, not_utf8);
                assert_eq!(
                    changes(&input, not_utf8),
                    normalised != input,
                    "{body} {not_utf8}"
                );
            }
        }
    }
}

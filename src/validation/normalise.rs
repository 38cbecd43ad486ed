//! Laravel's global input middleware, applied before validation: `TrimStrings` (except
//! password fields) and `ConvertEmptyStringsToNull`, at every depth.

use serde_json::Value;

/// Keys whose values Laravel's `TrimStrings` leaves alone.
const UNTRIMMED_KEYS: [&str; 3] = ["password", "password_confirmation", "current_password"];

/// Trims every string (not passwords) and turns empty strings into `null`, in place.
pub fn normalise(value: &mut Value) {
    normalise_in(value, false);
}

fn normalise_in(value: &mut Value, keep_whitespace: bool) {
    match value {
        Value::String(s) => {
            if !keep_whitespace {
                let trimmed = s.trim_matches(is_trimmed);
                if trimmed.len() != s.len() {
                    *s = trimmed.to_owned();
                }
            }
            if s.is_empty() {
                *value = Value::Null;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| normalise_in(v, false)),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                normalise_in(v, UNTRIMMED_KEYS.contains(&key.as_str()));
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `Str::trim`: Unicode whitespace plus the zero-width characters Laravel strips.
fn is_trimmed(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{FEFF}' | '\u{200B}' | '\u{200E}')
}

/// Laravel's notion of "empty" for the `required` rule.
pub fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn trims_at_any_depth_and_nulls_empty_strings() {
        let mut v = json!({
            "login": "  a@b.c \n", "type": "   ", "billing_properties": [{"type": " phone\t", "value": ""}],
            "billing_info": {"billing_id": "\u{FEFF}42\u{200B}"}, "n": 5
        });
        normalise(&mut v);
        assert_eq!(
            v,
            json!({"login": "a@b.c", "type": null, "billing_properties": [{"type": "phone", "value": null}],
                   "billing_info": {"billing_id": "42"}, "n": 5})
        );
    }

    #[test]
    fn passwords_keep_whitespace_but_empty_becomes_null() {
        let mut v =
            json!({"password": "  secret ", "nested": {"password": " x"}, "p2": {"password": ""}});
        normalise(&mut v);
        assert_eq!(
            v,
            json!({"password": "  secret ", "nested": {"password": " x"}, "p2": {"password": null}})
        );
    }

    #[test]
    fn blank_matches_laravel_required() {
        for v in [json!(null), json!("  "), json!([]), json!({})] {
            assert!(is_blank(&v), "{v}");
        }
        for v in [json!(0), json!(false), json!("0"), json!([0])] {
            assert!(!is_blank(&v), "{v}");
        }
    }
}

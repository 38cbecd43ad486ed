//! Laravel's validation messages in English (Laravel 10's `lang/en/validation.php`) and
//! Russian (the laravel-lang translation), how Laravel names an attribute in them
//! (`Str::snake`), and the `(and N more errors)` summary.
//!
//! Owns wording only; which rule failed is the engine's business.

use std::fmt;
use std::str::FromStr;

use super::plan::{Rule, Type};

/// The message language, as Laravel's `app.locale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    /// Laravel 10+ default English wording.
    #[default]
    En,
    /// The widely used Laravel Russian translation: laravel-lang `ru` (`locales/ru/php.json`
    /// of Laravel-Lang/lang, the version with Laravel 11's rules), whose `required` is the
    /// contract's `Поле :attribute обязательно.`.
    Ru,
}

/// An unknown locale name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown locale {0:?}, expected one of en, ru")]
pub struct UnknownLocale(String);

impl FromStr for Locale {
    type Err = UnknownLocale;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Locale::En),
            "ru" => Ok(Locale::Ru),
            other => Err(UnknownLocale(other.to_owned())),
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Locale::En => "en",
            Locale::Ru => "ru",
        })
    }
}

/// How a size rule measures the value, which picks its message (`max.string`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SizeKind {
    /// A number (the attribute has `integer` or `numeric`).
    Numeric,
    /// Items (the attribute has `array`).
    Array,
    /// Kilobytes (the value is an uploaded file).
    File,
    /// Characters.
    String,
}

/// The message template of a rule (`validation.{rule}`, or `validation.{rule}.{kind}` for the
/// size rules), before any placeholder is replaced.
pub(crate) fn template(rule: &Rule, kind: SizeKind, locale: Locale) -> &'static str {
    use SizeKind as K;
    let en = locale == Locale::En;
    let pick = |en_text: &'static str, ru_text: &'static str| if en { en_text } else { ru_text };
    match rule {
        Rule::Required => pick(
            "The :attribute field is required.",
            "Поле :attribute обязательно.",
        ),
        Rule::RequiredWithout(_) => pick(
            "The :attribute field is required when :values is not present.",
            "Поле :attribute обязательно для заполнения, когда :values не указано.",
        ),
        Rule::String => pick(
            "The :attribute field must be a string.",
            "Значение поля :attribute должно быть строкой.",
        ),
        Rule::Array => pick(
            "The :attribute field must be an array.",
            "Значение поля :attribute должно быть массивом.",
        ),
        Rule::Integer => pick(
            "The :attribute field must be an integer.",
            "Значение поля :attribute должно быть целым числом.",
        ),
        Rule::Numeric => pick(
            "The :attribute field must be a number.",
            "Значение поля :attribute должно быть числом.",
        ),
        Rule::Boolean => pick(
            "The :attribute field must be true or false.",
            "Значение поля :attribute должно быть логического типа.",
        ),
        Rule::AnyType(types) => match types.first() {
            Some(Type::Integer) => template(&Rule::Integer, kind, locale),
            Some(Type::Number) => template(&Rule::Numeric, kind, locale),
            Some(Type::Boolean) => template(&Rule::Boolean, kind, locale),
            Some(Type::Array) => template(&Rule::Array, kind, locale),
            _ => template(&Rule::String, kind, locale),
        },
        Rule::Max(_) => match kind {
            K::Numeric => pick(
                "The :attribute field must not be greater than :max.",
                "Значение поля :attribute не может быть больше :max.",
            ),
            K::Array => pick(
                "The :attribute field must not have more than :max items.",
                "Количество элементов в поле :attribute не может превышать :max.",
            ),
            K::File => pick(
                "The :attribute field must not be greater than :max kilobytes.",
                "Размер файла в поле :attribute не может быть больше :max Кб.",
            ),
            K::String => pick(
                "The :attribute field must not be greater than :max characters.",
                "Количество символов в значении поля :attribute не может превышать :max.",
            ),
        },
        Rule::Min(_) => match kind {
            K::Numeric => pick(
                "The :attribute field must be at least :min.",
                "Значение поля :attribute должно быть не меньше :min.",
            ),
            K::Array => pick(
                "The :attribute field must have at least :min items.",
                "Количество элементов в поле :attribute должно быть не меньше :min.",
            ),
            K::File => pick(
                "The :attribute field must be at least :min kilobytes.",
                "Размер файла, указанный в поле :attribute, должен быть не меньше :min Кб.",
            ),
            K::String => pick(
                "The :attribute field must be at least :min characters.",
                "Количество символов в поле :attribute должно быть не меньше :min.",
            ),
        },
        Rule::Gt(_) => match kind {
            K::Numeric => pick(
                "The :attribute field must be greater than :value.",
                "Значение поля :attribute должно быть больше :value.",
            ),
            K::Array => pick(
                "The :attribute field must have more than :value items.",
                "Количество элементов в поле :attribute должно быть больше :value.",
            ),
            K::File => pick(
                "The :attribute field must be greater than :value kilobytes.",
                "Размер файла, указанный в поле :attribute, должен быть больше :value Кб.",
            ),
            K::String => pick(
                "The :attribute field must be greater than :value characters.",
                "Количество символов в поле :attribute должно быть больше :value.",
            ),
        },
        Rule::Lt(_) => match kind {
            K::Numeric => pick(
                "The :attribute field must be less than :value.",
                "Значение поля :attribute должно быть меньше :value.",
            ),
            K::Array => pick(
                "The :attribute field must have less than :value items.",
                "Количество элементов в поле :attribute должно быть меньше :value.",
            ),
            K::File => pick(
                "The :attribute field must be less than :value kilobytes.",
                "Размер файла, указанный в поле :attribute, должен быть меньше :value Кб.",
            ),
            K::String => pick(
                "The :attribute field must be less than :value characters.",
                "Количество символов в поле :attribute должно быть меньше :value.",
            ),
        },
        Rule::MultipleOf(_) => pick(
            "The :attribute field must be a multiple of :value.",
            "Значение поля :attribute должно быть кратным :value",
        ),
        Rule::In(_) => pick(
            "The selected :attribute is invalid.",
            "Значение поля :attribute отсутствует в списке разрешённых.",
        ),
        Rule::Exists => pick(
            "The selected :attribute is invalid.",
            "Значение поля :attribute не существует.",
        ),
        Rule::Email => pick(
            "The :attribute field must be a valid email address.",
            "Значение поля :attribute должно быть действительным электронным адресом.",
        ),
        Rule::Regex(_) | Rule::Schema(_) => pick(
            "The :attribute field format is invalid.",
            "Значение поля :attribute имеет некорректный формат.",
        ),
        Rule::Unique => pick(
            "The :attribute has already been taken.",
            "Такое значение поля :attribute уже существует.",
        ),
        Rule::Prohibited | Rule::OnlyKeys(_) => pick(
            "The :attribute field is prohibited.",
            "Значение поля :attribute запрещено.",
        ),
        Rule::Nullable => "",
    }
}

/// How Laravel names an attribute it did not reach through a wildcard:
/// `str_replace('_', ' ', Str::snake($attribute))`, so `billing_info.billing_id` is
/// `billing info.billing id` and `billingId` is `billing id`.
pub(crate) fn display_attribute(attribute: &str) -> String {
    snake(attribute).replace('_', " ")
}

/// Laravel's `Str::snake`: unless the text is all lowercase ASCII letters, `ucwords`, drop
/// every whitespace character, put `_` before each capital that follows something, lower
/// everything.
fn snake(value: &str) -> String {
    // ASCII with no capital and no white space comes out as it went in: only the first
    // letter is upper-cased by ucwords, nothing precedes it to take a `_`, and lower-casing
    // undoes it (`billing_properties.0.type`, nearly every attribute).
    if value
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase() && !matches!(b, 0x09..=0x0D | b' '))
    {
        return value.to_owned();
    }
    snake_in_full(value)
}

/// [`snake`] step by step, as Laravel writes it.
fn snake_in_full(value: &str) -> String {
    // ucwords: the first letter of the text and after each of " \t\r\n\f\v" (ASCII upper).
    let mut worded = String::with_capacity(value.len());
    let mut word_start = true;
    for c in value.chars() {
        worded.push(if word_start {
            c.to_ascii_uppercase()
        } else {
            c
        });
        word_start = matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0C' | '\x0B');
    }
    // preg_replace('/\s+/u', ''): PCRE's \s with Unicode, as TrimStrings uses it.
    let squeezed: Vec<char> = worded.chars().filter(|c| !is_pcre_space(*c)).collect();
    // preg_replace('/(.)(?=[A-Z])/u', '$1_'): `.` is anything but a newline.
    let mut out = String::with_capacity(squeezed.len() + 4);
    for (i, &c) in squeezed.iter().enumerate() {
        out.push(c);
        if c != '\n' && squeezed.get(i + 1).is_some_and(char::is_ascii_uppercase) {
            out.push('_');
        }
    }
    out.to_lowercase()
}

/// PCRE's `\s` in UTF mode with Unicode properties (`\h`, `\v` and the Z categories):
/// Unicode white space plus U+180E.
pub(crate) fn is_pcre_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{180E}'
}

/// Laravel's `ValidationException::summarize`: the first message, then
/// ` (and N more error)` or ` (and N more errors)` counting every further message.
pub(crate) fn summarize<'a>(mut messages: impl Iterator<Item = &'a str>, locale: Locale) -> String {
    let Some(first) = messages.next() else {
        return match locale {
            Locale::En => "The given data was invalid.".to_owned(),
            Locale::Ru => "Данные не прошли проверку.".to_owned(),
        };
    };
    let more = messages.count();
    if more == 0 {
        return first.to_owned();
    }
    // Written piece by piece: this runs for every 422, where `format!` cost twice as much.
    let mut digits = itoa::Buffer::new();
    let count = digits.format(more);
    let (before, word) = match locale {
        Locale::En if more == 1 => ("(and ", " more error)"),
        Locale::En => ("(and ", " more errors)"),
        // Russian plural forms, as Laravel's MessageSelector picks them for `ru`.
        Locale::Ru => match (more % 10, more % 100) {
            (1, n) if n != 11 => ("(и ещё ", " ошибка)"),
            (2..=4, n) if !(12..=14).contains(&n) => ("(и ещё ", " ошибки)"),
            _ => ("(и ещё ", " ошибок)"),
        },
    };
    let mut summary =
        String::with_capacity(first.len() + 1 + before.len() + count.len() + word.len());
    for part in [first, " ", before, count, word] {
        summary.push_str(part);
    }
    summary
}

/// PHP's `str_ireplace` for an ASCII needle.
pub(crate) fn replace_ascii_case_insensitive(haystack: &str, needle: &str, with: &str) -> String {
    if needle.is_empty() {
        return haystack.to_owned();
    }
    let lower = haystack.to_ascii_lowercase();
    let needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut from = 0;
    while let Some(at) = lower[from..].find(&needle) {
        let at = from + at;
        out.push_str(&haystack[from..at]);
        out.push_str(with);
        from = at + needle.len();
    }
    out.push_str(&haystack[from..]);
    out
}

/// `str_replace` of one `:placeholder` (which starts with `:`): every occurrence, left to
/// right, or `None` when there is none. Looks only where a `:` is, which is cheaper than
/// `str::replace`'s general search on the short texts of messages (it runs several times
/// for every failure of a 422).
pub(crate) fn replace_placeholder(text: &str, placeholder: &str, with: &str) -> Option<String> {
    replace_noting_colons(text, placeholder, with).0
}

/// [`replace_placeholder`], and whether its result can still hold a `:` (the text had one
/// besides the placeholder's, or `with` brought one): when not, no other placeholder can
/// be left, which spares the searches for them.
pub(crate) fn replace_noting_colons(
    text: &str,
    placeholder: &str,
    with: &str,
) -> (Option<String>, bool) {
    debug_assert!(placeholder.starts_with(':'));
    let bytes = text.as_bytes();
    let mut out: Option<String> = None;
    let mut colon_left = false;
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = bytes.get(at..).and_then(|rest| memchr::memchr(b':', rest)) {
        let found = at + offset;
        if bytes[found..].starts_with(placeholder.as_bytes()) {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len() + with.len()));
            out.push_str(&text[copied..found]);
            out.push_str(with);
            copied = found + placeholder.len();
            at = copied;
        } else {
            colon_left = true;
            at = found + 1;
        }
    }
    let replaced = out.map(|mut out| {
        out.push_str(&text[copied..]);
        out
    });
    let brought = replaced.is_some() && with.as_bytes().contains(&b':');
    (replaced, colon_left || brought)
}

/// Whether `text` holds `placeholder` (which starts with `:`), looking only where a `:` is.
pub(crate) fn has_placeholder(text: &str, placeholder: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b':', bytes).any(|i| bytes[i..].starts_with(placeholder.as_bytes()))
}

/// Laravel's `Str::ucfirst`: the first character upper-cased (`mb_strtoupper`).
pub(crate) fn ucfirst(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::stripos_contains;

    #[test]
    fn placeholders_are_replaced_as_str_replace_replaces_them() {
        for (text, placeholder) in [
            ("The :attribute field is required.", ":attribute"),
            (":attribute and :attribute", ":attribute"),
            ("::attribute:attributes :attr", ":attribute"),
            ("no placeholder here", ":attribute"),
            ("ends with :max", ":max"),
            ("é :input é", ":input"),
        ] {
            let ours = replace_placeholder(text, placeholder, "X:Y").unwrap_or_else(|| text.into());
            assert_eq!(ours, text.replace(placeholder, "X:Y"), "{text}");
        }
        assert!(stripos_contains("The :Index-th", "index"));
        assert!(stripos_contains("POSITION", "position"));
        assert!(has_placeholder("a :input b", ":input"));
        assert!(!has_placeholder("a :inpu input", ":input"));
        assert!(!stripos_contains("The :inde", "index"));
    }

    #[test]
    fn a_replacement_says_whether_a_colon_can_be_left() {
        for (text, with, colon_left) in [
            ("The :attribute field is required.", "login", false),
            (
                "The :attribute may not be greater than :max.",
                "login",
                true,
            ),
            ("The :attribute field is required.", "a:b", true),
            ("no placeholder here", "a:b", false),
            ("a lone : here", "x", true),
            (":attribute:attribute", "x", false),
        ] {
            let (replaced, left) = replace_noting_colons(text, ":attribute", with);
            let result = replaced.unwrap_or_else(|| text.into());
            assert_eq!(result, text.replace(":attribute", with), "{text}");
            assert_eq!(left, colon_left, "{text} with {with}");
            assert_eq!(left, result.contains(':'), "{text} with {with}");
        }
    }

    #[test]
    fn attribute_names_follow_str_snake() {
        for (attribute, shown) in [
            ("login", "login"),
            ("billing_info", "billing info"),
            ("billing_info.billing_id", "billing info.billing id"),
            ("billingId", "billing id"),
            ("billing_properties.a.b.type", "billing properties.a.b.type"),
            ("billing_properties. x .type", "billing properties. x.type"),
            ("ABC", "a_b_c"),
            ("a b", "a b"),
        ] {
            assert_eq!(
                display_attribute(attribute),
                shown.replace('_', " "),
                "{attribute}"
            );
        }
    }

    #[test]
    fn snake_leaves_ascii_without_capitals_or_spaces_as_it_is() {
        // The full steps agree with the shortcut on texts it takes.
        for value in [
            "",
            "a",
            "login",
            "billing_properties.0.type",
            "0",
            "_x",
            "a.b-c",
            "x~1",
            "z9",
        ] {
            assert_eq!(snake(value), value);
            assert_eq!(snake_in_full(value), value, "{value}");
        }
        assert_eq!(snake("billingInfo"), "billing_info");
        assert_eq!(snake("a b"), "a_b");
        assert_eq!(snake("a\x0Bb"), "a_b");
    }

    #[test]
    fn summary_counts_further_messages() {
        let s = |msgs: &[&str]| summarize(msgs.iter().copied(), Locale::En);
        assert_eq!(s(&["a"]), "a");
        assert_eq!(s(&["a", "b"]), "a (and 1 more error)");
        assert_eq!(s(&["a", "b", "c", "d", "e"]), "a (and 4 more errors)");
        assert_eq!(s(&[]), "The given data was invalid.");
    }

    #[test]
    fn russian_summary_uses_plural_forms() {
        let msgs: Vec<String> = (0..23).map(|i| i.to_string()).collect();
        let s = |n: usize| summarize(msgs[..=n].iter().map(String::as_str), Locale::Ru);
        assert_eq!(s(1), "0 (и ещё 1 ошибка)");
        assert_eq!(s(3), "0 (и ещё 3 ошибки)");
        assert_eq!(s(5), "0 (и ещё 5 ошибок)");
        assert_eq!(s(11), "0 (и ещё 11 ошибок)");
        assert_eq!(s(21), "0 (и ещё 21 ошибка)");
        assert_eq!(s(22), "0 (и ещё 22 ошибки)");
    }

    #[test]
    fn case_insensitive_replace_and_ucfirst() {
        assert_eq!(
            replace_ascii_case_insensitive("a :INDEX b :index", ":index", "3"),
            "a 3 b 3"
        );
        assert_eq!(ucfirst("élan"), "Élan");
    }
}

//! Laravel's validation messages in English and Russian, attribute display names, and the
//! `(and N more errors)` summary.
//!
//! Owns wording only; which rule failed is decided in the parent module.

use std::fmt;
use std::str::FromStr;

/// The message language, as Laravel's `app.locale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Locale {
    /// Laravel 10+ default English wording.
    #[default]
    En,
    /// The widely used Laravel Russian translation (laravel-lang `ru`).
    Ru,
}

impl FromStr for Locale {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Locale::En),
            "ru" => Ok(Locale::Ru),
            other => Err(format!("unknown locale {other:?}, expected one of en, ru")),
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

/// A Laravel validation rule that failed, with the parameters its message needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `required`: missing, null, blank string, empty array or object.
    Required,
    /// `string`.
    String,
    /// `array` (a JSON object or a JSON list).
    Array,
    /// `integer`.
    Integer,
    /// `numeric`.
    Numeric,
    /// `boolean`.
    Boolean,
    /// `max` on a string: characters.
    MaxString(String),
    /// `min` on a string: characters.
    MinString(String),
    /// `max` on a number.
    MaxNumeric(String),
    /// `min` on a number.
    MinNumeric(String),
    /// `max` on an array: items.
    MaxArray(String),
    /// `min` on an array: items.
    MinArray(String),
    /// `in`: not one of the allowed values.
    In,
    /// `email`.
    Email,
    /// `regex` (and any other format or keyword without a Laravel counterpart).
    Regex,
    /// `unique`: the value is taken.
    Unique,
    /// `exists`: no such record.
    Exists,
    /// `prohibited`: a key the schema forbids (`additionalProperties: false`).
    Prohibited,
    /// `required_without`: neither this nor the alternatives (`:values`) is present.
    RequiredWithout(String),
}

impl Rule {
    /// The rendered message for `attribute` in `locale`.
    pub fn message(&self, locale: Locale, attribute: &str) -> String {
        let (template, param) = match locale {
            Locale::En => self.english(),
            Locale::Ru => self.russian(),
        };
        // One pass, one allocation: every template names `:attribute` once and its
        // parameter (if any) at most once.
        let mut out = String::with_capacity(template.len() + attribute.len() + 8);
        let mut rest = template;
        while let Some(at) = rest.find(':') {
            out.push_str(&rest[..at]);
            let tail = &rest[at..];
            if let Some(after) = tail.strip_prefix(":attribute") {
                out.push_str(attribute);
                rest = after;
            } else if let Some((name, value)) = param.filter(|(name, _)| tail.starts_with(name)) {
                out.push_str(value);
                rest = &tail[name.len()..];
            } else {
                out.push(':');
                rest = &tail[1..];
            }
        }
        out.push_str(rest);
        out
    }

    fn english(&self) -> (&'static str, Option<(&'static str, &str)>) {
        match self {
            Rule::Required => ("The :attribute field is required.", None),
            Rule::String => ("The :attribute field must be a string.", None),
            Rule::Array => ("The :attribute field must be an array.", None),
            Rule::Integer => ("The :attribute field must be an integer.", None),
            Rule::Numeric => ("The :attribute field must be a number.", None),
            Rule::Boolean => ("The :attribute field must be true or false.", None),
            Rule::MaxString(n) => (
                "The :attribute field must not be greater than :max characters.",
                Some((":max", n)),
            ),
            Rule::MinString(n) => (
                "The :attribute field must be at least :min characters.",
                Some((":min", n)),
            ),
            Rule::MaxNumeric(n) => (
                "The :attribute field must not be greater than :max.",
                Some((":max", n)),
            ),
            Rule::MinNumeric(n) => (
                "The :attribute field must be at least :min.",
                Some((":min", n)),
            ),
            Rule::MaxArray(n) => (
                "The :attribute field must not have more than :max items.",
                Some((":max", n)),
            ),
            Rule::MinArray(n) => (
                "The :attribute field must have at least :min items.",
                Some((":min", n)),
            ),
            Rule::In | Rule::Exists => ("The selected :attribute is invalid.", None),
            Rule::Email => ("The :attribute field must be a valid email address.", None),
            Rule::Regex => ("The :attribute field format is invalid.", None),
            Rule::Unique => ("The :attribute has already been taken.", None),
            Rule::Prohibited => ("The :attribute field is prohibited.", None),
            Rule::RequiredWithout(values) => (
                "The :attribute field is required when :values is not present.",
                Some((":values", values)),
            ),
        }
    }

    fn russian(&self) -> (&'static str, Option<(&'static str, &str)>) {
        match self {
            Rule::Required => ("Поле :attribute обязательно.", None),
            Rule::String => ("Значение поля :attribute должно быть строкой.", None),
            Rule::Array => ("Значение поля :attribute должно быть массивом.", None),
            Rule::Integer => ("Значение поля :attribute должно быть целым числом.", None),
            Rule::Numeric => ("Значение поля :attribute должно быть числом.", None),
            Rule::Boolean => (
                "Значение поля :attribute должно быть логического типа.",
                None,
            ),
            Rule::MaxString(n) => (
                "Количество символов в поле :attribute не может превышать :max.",
                Some((":max", n)),
            ),
            Rule::MinString(n) => (
                "Количество символов в поле :attribute должно быть не меньше :min.",
                Some((":min", n)),
            ),
            Rule::MaxNumeric(n) => (
                "Значение поля :attribute не может быть больше :max.",
                Some((":max", n)),
            ),
            Rule::MinNumeric(n) => (
                "Значение поля :attribute должно быть не меньше :min.",
                Some((":min", n)),
            ),
            Rule::MaxArray(n) => (
                "Количество элементов в поле :attribute не может превышать :max.",
                Some((":max", n)),
            ),
            Rule::MinArray(n) => (
                "Количество элементов в поле :attribute должно быть не меньше :min.",
                Some((":min", n)),
            ),
            Rule::In => (
                "Значение поля :attribute отсутствует в списке разрешённых.",
                None,
            ),
            Rule::Exists => ("Выбранное значение для :attribute некорректно.", None),
            Rule::Email => (
                "Значение поля :attribute должно быть действительным электронным адресом.",
                None,
            ),
            Rule::Regex => ("Значение поля :attribute имеет некорректный формат.", None),
            Rule::Unique => ("Такое значение поля :attribute уже существует.", None),
            Rule::Prohibited => ("Значение поля :attribute запрещено.", None),
            Rule::RequiredWithout(values) => (
                "Поле :attribute обязательно, когда :values не указано.",
                Some((":values", values)),
            ),
        }
    }
}

/// How Laravel names a field in a message: the raw dotted key when it was reached through a
/// wildcard rule (`billing_properties.0.type`), otherwise `Str::snake` with underscores turned
/// into spaces (`billing_info.billing_id` becomes `billing info.billing id`).
pub fn display_attribute(field: &str, through_wildcard: bool) -> String {
    if through_wildcard {
        return field.to_owned();
    }
    let mut out = String::with_capacity(field.len() + 4);
    let mut prev: Option<char> = None;
    for c in field.chars().filter(|c| !c.is_whitespace()) {
        if c.is_uppercase() && prev.is_some() {
            out.push(' ');
        }
        if c == '_' {
            out.push(' ');
        } else {
            out.extend(c.to_lowercase());
        }
        prev = Some(c);
    }
    out
}

/// Laravel's `ValidationException::summarize`: the first message, then
/// ` (and N more error)` or ` (and N more errors)` counting every further message.
pub fn summarize<'a>(mut messages: impl Iterator<Item = &'a str>, locale: Locale) -> String {
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
    let tail = match locale {
        Locale::En if more == 1 => format!("(and {more} more error)"),
        Locale::En => format!("(and {more} more errors)"),
        Locale::Ru => {
            // Russian plural forms, as Laravel's MessageSelector picks them for `ru`.
            let word = match (more % 10, more % 100) {
                (1, n) if n != 11 => "ошибка",
                (2..=4, n) if !(12..=14).contains(&n) => "ошибки",
                _ => "ошибок",
            };
            format!("(и ещё {more} {word})")
        }
    };
    format!("{first} {tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_follow_laravel() {
        assert_eq!(display_attribute("login", false), "login");
        assert_eq!(display_attribute("billing_info", false), "billing info");
        assert_eq!(
            display_attribute("billing_info.billing_id", false),
            "billing info.billing id"
        );
        assert_eq!(display_attribute("billingId", false), "billing id");
        assert_eq!(
            display_attribute("billing_properties.0.type", true),
            "billing_properties.0.type"
        );
    }

    #[test]
    fn summary_counts_further_messages() {
        let one = ["a"];
        assert_eq!(summarize(one.iter().copied(), Locale::En), "a");
        let two = ["a", "b"];
        assert_eq!(
            summarize(two.iter().copied(), Locale::En),
            "a (and 1 more error)"
        );
        let five = ["a", "b", "c", "d", "e"];
        assert_eq!(
            summarize(five.iter().copied(), Locale::En),
            "a (and 4 more errors)"
        );
        assert_eq!(
            summarize([].iter().copied(), Locale::En),
            "The given data was invalid."
        );
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
    fn messages_substitute_parameters() {
        assert_eq!(
            Rule::MaxString("255".into()).message(Locale::En, "login"),
            "The login field must not be greater than 255 characters."
        );
        assert_eq!(
            Rule::Required.message(Locale::Ru, "login"),
            "Поле login обязательно."
        );
        assert_eq!(
            Rule::MinNumeric("0".into()).message(Locale::Ru, "analytic l1"),
            "Значение поля analytic l1 должно быть не меньше 0."
        );
    }
}

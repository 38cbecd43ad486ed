//! The vocabulary of the rules: Laravel's rules as the mock runs them, and the attribute
//! patterns they apply to.

use regex::Regex;

use crate::php::Key;

/// One segment of a rule's attribute pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A key.
    Key(String),
    /// `*`: every key of the array there.
    Star,
}

impl Segment {
    /// The key as PHP keys it (`"5"` is `Int(5)`); `None` for `*`.
    pub(crate) fn key(&self) -> Option<Key> {
        match self {
            Segment::Key(k) => Some(Key::from_str(k)),
            Segment::Star => None,
        }
    }
}

/// A rule's attribute: `login`, `billing_info.billing_id`, `billing_properties.*.type`.
pub(crate) type Pattern = Vec<Segment>;

/// A pattern as Laravel writes it: `sync.*.intercom_id`.
pub(crate) fn pattern_text(pattern: &[Segment]) -> String {
    pattern
        .iter()
        .map(|s| match s {
            Segment::Key(k) => k.as_str(),
            Segment::Star => "*",
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The types a `type` keyword lists, as Laravel's rule checks would accept them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Type {
    /// Laravel's `string`.
    String,
    /// Laravel's `integer` (`filter_var`).
    Integer,
    /// Laravel's `numeric`.
    Number,
    /// Laravel's `boolean`.
    Boolean,
    /// Laravel's `array` (a JSON object or list).
    Array,
    /// `null`.
    Null,
}

/// A numeric rule's parameter: its text, as messages show it, and the number Laravel compares
/// with, read once here (`max:255` is checked for nearly every field of every request).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Bound {
    text: String,
    value: f64,
}

impl Bound {
    /// The parameter written `text` (a schema's number, or a count the mock computes; a
    /// text that were no number would compare as NaN and never pass).
    pub(crate) fn new(text: String) -> Bound {
        // Nearly every parameter is a small whole number, read far more cheaply as one.
        let value = match text.parse::<u32>() {
            Ok(n) => f64::from(n),
            Err(_) => text.parse().unwrap_or(f64::NAN),
        };
        Bound { text, value }
    }

    /// The number compared with.
    pub(crate) fn value(&self) -> f64 {
        self.value
    }
}

impl std::ops::Deref for Bound {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A Laravel validation rule, with what it needs to check and to word its message.
#[derive(Clone, Debug)]
pub(crate) enum Rule {
    /// `required`.
    Required,
    /// `required_without:other,...` (from an `anyOf` of single `required` lists), the
    /// alternatives relative to the parent.
    RequiredWithout(Vec<Pattern>),
    /// `nullable`.
    Nullable,
    /// `string`.
    String,
    /// `array`.
    Array,
    /// `integer`.
    Integer,
    /// `numeric`.
    Numeric,
    /// `boolean`.
    Boolean,
    /// Several JSON Schema types at once, which no single Laravel rule expresses: passes
    /// when any of them does, worded as the first one's rule.
    AnyType(Vec<Type>),
    /// `max:N` (characters, number, items or kilobytes, as Laravel sizes the value).
    Max(Bound),
    /// `min:N`.
    Min(Bound),
    /// `gt:N` (`exclusiveMinimum`).
    Gt(Bound),
    /// `lt:N` (`exclusiveMaximum`).
    Lt(Bound),
    /// `multiple_of:N`.
    MultipleOf(Bound),
    /// `in:a,b,...` (`enum`, `const`).
    In(Vec<String>),
    /// `email` (`format: email`).
    Email,
    /// `regex:...` (`pattern`).
    Regex(Regex),
    /// The keywords Laravel has no rule for, checked by `jsonschema`, worded as `regex`.
    Schema(std::sync::Arc<jsonschema::Validator>),
    /// `prohibited`, on every key an `additionalProperties: false` object does not list.
    Prohibited,
    /// Not a Laravel rule: marks an object with `additionalProperties: false` and its keys.
    OnlyKeys(Vec<String>),
    /// `unique:users,login` (added by the create endpoint, not by schemas).
    Unique,
    /// `exists:users,login` (added by the endpoints acting on a user).
    Exists,
}

impl Rule {
    /// Laravel's name of the rule (`Required`, `Max`, ...), as in `failedRules` (the plan's
    /// tests print rules by it).
    #[cfg(test)]
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Rule::Required => "Required",
            Rule::RequiredWithout(_) => "RequiredWithout",
            Rule::Nullable => "Nullable",
            Rule::String => "String",
            Rule::Array => "Array",
            Rule::Integer => "Integer",
            Rule::Numeric => "Numeric",
            Rule::Boolean => "Boolean",
            Rule::AnyType(_) => "AnyType",
            Rule::Max(_) => "Max",
            Rule::Min(_) => "Min",
            Rule::Gt(_) => "Gt",
            Rule::Lt(_) => "Lt",
            Rule::MultipleOf(_) => "MultipleOf",
            Rule::In(_) => "In",
            Rule::Email => "Email",
            Rule::Regex(_) | Rule::Schema(_) => "Regex",
            Rule::Prohibited => "Prohibited",
            Rule::OnlyKeys(_) => "OnlyKeys",
            Rule::Unique => "Unique",
            Rule::Exists => "Exists",
        }
    }

    /// Laravel's implicit rules run even when the attribute is missing or blank.
    pub(crate) fn is_implicit(&self) -> bool {
        matches!(self, Rule::Required | Rule::RequiredWithout(_))
    }
}

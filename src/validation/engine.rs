//! Laravel's `Validator::passes()` over PHP input, rule for rule: the wildcard explosion of
//! `ValidationRuleParser` (with `data_set`'s and `Arr::dot`'s quirks), `isValidatable`
//! (present or implicit, nullable, `unique`/`exists` only on a clean attribute), every
//! failing rule reported until an implicit one fails, and `makeReplacements` (attribute
//! name, `:input`, `:index`, `:position`, then the rule's own placeholders).
//!
//! Laravel escapes `.` and `*` inside data keys with placeholders; here attributes are key
//! paths, so a key's dots never split it, and where Laravel's string handling shows
//! through (display names, `:input`) the same rules are applied to the joined text.

use std::borrow::Cow;

use super::Overload;
use super::bag::ErrorBag;
use super::explode::{Attribute, Attributes, explode, lookup, lookup_text, text};
use super::late_index::LateIndex;
use super::messages::{
    self, Locale, SizeKind, display_attribute, has_placeholder, replace_ascii_case_insensitive,
    replace_noting_colons, replace_placeholder, ucfirst,
};
use super::normalise::is_blank_string;
use super::plan::{Plan, Rule, Segment, Type, pattern_text};
use crate::php::{Array, Key, Value, float_to_string, stripos_contains};

/// Answers `unique` and `exists` on logins: whether an active user has this login.
pub(crate) type Logins<'a> = &'a dyn Fn(&str) -> bool;

/// Most bytes of messages one validation may produce (about 4 MiB of 422 body; Laravel's
/// largest answer within its time limit, 15,000 list elements, is 2.6 MB). Bounds what
/// keys repeated in many messages can cost; Laravel would hit PHP's limits first.
const MAX_BAG_BYTES: usize = 4 << 20;

/// Validates `data` against `plan` as Laravel's `Validator` does and returns its errors bag:
/// the explosion, then every rule of every attribute as Laravel runs them.
///
/// # Errors
/// [`Overload`] for input Laravel could not validate within PHP's limits.
pub(crate) fn validate(check: Checker<'_>, locale: Locale) -> Result<ErrorBag, Overload> {
    let attributes = explode(check.plan, check.data)?;
    let mut run = Run {
        check,
        locale,
        attributes: &attributes,
        bag: ErrorBag::default(),
        stopped: Stopped::default(),
    };
    for attribute in &attributes.list {
        let traits = Traits::of(attribute.rules.iter());
        let mut name = Name::new(attribute);
        // Looked up once: nothing changes the input while it is validated.
        let value = lookup(run.check.data, &attribute.keys);
        for rule in attribute.rules.iter() {
            run.validate_attribute(attribute, &mut name, traits, rule, value);
            if traits.implicit && run.should_stop(&mut name) {
                break;
            }
        }
        if run.bag.byte_size() > MAX_BAG_BYTES {
            return Err(Overload);
        }
    }
    Ok(run.bag)
}

/// An attribute's text (`billing_properties.0.type`): the plan's, or built the first time
/// it is needed.
struct Name<'k> {
    keys: &'k [Key],
    text: Option<Cow<'k, str>>,
}

impl<'k> Name<'k> {
    fn new(attribute: &'k Attribute<'_>) -> Self {
        Name {
            keys: &attribute.keys,
            text: attribute.text.map(Cow::Borrowed),
        }
    }

    fn text(&mut self) -> &str {
        self.text.get_or_insert_with(|| Cow::Owned(text(self.keys)))
    }
}

/// What the rules of one attribute say about each other: `nullable` lets `null` through the
/// others, `integer`/`numeric` and `array` decide how `max` and `min` measure.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Traits {
    pub(super) nullable: bool,
    pub(super) numeric: bool,
    pub(super) array: bool,
    /// Has `required` or `required_without`.
    pub(super) implicit: bool,
}

impl Traits {
    pub(super) fn of<'r>(rules: impl IntoIterator<Item = &'r Rule>) -> Traits {
        let mut traits = Traits::default();
        for rule in rules {
            match rule {
                Rule::Nullable => traits.nullable = true,
                Rule::Integer | Rule::Numeric => traits.numeric = true,
                Rule::Array => traits.array = true,
                r if r.is_implicit() => traits.implicit = true,
                _ => {}
            }
        }
        traits
    }
}

/// Laravel's rules as predicates over the input: whether a rule is checked on a value at
/// all, and whether it passes there.
#[derive(Clone, Copy)]
pub(crate) struct Checker<'a> {
    pub(super) plan: &'a Plan,
    pub(super) data: &'a Array,
    logins: Logins<'a>,
}

struct Run<'a, 'p> {
    check: Checker<'a>,
    locale: Locale,
    attributes: &'a Attributes<'p>,
    bag: ErrorBag,
    /// The attributes where an implicit rule failed: all `shouldStopValidating` asks of
    /// Laravel's `failedRules`.
    stopped: Stopped,
}

/// Attributes (as text) in the order they were added, found by a scan while they are a
/// handful (a 422's usual count, where hashing each text cost more) and by an index after.
#[derive(Default)]
struct Stopped {
    list: Vec<String>,
    index: LateIndex<String>,
}

impl Stopped {
    fn contains(&self, name: &str) -> bool {
        self.index
            .position(&self.list, name, String::as_str)
            .is_some()
    }

    fn insert(&mut self, name: &str) {
        if !self.contains(name) {
            self.list.push(name.to_owned());
            self.index.pushed(&self.list, Clone::clone);
        }
    }
}

// ---- the rules ------------------------------------------------------------------------------

/// Laravel's `validateRequired`.
fn required(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::Str(s)) => !is_blank_string(s),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(_) => true,
    }
}

fn boolean(value: &Value) -> bool {
    matches!(value, Value::Bool(_) | Value::Int(0 | 1))
        || matches!(value, Value::Str(s) if s == "0" || s == "1")
}

/// A type of a `type` list that no single Laravel rule expresses (`["integer", "string"]`):
/// PHP's own types, as `is_int`, `is_string`, ... see them (so `true` is not an integer here,
/// though Laravel's `integer` rule would take it).
fn is_type(value: &Value, t: Type) -> bool {
    match t {
        Type::String => matches!(value, Value::Str(_)),
        Type::Integer => matches!(value, Value::Int(_)),
        Type::Number => matches!(value, Value::Int(_) | Value::Float(_)),
        Type::Boolean => matches!(value, Value::Bool(_)),
        Type::Array => matches!(value, Value::Array(_)),
        Type::Null => value.is_null(),
    }
}

/// PHP's loose `==` between two strings: numerically when both are numeric.
fn loose_eq(a: &str, b: &str) -> bool {
    match (Value::str(a).as_number(), Value::str(b).as_number()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

/// PHP's `(int)` of a numeric string, as `:index` uses it.
fn php_int(text: &str) -> i128 {
    let n = Value::str(text).as_number().unwrap_or(0.0);
    if n.is_nan() {
        0
    } else {
        n.clamp(i64::MIN as f64, i64::MAX as f64) as i128
    }
}

fn ordinal(n: usize) -> &'static str {
    [
        "other", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
        "ninth", "tenth",
    ]
    .get(n)
    .copied()
    .unwrap_or("other")
}

impl<'a> Checker<'a> {
    /// The rules of `plan` over `data`, `unique` and `exists` answered by `logins`.
    pub(crate) fn new(plan: &'a Plan, data: &'a Array, logins: Logins<'a>) -> Self {
        Checker { plan, data, logins }
    }

    /// Laravel's `isValidatable`, for an attribute with no error yet when `clean`.
    pub(super) fn validatable(
        traits: Traits,
        rule: &Rule,
        value: Option<&Value>,
        clean: bool,
    ) -> bool {
        let present_or_implicit = match value {
            Some(Value::Str(s)) if is_blank_string(s) => rule.is_implicit(),
            // `Arr::has`: false for empty data.
            Some(_) => true,
            None => rule.is_implicit(),
        };
        let not_null_if_nullable =
            rule.is_implicit() || !traits.nullable || !matches!(value, Some(Value::Null));
        let clean_for_presence = !matches!(rule, Rule::Unique | Rule::Exists) || clean;
        present_or_implicit && not_null_if_nullable && clean_for_presence
    }

    /// Whether `rule` passes on `value`, the value at `keys` (reached through the plan's
    /// wildcard entry `primary`, if any).
    pub(super) fn passes(
        &self,
        keys: &[Key],
        primary: Option<usize>,
        traits: Traits,
        rule: &Rule,
        value: Option<&Value>,
    ) -> bool {
        let null = Value::Null;
        let v = value.unwrap_or(&null);
        match rule {
            Rule::Required => required(value),
            Rule::RequiredWithout(others) => {
                let missing = others.iter().any(|other| {
                    !required(
                        self.other(keys, primary, other)
                            .as_ref()
                            .and_then(|k| lookup(self.data, k)),
                    )
                });
                !missing || required(value)
            }
            Rule::Nullable | Rule::OnlyKeys(_) => true,
            Rule::String => matches!(v, Value::Str(_)),
            Rule::Array => matches!(v, Value::Array(_)),
            Rule::Integer => v.filter_int().is_some(),
            Rule::Numeric => v.is_numeric(),
            Rule::Boolean => boolean(v),
            Rule::AnyType(types) => types.iter().any(|t| is_type(v, *t)),
            // A string has no more characters than bytes: within the bound by its byte
            // length, it needs no count (nearly every string is).
            Rule::Max(n) => match v {
                Value::Str(s) if !traits.numeric && s.len() as f64 <= n.value() => true,
                _ => size(traits, v) <= n.value(),
            },
            Rule::Min(n) => size(traits, v) >= n.value(),
            Rule::Gt(n) => v.is_numeric() && size(traits, v) > n.value(),
            Rule::Lt(n) => v.is_numeric() && size(traits, v) < n.value(),
            Rule::MultipleOf(n) => match v.as_number() {
                Some(x) if n.value() != 0.0 => (x / n.value()).fract().abs() < 1e-9,
                _ => false,
            },
            Rule::In(allowed) => match v {
                Value::Array(items) if traits.array => items.values().all(|item| {
                    item.to_php_string()
                        .is_some_and(|s| allowed.iter().any(|a| loose_eq(&s, a)))
                }),
                Value::Array(_) => false,
                other => other
                    .to_php_string()
                    .is_some_and(|s| allowed.iter().any(|a| loose_eq(&s, a))),
            },
            Rule::Email => v.as_str().is_some_and(super::email::is_email),
            Rule::Regex(re) => match v {
                Value::Str(s) => re.is_match(s),
                other if other.is_numeric() => {
                    other.to_php_string().is_some_and(|s| re.is_match(&s))
                }
                _ => false,
            },
            Rule::Schema(validator) => validator.is_valid(&crate::php::to_json(v)),
            Rule::Prohibited => false,
            Rule::Unique => !v.to_php_string().is_some_and(|s| (self.logins)(&s)),
            Rule::Exists => v.to_php_string().is_some_and(|s| (self.logins)(&s)),
        }
    }

    /// `required_without`'s other attribute, its `*` taken from this attribute's keys
    /// (`getExplicitKeys`, which needs non-empty keys; else the `*` stays and finds nothing).
    fn other(&self, keys: &[Key], primary: Option<usize>, other: &[Segment]) -> Option<Vec<Key>> {
        let pattern = primary
            .map(|i| self.plan.entries()[i].0.as_slice())
            .unwrap_or_default();
        let mut stars = pattern
            .iter()
            .zip(keys)
            .filter(|(s, _)| **s == Segment::Star)
            .map(|(_, k)| k);
        let mut found = Vec::with_capacity(other.len());
        for segment in other {
            match segment {
                Segment::Key(k) => found.push(Key::from_str(k)),
                Segment::Star => match stars.next() {
                    Some(k) if *k != Key::Str("".into()) => found.push(k.clone()),
                    _ => return None,
                },
            }
        }
        Some(found)
    }
}

/// Laravel's `getSize`.
fn size(traits: Traits, value: &Value) -> f64 {
    match value {
        v if traits.numeric && v.is_numeric() => v.as_number().unwrap_or(0.0),
        Value::Array(a) => a.len() as f64,
        Value::File(f) => f.size as f64 / 1024.0,
        Value::Str(s) => s.chars().count() as f64,
        other => other.to_php_string().map_or(0, |s| s.chars().count()) as f64,
    }
}

impl<'a, 'p> Run<'a, 'p> {
    fn validate_attribute(
        &mut self,
        attribute: &Attribute<'p>,
        name: &mut Name<'_>,
        traits: Traits,
        rule: &Rule,
        value: Option<&Value>,
    ) {
        if matches!(rule, Rule::Nullable) {
            return;
        }
        let clean = !matches!(rule, Rule::Unique | Rule::Exists) || !self.bag.has(name.text());
        if !Checker::validatable(traits, rule, value, clean) {
            return;
        }
        if !self
            .check
            .passes(&attribute.keys, attribute.primary, traits, rule, value)
        {
            self.add_failure(attribute, name.text(), traits, rule, value);
        }
    }

    /// Laravel's `shouldStopValidating`: after an implicit rule failed on an attribute that
    /// has one.
    fn should_stop(&self, name: &mut Name<'_>) -> bool {
        !self.stopped.list.is_empty() && self.stopped.contains(name.text())
    }

    fn add_failure(
        &mut self,
        attribute: &Attribute<'p>,
        name: &str,
        traits: Traits,
        rule: &Rule,
        value: Option<&Value>,
    ) {
        let kind = if traits.numeric {
            SizeKind::Numeric
        } else if traits.array {
            SizeKind::Array
        } else if matches!(value, Some(Value::File(_))) {
            SizeKind::File
        } else {
            SizeKind::String
        };
        let template = messages::template(rule, kind, self.locale);
        let message = self.replacements(template, attribute, name, rule);
        self.bag.add(name, message);
        if rule.is_implicit() {
            self.stopped.insert(name);
        }
    }

    /// How Laravel names an attribute (`getDisplayableAttribute`): raw when its text is an
    /// implicit attribute (reached through a wildcard, with no key Laravel had to escape) or
    /// is itself a wildcard pattern that matched (a key `*` cleans back to one), else
    /// `Str::snake`'d.
    fn displayable<'s>(&self, attribute: &'s Attribute<'_>, name: &'s str) -> Cow<'s, str> {
        let escaped = attribute
            .keys
            .iter()
            .any(|k| matches!(k, Key::Str(s) if s.contains(['.', '*'])));
        if (attribute.primary.is_some() && !escaped) || self.attributes.implicit.contains(&name) {
            Cow::Borrowed(name)
        } else {
            match attribute.shown {
                Some(shown) => Cow::Borrowed(shown),
                None => Cow::Owned(display_attribute(name)),
            }
        }
    }

    /// Laravel's `getDisplayableValue` for `:input` and `in`'s `:values`.
    fn displayable_value(value: Option<&Value>) -> String {
        match value {
            None | Some(Value::Null) => "empty".into(),
            Some(Value::Bool(b)) => if *b { "true" } else { "false" }.into(),
            Some(v) => v
                .to_php_string()
                .map(|s| s.into_string())
                .unwrap_or_default(),
        }
    }

    /// Laravel 10's `makeReplacements`.
    fn replacements(
        &self,
        template: &str,
        attribute: &Attribute<'_>,
        name: &str,
        rule: &Rule,
    ) -> String {
        let (mut message, colon) = attribute_replaced(template, &self.displayable(attribute, name));
        if !colon {
            // Every other placeholder starts with `:`: none is left (nearly every message).
            return message;
        }
        if has_placeholder(&message, ":input") {
            let actual = lookup_text(self.check.data, name);
            if actual.is_none_or(Value::is_scalar_or_null) {
                message = message.replace(":input", &Self::displayable_value(actual));
            }
        }
        // `:index`, `:position` and their ordinal forms, in any case: most templates have none.
        // Every one of them starts with `:`, so a message without one (nearly all, once
        // `:attribute` is replaced) needs no case-insensitive search.
        let colon = memchr::memchr(b':', message.as_bytes()).is_some();
        let present = [("index", 0), ("position", 1)]
            .map(|(p, offset)| (p, offset, colon && stripos_contains(&message, p)));
        let placeholders = present
            .into_iter()
            .filter(|(_, _, present)| *present)
            .map(|(p, offset, _)| (p, offset));
        for (placeholder, offset) in placeholders {
            let mut numeric = 1;
            for segment in name.split('.') {
                if !Value::str(segment).is_numeric() {
                    continue;
                }
                let n = php_int(segment) + offset;
                let shown = if n > i64::MAX as i128 {
                    float_to_string(n as f64).into_string()
                } else {
                    n.to_string()
                };
                if numeric == 1 {
                    message = replace_ascii_case_insensitive(
                        &message,
                        &format!(":{placeholder}"),
                        &shown,
                    );
                }
                let word = format!(":{}-{placeholder}", ordinal(numeric));
                message = replace_ascii_case_insensitive(&message, &word, &shown);
                numeric += 1;
            }
        }
        let replaced = |placeholder: &str, with: &str| {
            replace_placeholder(&message, placeholder, with).unwrap_or_else(|| message.clone())
        };
        match rule {
            Rule::Max(n) => replaced(":max", n),
            Rule::Min(n) => replaced(":min", n),
            Rule::Gt(n) | Rule::Lt(n) | Rule::MultipleOf(n) => replaced(":value", n),
            Rule::In(allowed) => {
                let values: Vec<String> = allowed
                    .iter()
                    .map(|a| Self::displayable_value(Some(&Value::str(a.as_str()))))
                    .collect();
                message.replace(":values", &values.join(", "))
            }
            Rule::RequiredWithout(others) => {
                // `getAttributeList`: each other attribute as `getDisplayableAttribute` names
                // its text, which Laravel builds with its internal key escapes; the mock has
                // none, so a key holding `.` or `*` shows as sent (README, known differences).
                let names: Vec<String> = others
                    .iter()
                    .map(|other| {
                        let (found, text) =
                            match self.check.other(&attribute.keys, attribute.primary, other) {
                                Some(keys) => {
                                    (self.attributes.position(&keys).is_some(), text(&keys))
                                }
                                None => (false, pattern_text(other)),
                            };
                        if found || self.attributes.implicit.contains(&text.as_str()) {
                            text
                        } else {
                            display_attribute(&text)
                        }
                    })
                    .collect();
                message.replace(":values", &names.join(" / "))
            }
            _ => message,
        }
    }
}

/// The message of `rule` failing on a plain top-level attribute (no wildcard, no `:input`).
pub(crate) fn word(field: &str, rule: &Rule, numeric: bool, locale: Locale) -> String {
    let kind = if numeric {
        SizeKind::Numeric
    } else {
        SizeKind::String
    };
    let (message, _) = attribute_replaced(
        messages::template(rule, kind, locale),
        &display_attribute(field),
    );
    match rule {
        Rule::Max(n) => message.replace(":max", &n[..]),
        Rule::Min(n) => message.replace(":min", &n[..]),
        _ => message,
    }
}

/// A template with `:attribute`, `:ATTRIBUTE` and `:Attribute` replaced, and whether the
/// message may still hold a `:` (so another placeholder). Each replacement is made only when
/// its placeholder is there: this runs for every failure of a 422.
fn attribute_replaced(template: &str, shown: &str) -> (String, bool) {
    let (replaced, colon) = replace_noting_colons(template, ":attribute", shown);
    let mut message = replaced.unwrap_or_else(|| template.to_owned());
    // Both other forms start with `:`; nearly no message has one left.
    if !colon {
        return (message, false);
    }
    if has_placeholder(&message, ":ATTRIBUTE") {
        message = message.replace(":ATTRIBUTE", &shown.to_uppercase());
    }
    if has_placeholder(&message, ":Attribute") {
        message = message.replace(":Attribute", &ucfirst(shown));
    }
    (message, true)
}

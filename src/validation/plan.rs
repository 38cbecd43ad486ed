//! A JSON Schema turned into Laravel's rules array: the translation from schema keywords to
//! Laravel rules, done once when the schema is loaded.
//!
//! The walk emits one entry per attribute in the order a Laravel developer writes them:
//! every property in schema order, its children right after it, list elements as `*`
//! (`billing_properties.*.type`). `required` comes first in a field's rules, the other
//! keywords follow in the order the schema lists them. What Laravel has no rule for
//! (`not`, `oneOf`, `if`, other formats, ...) is checked by the `jsonschema` crate and worded
//! as Laravel's `regex` message.

use regex::Regex;
use serde_json::{Map, Value};

use super::messages::display_attribute;
use crate::php::Key;

pub(crate) use super::rule::{Bound, Pattern, Rule, Segment, Type, pattern_text};

/// A schema as Laravel's rules: `(attribute, rules)` in the order a developer writes them.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    entries: Vec<(Pattern, Vec<Rule>)>,
    /// What is worked out once about each entry, in the same order.
    derived: Vec<Derived>,
}

/// What the plan works out once about an entry, rather than for every request.
#[derive(Debug)]
struct Derived {
    /// The pattern as text (`billing_properties.*.type`).
    text: String,
    /// The pattern with its keys as PHP keys them (`None` for `*`), for the explosion to
    /// compare with the input's keys as they are.
    keyed: Vec<Option<Key>>,
    /// For a pattern with no `*` (and not an `additionalProperties: false` marker): the
    /// one attribute it names, whatever the input.
    fixed: Option<Fixed>,
}

/// The attribute a pattern with no `*` names.
#[derive(Debug)]
struct Fixed {
    path: Vec<Key>,
    /// Its text as messages show it (`billing info.billing id`).
    shown: String,
    /// Whether no earlier entry can name it (no entry of the same path, no
    /// `additionalProperties: false` one whose unknown keys could): the explosion then
    /// appends it without looking for it first.
    alone: bool,
}

/// Whether an `additionalProperties: false` entry (`prefix`, `known`) can prohibit the
/// attribute at `path`: a key one level under an object it reaches, not among its known keys.
fn prohibits(prefix: &[Segment], known: &[String], path: &[Key]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    parent.len() == prefix.len()
        && parent
            .iter()
            .zip(prefix)
            .all(|(key, segment)| match segment {
                Segment::Star => true,
                Segment::Key(k) => key.matches(k),
            })
        && !known.iter().any(|k| last.matches(k))
}

/// Why a schema cannot become rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlanError {
    /// Where in the schema (a JSON pointer).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl Plan {
    /// The rules of a request schema (whose top is an object).
    ///
    /// # Errors
    /// A [`PlanError`] for a keyword the mock cannot turn into a rule (a bad `pattern`).
    pub(crate) fn compile(document: &Value) -> Result<Plan, PlanError> {
        let mut plan = Plan::default();
        let mut walk = Walk {
            root: document,
            plan: &mut plan,
        };
        walk.object(document, &[], "")?;
        Ok(Plan::of(plan.entries))
    }

    fn of(entries: Vec<(Pattern, Vec<Rule>)>) -> Plan {
        let mut derived: Vec<Derived> = Vec::with_capacity(entries.len());
        for (index, (pattern, rules)) in entries.iter().enumerate() {
            let text = pattern_text(pattern);
            let keyed: Vec<Option<Key>> = pattern.iter().map(Segment::key).collect();
            let path: Option<Vec<Key>> = match rules.as_slice() {
                [Rule::OnlyKeys(_)] => None,
                _ => keyed.iter().cloned().collect(),
            };
            let fixed = path.map(|path| {
                let alone =
                    entries[..index]
                        .iter()
                        .zip(&derived)
                        .all(|((earlier, rules), other)| match rules.as_slice() {
                            [Rule::OnlyKeys(known)] => !prohibits(earlier, known, &path),
                            _ => other.fixed.as_ref().is_none_or(|f| f.path != path),
                        });
                Fixed {
                    shown: display_attribute(&text),
                    path,
                    alone,
                }
            });
            derived.push(Derived { text, keyed, fixed });
        }
        Plan { entries, derived }
    }

    /// The entries, in order.
    pub(crate) fn entries(&self) -> &[(Pattern, Vec<Rule>)] {
        &self.entries
    }

    /// The pattern of entry `index` as Laravel writes it (`billing_properties.*.type`).
    pub(crate) fn text(&self, index: usize) -> &str {
        self.derived.get(index).map_or("", |d| d.text.as_str())
    }

    /// The pattern of entry `index` with its keys as PHP keys them, `None` for each `*`.
    pub(crate) fn keyed(&self, index: usize) -> &[Option<Key>] {
        self.derived.get(index).map_or(&[], |d| d.keyed.as_slice())
    }

    /// How messages show the attribute of an entry whose pattern has no `*`.
    pub(crate) fn shown(&self, index: usize) -> Option<&str> {
        Some(self.fixed(index)?.shown.as_str())
    }

    /// The attribute entry `index` names when its pattern has no `*`, and whether it is
    /// the first entry that can name it.
    pub(crate) fn path(&self, index: usize) -> Option<(&[Key], bool)> {
        let fixed = self.fixed(index)?;
        Some((&fixed.path, fixed.alone))
    }

    fn fixed(&self, index: usize) -> Option<&Fixed> {
        self.derived.get(index)?.fixed.as_ref()
    }

    /// Adds `rule` at the end of the rules of a top-level field (`unique` or `exists` on
    /// `login`), creating the entry if the schema has none.
    pub(crate) fn with_rule(&self, field: &str, rule: Rule) -> Plan {
        let mut entries = self.entries.clone();
        let pattern = vec![Segment::Key(field.to_owned())];
        match entries.iter_mut().find(|(p, _)| *p == pattern) {
            Some((_, rules)) => rules.push(rule),
            None => entries.push((pattern, vec![rule])),
        }
        Plan::of(entries)
    }
}

struct Walk<'a> {
    root: &'a Value,
    plan: &'a mut Plan,
}

/// Keywords that carry no rule.
const ANNOTATIONS: [&str; 11] = [
    "$schema",
    "$id",
    "$comment",
    "$defs",
    "definitions",
    "title",
    "description",
    "default",
    "examples",
    "deprecated",
    "readOnly",
];

impl Walk<'_> {
    /// The properties of an object schema at `prefix`.
    fn object(
        &mut self,
        schema: &Value,
        prefix: &[Segment],
        pointer: &str,
    ) -> Result<(), PlanError> {
        let Some(obj) = schema.as_object() else {
            return Ok(());
        };
        let required: Vec<&str> = obj
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let alternatives = obj.get("anyOf").and_then(required_alternatives);
        let empty = Map::new();
        let props = obj
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        if obj.get("additionalProperties") == Some(&Value::Bool(false)) && !prefix.is_empty() {
            let known = props.keys().cloned().collect();
            self.plan
                .entries
                .push((prefix.to_vec(), vec![Rule::OnlyKeys(known)]));
        }
        let mut names: Vec<&str> = props.keys().map(String::as_str).collect();
        for name in required.iter().chain(alternatives.iter().flatten()) {
            if !names.contains(name) {
                names.push(name);
            }
        }
        for name in names {
            let mut path = prefix.to_vec();
            path.push(Segment::Key(name.to_owned()));
            let mut rules = Vec::new();
            if required.contains(&name) {
                rules.push(Rule::Required);
            }
            if let Some(alts) = &alternatives
                && alts.first() == Some(&name)
            {
                let others = alts[1..]
                    .iter()
                    .map(|other| {
                        let mut p = prefix.to_vec();
                        p.push(Segment::Key((*other).to_owned()));
                        p
                    })
                    .collect();
                rules.push(Rule::RequiredWithout(others));
            }
            let sub_pointer = format!("{pointer}/properties/{}", escape(name));
            if let Some(sub) = props.get(name) {
                rules.extend(self.field_rules(sub, &sub_pointer, false)?);
            }
            self.plan.entries.push((path.clone(), rules));
            if let Some(sub) = props.get(name) {
                self.children(sub, &path, &sub_pointer)?;
            }
        }
        if prefix.is_empty() && obj.get("additionalProperties") == Some(&Value::Bool(false)) {
            let known = props.keys().cloned().collect();
            self.plan
                .entries
                .push((Vec::new(), vec![Rule::OnlyKeys(known)]));
        }
        Ok(())
    }

    /// What lies below a field: its properties, or its elements as `*`.
    fn children(
        &mut self,
        schema: &Value,
        path: &[Segment],
        pointer: &str,
    ) -> Result<(), PlanError> {
        if schema.get("properties").is_some() || schema.get("required").is_some() {
            self.object(schema, path, pointer)?;
        }
        let element = [
            ("items", "/items"),
            ("additionalProperties", "/additionalProperties"),
        ]
        .into_iter()
        .find_map(|(kw, at)| schema.get(kw).filter(|s| s.is_object()).map(|s| (s, at)));
        if let Some((element, at)) = element {
            let mut star = path.to_vec();
            star.push(Segment::Star);
            let element_pointer = format!("{pointer}{at}");
            let rules = self.field_rules(element, &element_pointer, true)?;
            if !rules.is_empty() {
                self.plan.entries.push((star.clone(), rules));
            }
            self.children(element, &star, &element_pointer)?;
        }
        Ok(())
    }

    /// The rules of one field's own keywords, in schema order. An element schema's plain
    /// `type: object` is its shape, not a rule: Laravel's rules name no rule on
    /// `billing_properties.*` itself.
    fn field_rules(
        &self,
        schema: &Value,
        pointer: &str,
        element: bool,
    ) -> Result<Vec<Rule>, PlanError> {
        let Some(obj) = schema.as_object() else {
            return Ok(Vec::new());
        };
        let mut rules = Vec::new();
        let mut rest = Map::new();
        for (keyword, value) in obj {
            let number = || value.as_number().map(ToString::to_string);
            match keyword.as_str() {
                "type" => rules.extend(type_rules(value, element)),
                "maxLength" | "maximum" | "maxItems" | "maxProperties" => {
                    rules.extend(number().map(|n| Rule::Max(Bound::new(n))));
                }
                "minLength" | "minimum" | "minItems" | "minProperties" => {
                    rules.extend(number().map(|n| Rule::Min(Bound::new(n))));
                }
                "exclusiveMinimum" => rules.extend(number().map(|n| Rule::Gt(Bound::new(n)))),
                "exclusiveMaximum" => rules.extend(number().map(|n| Rule::Lt(Bound::new(n)))),
                "multipleOf" => {
                    rules.extend(number().map(|n| Rule::MultipleOf(Bound::new(n))));
                }
                "enum" => rules.push(Rule::In(
                    value
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(php_text)
                        .collect(),
                )),
                "const" => rules.push(Rule::In(vec![php_text(value)])),
                "format" if matches!(value.as_str(), Some("email" | "idn-email")) => {
                    rules.push(Rule::Email);
                }
                "pattern" => {
                    let text = value.as_str().unwrap_or_default();
                    let re = Regex::new(text).map_err(|e| PlanError {
                        pointer: format!("{pointer}/pattern"),
                        message: format!("invalid pattern: {e}"),
                    })?;
                    rules.push(Rule::Regex(re));
                }
                "required" | "properties" | "items" | "additionalProperties" => {}
                "anyOf" if required_alternatives(value).is_some() => {}
                other if ANNOTATIONS.contains(&other) || other == "writeOnly" => {}
                _ => {
                    rest.insert(keyword.clone(), value.clone());
                }
            }
        }
        if !rest.is_empty() {
            if let Some(defs) = self.root.get("$defs") {
                rest.insert("$defs".into(), defs.clone());
            }
            let validator = jsonschema::options()
                .should_validate_formats(true)
                .build(&Value::Object(rest))
                .map_err(|e| PlanError {
                    pointer: pointer.to_owned(),
                    message: e.to_string(),
                })?;
            rules.push(Rule::Schema(std::sync::Arc::new(validator)));
        }
        Ok(rules)
    }
}

/// `type` as Laravel rules: `null` among the types makes the field `nullable`.
fn type_rules(value: &Value, element: bool) -> Vec<Rule> {
    let names: Vec<&str> = match value {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut types: Vec<Type> = Vec::new();
    for name in &names {
        let t = match *name {
            "string" => Type::String,
            "integer" => Type::Integer,
            "number" => Type::Number,
            "boolean" => Type::Boolean,
            "object" | "array" => Type::Array,
            _ => Type::Null,
        };
        if !types.contains(&t) {
            types.push(t);
        }
    }
    let nullable = types.contains(&Type::Null);
    types.retain(|t| *t != Type::Null);
    let mut rules = Vec::new();
    if nullable {
        rules.push(Rule::Nullable);
    }
    match types.as_slice() {
        [] => {}
        [Type::Array] if element && names.iter().all(|n| *n == "object") => {}
        [Type::String] => rules.push(Rule::String),
        [Type::Integer] => rules.push(Rule::Integer),
        [Type::Number] => rules.push(Rule::Numeric),
        [Type::Boolean] => rules.push(Rule::Boolean),
        [Type::Array] => rules.push(Rule::Array),
        several => rules.push(Rule::AnyType(several.to_vec())),
    }
    rules
}

/// A JSON value as the string Laravel's `in:` compares with (PHP's `(string)`).
fn php_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "1".into(),
        Value::Bool(false) | Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The property names of an `anyOf` whose branches are each `{"required": [name]}`:
/// Laravel's `required_without`.
fn required_alternatives(schema: &Value) -> Option<Vec<&str>> {
    let branches = schema.as_array()?;
    let names: Option<Vec<&str>> = branches
        .iter()
        .map(|b| match b.get("required")?.as_array()?.as_slice() {
            [Value::String(name)] if b.as_object()?.len() == 1 => Some(name.as_str()),
            _ => None,
        })
        .collect();
    names.filter(|n| n.len() >= 2)
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(plan: &Plan) -> Vec<String> {
        plan.entries()
            .iter()
            .map(|(p, rules)| {
                let attr: Vec<String> = p
                    .iter()
                    .map(|s| match s {
                        Segment::Key(k) => k.clone(),
                        Segment::Star => "*".into(),
                    })
                    .collect();
                let rules: Vec<String> = rules
                    .iter()
                    .map(|r| match r {
                        Rule::Max(n) => format!("max:{n}"),
                        Rule::Min(n) => format!("min:{n}"),
                        Rule::In(v) => format!("in:{}", v.join(",")),
                        r => r.name().to_lowercase(),
                    })
                    .collect();
                format!("{} => {}", attr.join("."), rules.join("|"))
            })
            .collect()
    }

    #[test]
    fn a_plain_entry_knows_its_attribute_and_whether_an_earlier_one_can_name_it() {
        let key = |s: &str| Segment::Key(s.into());
        let plan = Plan::of(vec![
            (vec![key("a")], vec![Rule::OnlyKeys(vec!["x".into()])]),
            (vec![key("a"), key("x")], vec![Rule::String]),
            // Not a known key of `a`: an unknown key there may already be prohibited.
            (vec![key("a"), key("y")], vec![Rule::String]),
            (vec![key("b")], vec![Rule::Required]),
            (vec![key("b")], vec![Rule::String]),
            (vec![key("c"), Segment::Star], vec![Rule::String]),
            (vec![key("billingId")], vec![Rule::String]),
        ]);
        let named = |i: usize| plan.path(i).map(|(path, alone)| (path.to_vec(), alone));
        assert_eq!(named(0), None);
        assert_eq!(
            named(1),
            Some((vec![Key::from_str("a"), Key::from_str("x")], true))
        );
        assert_eq!(
            named(2),
            Some((vec![Key::from_str("a"), Key::from_str("y")], false))
        );
        assert_eq!(named(3), Some((vec![Key::from_str("b")], true)));
        assert_eq!(named(4), Some((vec![Key::from_str("b")], false)));
        assert_eq!(named(5), None);
        // How messages show each attribute with a path, written once.
        assert_eq!(plan.shown(1), Some("a.x"));
        assert_eq!(plan.shown(5), None);
        assert_eq!(plan.shown(6), Some("billing id"));
    }

    #[test]
    fn the_create_schema_is_the_contracts_rules() {
        let doc: Value =
            serde_json::from_str(include_str!("../../schemas/user-create.schema.json")).unwrap();
        assert_eq!(
            shown(&Plan::compile(&doc).unwrap()),
            [
                "login => required|string|max:255",
                "password => required|string",
                "type => required|string|max:255",
                "status => required|string|max:255",
                "billing_info => nullable|array",
                "billing_info.billing_id => nullable|string",
                "billing_info.billing_extra => nullable|array",
                "billing_properties => nullable|array",
                "billing_properties.*.type => required|string|max:255",
                "billing_properties.*.value => required|string|max:255",
            ]
        );
    }

    #[test]
    fn keywords_map_to_laravel_rules_in_schema_order() {
        let doc = serde_json::json!({
            "type": "object",
            "required": ["a"],
            "properties": {
                "a": {"maxLength": 3, "type": "string", "enum": ["x", 1, true]},
                "n": {"type": ["integer", "null"], "minimum": 0},
                "l": {"type": "array", "minItems": 1, "items": {"type": "string"}},
                "u": {"type": ["integer", "string"]},
                "o": {"not": {"const": 5}}
            },
            "anyOf": [{"required": ["x"]}, {"required": ["y"]}]
        });
        let plan = Plan::compile(&doc).unwrap();
        assert_eq!(
            shown(&plan),
            [
                "a => required|max:3|string|in:x,1,1",
                "n => nullable|integer|min:0",
                "l => array|min:1",
                "l.* => string",
                "u => anytype",
                "o => regex",
                "x => requiredwithout",
                "y => ",
            ]
        );
    }
}

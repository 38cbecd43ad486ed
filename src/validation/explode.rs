//! Laravel's wildcard explosion (`ValidationRuleParser::explodeRules` over
//! `ValidationData::initializeAndGatherData`): which attributes a rules array names for a
//! given input, in Laravel's order, with `data_set`'s and `Arr::dot`'s quirks. Attributes are
//! key paths, so a key holding `.` or `*` is never split.

use std::borrow::Cow;
use std::collections::HashSet;

use super::Overload;
use super::late_index::LateIndex;
use super::plan::{Plan, Rule};
use crate::php::{Array, Key, Value};

/// Most attributes one validation may expand to (leaves gathered included). Laravel 10
/// validating a list of 15,000 non-objects against `billing_properties.*.type` and `.value`
/// (30,000 attributes) took 14.5 s on the CI machine, and 20,000 (40,000 attributes) ran
/// into PHP's 30 s `max_execution_time`: its answer was `500 Server Error`.
const MAX_ATTRIBUTES: usize = 32_768;
/// Most bytes of attribute keys one validation may expand to: long keys repeated under a
/// wildcard would otherwise multiply a 1 MiB body into gigabytes (as PHP would hit its
/// `memory_limit`).
const MAX_KEY_BYTES: usize = 16 << 20;

/// What is left of one validation's expansion bound.
struct Budget {
    attributes: usize,
    key_bytes: usize,
}

impl Budget {
    fn new() -> Self {
        Budget {
            attributes: MAX_ATTRIBUTES,
            key_bytes: MAX_KEY_BYTES,
        }
    }

    /// Takes one attribute of these keys out of the budget.
    fn take(&mut self, keys: &[Key]) -> Result<(), Overload> {
        let bytes: usize = keys.iter().map(|k| k.byte_len() + 1).sum();
        self.attributes = self.attributes.checked_sub(1).ok_or(Overload)?;
        self.key_bytes = self.key_bytes.checked_sub(bytes).ok_or(Overload)?;
        Ok(())
    }
}

/// One attribute to validate, after the explosion.
pub(super) struct Attribute<'p> {
    /// Its key path: the plan's own for an attribute a plain pattern names.
    pub(super) keys: Cow<'p, [Key]>,
    /// Its text when the plan has it written (a plain pattern's), else built when needed.
    pub(super) text: Option<&'p str>,
    /// Its text `Str::snake`'d as messages show it, when the plan has it written.
    pub(super) shown: Option<&'p str>,
    pub(super) rules: AttributeRules<'p>,
    /// The wildcard pattern it was reached through (Laravel's implicit attributes).
    pub(super) primary: Option<usize>,
}

/// An attribute's rules: its plan entry's, borrowed (nearly always), or the rules of
/// several entries naming the same attribute, merged in order (Laravel's `mergeRules`).
pub(super) enum AttributeRules<'p> {
    Entry(&'p [Rule]),
    Merged(Vec<&'p Rule>),
}

impl<'p> AttributeRules<'p> {
    /// The rules, in order.
    pub(super) fn iter(&self) -> impl Iterator<Item = &'p Rule> + '_ {
        let (entry, merged): (&'p [Rule], &[&'p Rule]) = match self {
            AttributeRules::Entry(rules) => (rules, &[]),
            AttributeRules::Merged(rules) => (&[], rules),
        };
        entry.iter().chain(merged.iter().copied())
    }

    /// Appends `more` after these.
    fn extend(&mut self, more: AttributeRules<'p>) {
        if let AttributeRules::Entry(rules) = *self {
            *self = AttributeRules::Merged(rules.iter().collect());
        }
        if let AttributeRules::Merged(rules) = self {
            rules.extend(more.iter());
        }
    }
}

/// The attributes `plan` names for `data`, in Laravel's order.
///
/// # Errors
/// [`Overload`] when the expansion grows past what Laravel could validate within PHP's
/// limits.
pub(super) fn explode<'p>(plan: &'p Plan, data: &Array) -> Result<Attributes<'p>, Overload> {
    let mut budget = Budget::new();
    let mut explicit = Attributes::default();
    // About one attribute per plan entry: sized once rather than grown from empty.
    explicit.list.reserve(plan.entries().len());
    let mut expanded = Attributes::default();
    for (index, (_, rules)) in plan.entries().iter().enumerate() {
        if let [Rule::OnlyKeys(known)] = rules.as_slice() {
            for keys in expand_prefix(plan.keyed(index), data, &mut budget)? {
                let object = if keys.is_empty() {
                    data
                } else {
                    match lookup(data, &keys) {
                        Some(Value::Array(object)) => object,
                        _ => continue,
                    }
                };
                for (key, _) in object.iter() {
                    if !known.iter().any(|k| key.matches(k)) {
                        let mut path = keys.clone();
                        path.push(key.clone());
                        budget.take(&path)?;
                        explicit.merge(path.into(), std::slice::from_ref(&PROHIBITED), None);
                    }
                }
            }
            continue;
        }
        match plan.path(index) {
            Some((path, alone)) => {
                let attribute = Attribute {
                    keys: Cow::Borrowed(path),
                    text: Some(plan.text(index)),
                    shown: plan.shown(index),
                    rules: AttributeRules::Entry(rules),
                    primary: None,
                };
                if alone {
                    // No attribute before it can have these keys: nothing to look for.
                    explicit.push(attribute);
                } else {
                    explicit.add(attribute);
                }
            }
            // A pattern with a `*`: whatever the input has there.
            None => {
                let found = gather(plan.keyed(index), data, &mut budget)?;
                if !found.is_empty() {
                    explicit.implicit.push(plan.text(index));
                }
                for keys in found {
                    expanded.merge(keys.into(), rules, Some(index));
                }
            }
        }
    }
    // Laravel appends wildcard expansions after every explicit rule, unless one names the
    // same attribute, whose rules then continue there.
    for attribute in expanded.list {
        explicit.add(attribute);
    }
    Ok(explicit)
}

static PROHIBITED: Rule = Rule::Prohibited;

/// Attributes in order, found by their keys (a scan, then an index: [`LateIndex`]).
#[derive(Default)]
pub(super) struct Attributes<'p> {
    pub(super) list: Vec<Attribute<'p>>,
    /// Where each attribute is in `list`, by its keys.
    index: LateIndex<Vec<Key>>,
    /// The wildcard patterns that matched something (the keys of Laravel's
    /// `implicitAttributes`), as text.
    pub(super) implicit: Vec<&'p str>,
}

impl<'p> Attributes<'p> {
    fn merge(&mut self, keys: Cow<'p, [Key]>, rules: &'p [Rule], primary: Option<usize>) {
        self.add(Attribute {
            keys,
            text: None,
            shown: None,
            rules: AttributeRules::Entry(rules),
            primary,
        });
    }

    /// Appends an attribute, or its rules to the one with the same keys (Laravel's
    /// `mergeRules`).
    fn add(&mut self, attribute: Attribute<'p>) {
        match self.position(&attribute.keys) {
            Some(i) => self.list[i].rules.extend(attribute.rules),
            None => self.push(attribute),
        }
    }

    /// Appends an attribute known to be new.
    fn push(&mut self, attribute: Attribute<'p>) {
        self.list.push(attribute);
        self.index.pushed(&self.list, |a| a.keys.to_vec());
    }

    /// Where the attribute with these keys is.
    pub(super) fn position(&self, keys: &[Key]) -> Option<usize> {
        self.index.position(&self.list, keys, |a| &*a.keys)
    }
}

/// The concrete arrays an `additionalProperties: false` pattern names.
fn expand_prefix(
    pattern: &[Option<Key>],
    data: &Array,
    budget: &mut Budget,
) -> Result<Vec<Vec<Key>>, Overload> {
    if let Some(keys) = pattern.iter().cloned().collect::<Option<Vec<Key>>>() {
        return Ok(vec![keys]);
    }
    gather(pattern, data, budget)
}

/// The attributes a wildcard pattern (its keys as PHP keys them, `None` for `*`) expands
/// to, in Laravel's order (`ValidationData::initializeAndGatherData` then the pattern
/// match).
fn gather(
    pattern: &[Option<Key>],
    data: &Array,
    budget: &mut Budget,
) -> Result<Vec<Vec<Key>>, Overload> {
    let star = pattern
        .iter()
        .position(Option::is_none)
        .unwrap_or(pattern.len());
    // Sized for the whole pattern: the walk below pushes a key per segment after the `*`.
    let mut path: Vec<Key> = Vec::with_capacity(pattern.len());
    path.extend(pattern[..star].iter().flatten().cloned());
    // extractDataFromPath: nothing at all when the explicit part is missing.
    let root: Value;
    let start: &Value = if path.is_empty() {
        root = Value::Array(data.clone());
        &root
    } else {
        match lookup(data, &path) {
            Some(v) => v,
            None => return Ok(Vec::new()),
        }
    };
    let mut leaves = Leaves {
        list: Vec::with_capacity(4),
        budget,
    };
    if matches!(pattern.last(), Some(None)) {
        dot_leaves(start, &mut path, &mut leaves)?;
    } else {
        set_leaves(start, &pattern[star..], &mut path, &mut leaves)?;
    }
    let mut leaves = leaves.list;
    if leaves.iter().all(|leaf| leaf.len() <= pattern.len()) {
        // Nothing longer than the pattern: nothing to extract (the usual case).
        leaves.retain(|leaf| matches_pattern(leaf, pattern, true));
        return Ok(leaves);
    }
    // extractValuesForWildcards: prefixes of longer leaves that match with non-empty keys,
    // each once, appended unless already a leaf.
    let mut seen: HashSet<&[Key], foldhash::fast::RandomState> = leaves
        .iter()
        .filter(|leaf| leaf.len() == pattern.len())
        .map(Vec::as_slice)
        .collect();
    let mut extracted: Vec<Vec<Key>> = Vec::new();
    for leaf in &leaves {
        if leaf.len() > pattern.len() {
            let prefix = &leaf[..pattern.len()];
            if matches_pattern(prefix, pattern, false) && seen.insert(prefix) {
                extracted.push(prefix.to_vec());
            }
        }
    }
    drop(seen);
    leaves.extend(extracted);
    leaves.retain(|leaf| matches_pattern(leaf, pattern, true));
    Ok(leaves)
}

/// Leaves found so far, within the budget.
struct Leaves<'b> {
    list: Vec<Vec<Key>>,
    budget: &'b mut Budget,
}

impl Leaves<'_> {
    fn push(&mut self, path: &[Key]) -> Result<(), Overload> {
        self.budget.take(path)?;
        self.list.push(path.to_vec());
        Ok(())
    }
}

/// `Arr::dot`: every path to a non-array or an empty array, in order.
fn dot_leaves(value: &Value, path: &mut Vec<Key>, out: &mut Leaves<'_>) -> Result<(), Overload> {
    match value {
        Value::Array(array) if !array.is_empty() => {
            for (key, child) in array.iter() {
                path.push(key.clone());
                dot_leaves(child, path, out)?;
                path.pop();
            }
            Ok(())
        }
        _ => out.push(path),
    }
}

/// The leaves `Arr::dot` finds after `data_set($data, $pattern, null, true)`, as far as
/// they can match the pattern: every place the pattern reaches gets a leaf (created where it
/// was missing, a non-array in the way replaced by an array).
fn set_leaves(
    value: &Value,
    rest: &[Option<Key>],
    path: &mut Vec<Key>,
    out: &mut Leaves<'_>,
) -> Result<(), Overload> {
    let Some((segment, more)) = rest.split_first() else {
        return out.push(path);
    };
    match (segment, value) {
        (None, Value::Array(array)) => {
            if array.is_empty() {
                out.push(path)?;
            }
            for (key, child) in array.iter() {
                path.push(key.clone());
                set_leaves(child, more, path, out)?;
                path.pop();
            }
            Ok(())
        }
        // A non-array under `*` becomes `[]`, which `Arr::dot` keeps as a leaf.
        (None, _) => out.push(path),
        (Some(key), Value::Array(array)) => {
            path.push(key.clone());
            let found = match array.get(key) {
                Some(child) if !more.is_empty() => set_leaves(child, more, path, out),
                _ => set_leaves(&Value::Array(Array::new()), more, path, out),
            };
            path.pop();
            found
        }
        // An uploaded file is an object: `data_set` sets a property, `Arr::dot` stops there.
        (Some(_), Value::File(_)) => out.push(path),
        (Some(key), _) => {
            path.push(key.clone());
            let found = set_leaves(&Value::Array(Array::new()), more, path, out);
            path.pop();
            found
        }
    }
}

/// Whether a key path matches a pattern: literal segments equal, `*` any key (`[^.]*`), or
/// with `empty_stars == false` any non-empty key (`[^.]+`). A key holding `.` or `*` is
/// escaped by Laravel, so it never equals a literal.
fn matches_pattern(keys: &[Key], pattern: &[Option<Key>], empty_stars: bool) -> bool {
    keys.len() == pattern.len()
        && keys
            .iter()
            .zip(pattern)
            .all(|(key, segment)| match segment {
                None => empty_stars || !matches!(key, Key::Str(s) if s.is_empty()),
                Some(literal) => key == literal,
            })
}

/// The value at a key path.
pub(super) fn lookup<'a>(data: &'a Array, keys: &[Key]) -> Option<&'a Value> {
    let (first, rest) = keys.split_first()?;
    descend(data.get(first)?, rest)
}

/// The value at `keys` under `value` (itself for no keys).
pub(super) fn descend<'a>(value: &'a Value, keys: &[Key]) -> Option<&'a Value> {
    keys.iter()
        .try_fold(value, |value, key| value.as_array()?.get(key))
}

/// `Arr::get($data, $attribute)` with the attribute as text: split on dots, each part a
/// key (a key holding a dot is escaped in Laravel's data, so it is never found this way).
pub(super) fn lookup_text<'a>(data: &'a Array, text: &str) -> Option<&'a Value> {
    let mut parts = text.split('.');
    let mut value = data.get(&Key::from_str(parts.next()?))?;
    for part in parts {
        value = value.as_array()?.get(&Key::from_str(part))?;
    }
    Some(value)
}

/// The attribute as Laravel prints it: its keys joined with dots.
pub(super) fn text(keys: &[Key]) -> String {
    // Sized once: an integer key counts 20 bytes, the most an i64 takes.
    let len = keys
        .iter()
        .map(|k| match k {
            Key::Int(_) => 21,
            Key::Str(s) => 1 + s.len(),
        })
        .sum();
    let mut out = String::with_capacity(len);
    for (i, key) in keys.iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        match key {
            Key::Int(n) => out.push_str(itoa::Buffer::new().format(*n)),
            Key::Str(s) => out.push_str(s),
        }
    }
    out
}

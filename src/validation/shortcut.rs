//! The shortcut for input that passes: the plan's attributes visited in one pass over the
//! input, each rule asked whether it holds, with nothing built for messages (no wildcard
//! explosion into key paths, no attribute text, no failed-rules map).
//!
//! It never words an error: at the first rule that fails, or at anything it was not built
//! for, it answers "not sure" and the full [`engine`](super::engine) runs, so every 422 is
//! still Laravel's. It only answers "passes" where the engine finds nothing, which debug
//! builds check on every call (`Rules::validate` in `validation/mod.rs`). That holds
//! because the shortcut visits every attribute the explosion would name (and perhaps more,
//! which can only make it stricter) and asks the engine's own predicates ([`Checker`]):
//! - a plain pattern (`billing_info.billing_id`) names itself, as in the explosion;
//! - a pattern with one `*` between keys (`billing_properties.*.type`) names, when the part
//!   before the `*` is a non-empty array, one attribute per key of that array (the
//!   explosion's leaves are never longer than the pattern, and the `*` matches any key);
//!   when it is missing, empty or not an array, none;
//! - an `additionalProperties: false` object passes only with none but its listed keys;
//! - a plan where two patterns can name the same attribute (whose rules Laravel merges), or
//!   with a `*` first or last, gets no shortcut;
//! - input that expands past a small bound falls back, so the engine's own bounds (a 500
//!   for more than Laravel could validate) still decide.

use super::engine::{Checker, Traits};
use super::explode::descend;
use super::plan::{Rule, Segment};
use crate::php::{Array, Key, Value};

/// Attributes one shortcut pass visits at most before leaving the input to the engine,
/// far below the engine's own bound on expansion.
const MAX_ATTRIBUTES: usize = 256;
/// Bytes of keys under `*` one pass visits at most.
const MAX_KEY_BYTES: usize = 16 << 10;
/// Top-level fields one pass finds once each and remembers (`billing_info` is the start of
/// four steps of the create plan); a plan naming more finds the others at every step.
const ROOTS: usize = 16;

/// A plan's attributes as the shortcut visits them, built once with the plan.
#[derive(Debug, Clone)]
pub(super) struct Shortcut {
    steps: Vec<Step>,
}

#[derive(Debug, Clone)]
struct Step {
    /// The plan entry.
    index: usize,
    reach: Reach,
    traits: Traits,
    /// Which of the remembered top-level fields its path starts with, if any.
    root: Option<usize>,
}

/// The top-level fields found so far in one pass, by [`Step::root`].
struct Roots<'a> {
    found: [Option<Option<&'a Value>>; ROOTS],
}

impl<'a> Roots<'a> {
    /// The value at `keys`, its top-level field found once per pass when `root` says which.
    fn lookup(&mut self, data: &'a Array, root: Option<usize>, keys: &[Key]) -> Option<&'a Value> {
        let (first, rest) = keys.split_first()?;
        let top = match root.and_then(|r| self.found.get_mut(r)) {
            Some(slot) => *slot.get_or_insert_with(|| data.get(first)),
            None => data.get(first),
        };
        descend(top?, rest)
    }
}

#[derive(Debug, Clone)]
enum Reach {
    /// A plain attribute.
    Path(Vec<Key>),
    /// `prefix.*.rest`: every key of the array at `prefix`.
    Each { prefix: Vec<Key>, rest: Vec<Key> },
    /// An object that takes no other keys than these (as PHP keys them: `"5"` is `Int(5)`).
    Only { path: Vec<Key>, known: Vec<Key> },
}

fn keys(segments: &[Segment]) -> Option<Vec<Key>> {
    segments.iter().map(Segment::key).collect()
}

/// Whether two patterns can name the same attribute.
fn overlap(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Segment::Star, _) | (_, Segment::Star) => true,
            (Segment::Key(x), Segment::Key(y)) => Key::from_str(x) == Key::from_str(y),
        })
}

impl Shortcut {
    /// The shortcut of a plan's entries, or `None` when the plan has a shape it was not
    /// built for.
    pub(super) fn compile(entries: &[(Vec<Segment>, Vec<Rule>)]) -> Option<Shortcut> {
        let mut steps = Vec::with_capacity(entries.len());
        // The distinct top-level keys the steps start with, in order.
        let mut firsts: Vec<Key> = Vec::new();
        for (index, (pattern, rules)) in entries.iter().enumerate() {
            let reach = if let [Rule::OnlyKeys(known)] = rules.as_slice() {
                Reach::Only {
                    path: keys(pattern)?,
                    known: known.iter().map(|k| Key::from_str(k)).collect(),
                }
            } else {
                let others = entries.iter().enumerate().filter(|(i, (_, r))| {
                    *i != index && !matches!(r.as_slice(), [Rule::OnlyKeys(_)])
                });
                if others
                    .into_iter()
                    .any(|(_, (other, _))| overlap(pattern, other))
                {
                    return None;
                }
                match pattern.iter().position(|s| *s == Segment::Star) {
                    None => Reach::Path(keys(pattern)?),
                    Some(star) if star > 0 && star + 1 < pattern.len() => Reach::Each {
                        prefix: keys(&pattern[..star])?,
                        rest: keys(&pattern[star + 1..])?,
                    },
                    Some(_) => return None,
                }
            };
            let first = match &reach {
                Reach::Path(keys) => keys.first(),
                Reach::Each { prefix, .. } => prefix.first(),
                Reach::Only { path, .. } => path.first(),
            };
            let root = first.map(|key| match firsts.iter().position(|k| k == key) {
                Some(i) => i,
                None => {
                    firsts.push(key.clone());
                    firsts.len() - 1
                }
            });
            steps.push(Step {
                index,
                reach,
                traits: Traits::of(rules),
                root: root.filter(|&r| r < ROOTS),
            });
        }
        Some(Shortcut { steps })
    }

    /// `true` when the input certainly passes every rule; `false` when it fails one or the
    /// shortcut cannot tell.
    pub(super) fn passes(&self, check: &Checker<'_>) -> bool {
        let entries = check.plan.entries();
        let mut visited = 0usize;
        let mut key_bytes = 0usize;
        // The attribute's keys under a `*`, one buffer for every such step.
        let mut starred: Vec<Key> = Vec::new();
        let mut roots = Roots {
            found: [None; ROOTS],
        };
        for step in &self.steps {
            let rules = &entries[step.index].1;
            match &step.reach {
                Reach::Path(keys) => {
                    let value = roots.lookup(check.data, step.root, keys);
                    if !holds(check, keys, None, step.traits, rules, value) {
                        return false;
                    }
                }
                Reach::Each { prefix, rest } => {
                    let Some(Value::Array(items)) = roots.lookup(check.data, step.root, prefix)
                    else {
                        continue;
                    };
                    starred.clear();
                    starred.extend_from_slice(prefix);
                    starred.push(Key::Int(0));
                    starred.extend_from_slice(rest);
                    for (key, item) in items.iter() {
                        visited += 1;
                        key_bytes += key.byte_len();
                        if visited > MAX_ATTRIBUTES || key_bytes > MAX_KEY_BYTES {
                            return false;
                        }
                        starred[prefix.len()] = key.clone();
                        let value = descend(item, rest);
                        if !holds(check, &starred, Some(step.index), step.traits, rules, value) {
                            return false;
                        }
                    }
                }
                Reach::Only { path, known } => {
                    let object = if path.is_empty() {
                        Some(check.data)
                    } else {
                        roots
                            .lookup(check.data, step.root, path)
                            .and_then(Value::as_array)
                    };
                    if object
                        .is_some_and(|object| object.iter().any(|(key, _)| !known.contains(key)))
                    {
                        return false;
                    }
                }
            }
        }
        true
    }
}

/// Whether every rule of one attribute holds where Laravel checks it.
fn holds(
    check: &Checker<'_>,
    keys: &[Key],
    primary: Option<usize>,
    traits: Traits,
    rules: &[Rule],
    value: Option<&Value>,
) -> bool {
    rules.iter().all(|rule| {
        matches!(rule, Rule::Nullable)
            || !Checker::validatable(traits, rule, value, true)
            || check.passes(keys, primary, traits, rule, value)
    })
}

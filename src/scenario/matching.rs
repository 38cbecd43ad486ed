//! Rule matching: the `match` language (literal / `regex` / `exists` / `contains`, body
//! subsets, `nth`, `every`, seeded `probability`) and the per-rule counters.
//!
//! Counters live in a [`RuleEngine`], one per session runtime, behind one mutex held only
//! while the rules are evaluated.

use std::sync::Arc;

use hyper::Method;
use hyper::header::HeaderMap;
use parking_lot::Mutex;
use regex::Regex;
use serde_json::Value;

use super::{Delay, Respond, Scenario};

/// A `match` object. Every given part must hold.
#[derive(Debug, Default, Clone)]
pub(crate) struct Matcher {
    /// `method`.
    pub method: Option<Method>,
    /// `path` (compared without a trailing slash).
    pub path: Option<TextMatch>,
    /// `headers`, names lower-cased.
    pub headers: Vec<(String, TextMatch)>,
    /// `body`: a subset of the JSON body.
    pub body: Option<BodyMatch>,
    /// `nth`: only the Nth request matching the rest.
    pub nth: Option<u64>,
    /// `every`: each k-th request matching the rest.
    pub every: Option<u64>,
    /// `probability` of matching, drawn from a generator seeded with `seed`.
    pub probability: Option<f64>,
    /// `seed` (default 0).
    pub seed: u64,
}

/// A string condition (method, path, header).
#[derive(Debug, Clone)]
pub(crate) enum TextMatch {
    /// Equal to this text.
    Equals(String),
    /// An operator.
    Op(Operator),
}

/// `{"regex": ...}`, `{"exists": ...}`, `{"contains": ...}`.
#[derive(Debug, Clone)]
pub(crate) enum Operator {
    /// The value is a string (or number) the regex finds a match in.
    Regex(Regex),
    /// The key is present (`true`) or absent (`false`).
    Exists(bool),
    /// A string containing this text, or a list containing this element.
    Contains(Value),
}

/// A body condition.
#[derive(Debug, Clone)]
pub(crate) enum BodyMatch {
    /// Equal to this JSON value.
    Literal(Value),
    /// An operator.
    Op(Operator),
    /// An object whose listed keys each match (other keys are ignored).
    Object(Vec<(String, BodyMatch)>),
}

/// What a matcher looks at.
pub(crate) struct RequestView<'a> {
    /// Method.
    pub method: &'a Method,
    /// Path, without the query string.
    pub path: &'a str,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// The JSON body as sent, if it parsed.
    pub body: Option<&'a Value>,
}

impl Matcher {
    /// Whether the static parts (method, path, headers, body) hold; counters aside.
    pub(crate) fn matches(&self, req: &RequestView<'_>) -> bool {
        if self.method.as_ref().is_some_and(|m| m != req.method) {
            return false;
        }
        if let Some(p) = &self.path {
            let path = trim_path(req.path);
            let ok = match p {
                TextMatch::Equals(want) => trim_path(want) == path,
                TextMatch::Op(op) => op.matches_text(path),
            };
            if !ok {
                return false;
            }
        }
        for (name, cond) in &self.headers {
            let values: Vec<&str> = req
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            let ok = match cond {
                TextMatch::Equals(want) => values.iter().any(|v| v == want),
                TextMatch::Op(Operator::Exists(want)) => values.is_empty() != *want,
                TextMatch::Op(op) => values.iter().any(|v| op.matches_text(v)),
            };
            if !ok {
                return false;
            }
        }
        match &self.body {
            None => true,
            Some(cond) => cond.matches(req.body),
        }
    }

    /// Whether this matcher uses counters or chance.
    pub(crate) fn is_static(&self) -> bool {
        self.nth.is_none() && self.every.is_none() && self.probability.is_none()
    }
}

impl Operator {
    /// Matches a header value or a path: text that is present.
    fn matches_text(&self, text: &str) -> bool {
        match self {
            Operator::Exists(want) => *want,
            Operator::Regex(re) => re.is_match(text),
            Operator::Contains(Value::String(needle)) => text.contains(needle.as_str()),
            Operator::Contains(_) => false,
        }
    }

    fn matches(&self, value: Option<&Value>) -> bool {
        match self {
            Operator::Exists(want) => value.is_some() == *want,
            Operator::Regex(re) => match value {
                Some(Value::String(s)) => re.is_match(s),
                Some(Value::Number(n)) => re.is_match(&n.to_string()),
                _ => false,
            },
            Operator::Contains(needle) => match (value, needle) {
                (Some(Value::String(s)), Value::String(n)) => s.contains(n.as_str()),
                (Some(Value::Array(items)), n) => items.contains(n),
                (Some(Value::Object(map)), Value::String(key)) => map.contains_key(key),
                _ => false,
            },
        }
    }
}

impl BodyMatch {
    fn matches(&self, value: Option<&Value>) -> bool {
        match self {
            BodyMatch::Literal(want) => value == Some(want),
            BodyMatch::Op(op) => op.matches(value),
            BodyMatch::Object(fields) => match value {
                Some(Value::Object(map)) => fields.iter().all(|(k, m)| m.matches(map.get(k))),
                _ => false,
            },
        }
    }
}

/// SplitMix64: tiny, seedable, reproducible.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub(crate) fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[derive(Debug)]
struct Counter {
    /// Requests that matched the static parts.
    seen: u64,
    /// Times the rule answered.
    answered: u64,
    rng: SplitMix64,
}

/// The rule that answered a request.
#[derive(Debug, Clone)]
pub(crate) struct Decision {
    /// The rule's label (name or index).
    pub label: Arc<str>,
    /// What it answers.
    pub respond: Respond,
    /// The delay drawn for this answer, in milliseconds.
    pub delay_ms: u64,
}

/// A scenario's rules with their counters.
#[derive(Debug)]
pub(crate) struct RuleEngine {
    scenario: Arc<Scenario>,
    counters: Mutex<Vec<Counter>>,
}

impl RuleEngine {
    /// Fresh counters for `scenario`.
    pub(crate) fn new(scenario: Arc<Scenario>) -> Self {
        let counters = scenario
            .rules
            .iter()
            .map(|r| Counter {
                seen: 0,
                answered: 0,
                rng: SplitMix64::new(r.matcher.seed),
            })
            .collect();
        RuleEngine {
            scenario,
            counters: Mutex::new(counters),
        }
    }

    /// Whether the scenario has any rule at all (most have none: then nothing is counted).
    pub(crate) fn has_rules(&self) -> bool {
        !self.scenario.rules().is_empty()
    }

    /// The first rule that answers this request. Every rule whose static parts match counts
    /// the request (for `nth` and `every`), even when an earlier rule answers it, so that
    /// "the Nth request matching this rule" means what it says.
    pub(crate) fn evaluate(&self, req: &RequestView<'_>) -> Option<Decision> {
        let mut counters = self.counters.lock();
        let mut decision = None;
        for (rule, counter) in self.scenario.rules().iter().zip(counters.iter_mut()) {
            if rule.times.is_some_and(|t| counter.answered >= t) {
                continue;
            }
            let m = &rule.matcher;
            if m.is_static() && decision.is_some() {
                // Nothing to count, and the request is already answered.
                continue;
            }
            if !m.matches(req) {
                continue;
            }
            counter.seen += 1;
            if decision.is_some()
                || m.nth.is_some_and(|n| counter.seen != n)
                || m.every.is_some_and(|k| counter.seen % k != 0)
                || m.probability.is_some_and(|p| counter.rng.next_f64() >= p)
            {
                continue;
            }
            counter.answered += 1;
            let delay_ms = match rule.respond.delay {
                None => 0,
                Some(Delay::Fixed(ms)) => ms,
                Some(Delay::Range { min, max }) => min + counter.rng.next_u64() % (max - min + 1),
            };
            decision = Some(Decision {
                label: Arc::clone(&rule.label),
                respond: rule.respond.clone(),
                delay_ms,
            });
        }
        decision
    }
}

/// One rule's counters, as the dashboard shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuleCount {
    /// The rule's label (name or index).
    pub label: Arc<str>,
    /// Requests its match selected (what `nth` and `every` count).
    pub seen: u64,
    /// Requests it answered.
    pub answered: u64,
    /// Its `times` limit, if any.
    pub times: Option<u64>,
}

impl RuleEngine {
    /// Each rule's counters, in the scenario's order.
    pub(crate) fn counts(&self) -> Vec<RuleCount> {
        let counters = self.counters.lock();
        self.scenario
            .rules()
            .iter()
            .zip(counters.iter())
            .map(|(rule, c)| RuleCount {
                label: Arc::clone(&rule.label),
                seen: c.seen,
                answered: c.answered,
                times: rule.times,
            })
            .collect()
    }
}

/// The path without a trailing slash (but `/` stays `/`): Laravel ignores trailing slashes.
pub(crate) fn trim_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_reproducible_and_roughly_uniform() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        let xs: Vec<f64> = (0..1000).map(|_| a.next_f64()).collect();
        let ys: Vec<f64> = (0..1000).map(|_| b.next_f64()).collect();
        assert_eq!(xs, ys);
        let below_half = xs.iter().filter(|x| **x < 0.5).count();
        assert!((400..600).contains(&below_half), "{below_half}");
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    }

    #[test]
    fn body_subset_and_operators() {
        let body = serde_json::json!({"login": "reject-me@x.com", "tags": ["a", "b"], "n": 5, "nested": {"k": "v"}});
        let check = |cond: BodyMatch| cond.matches(Some(&body));
        assert!(check(BodyMatch::Object(vec![(
            "login".into(),
            BodyMatch::Op(Operator::Regex(Regex::new("^reject-").unwrap()))
        )])));
        assert!(check(BodyMatch::Object(vec![(
            "tags".into(),
            BodyMatch::Op(Operator::Contains("b".into()))
        )])));
        assert!(check(BodyMatch::Object(vec![(
            "missing".into(),
            BodyMatch::Op(Operator::Exists(false))
        )])));
        assert!(check(BodyMatch::Object(vec![(
            "nested".into(),
            BodyMatch::Object(vec![("k".into(), BodyMatch::Literal("v".into()))])
        )])));
        assert!(!check(BodyMatch::Object(vec![(
            "n".into(),
            BodyMatch::Literal(6.into())
        )])));
        assert!(!BodyMatch::Object(vec![]).matches(None));
    }
}

//! The rules of a scenario file turned into the model: `match` (with its operator objects),
//! `respond` and the cross-field rules serde cannot say (one answer kind, `nth` xor `every`,
//! `seed` needs `probability`, `body` and `headers` need `status`, `hold_ms` needs `timeout`).

use std::time::Duration;

use hyper::StatusCode;
use hyper::header::{HeaderName, HeaderValue};
use regex::Regex;
use serde_json::{Map, Value};

use super::fields::{FaultName, join, kind};
use super::file::{DEFAULT_HOLD_MS, FileMatch, FileRespond, FileRule, MAX_WAIT_MS, MatchParts};
use super::matching::{BodyMatch, Matcher, Operator, TextMatch};
use super::{Action, Delay, Fault, Respond, ScenarioError, ScenarioRule};
use crate::validation::ErrorBag;

impl FileRule {
    pub(super) fn into_rule(
        self,
        source: &str,
        index: usize,
    ) -> Result<ScenarioRule, ScenarioError> {
        let path = format!("rules[{index}]");
        let matcher = match self.matcher {
            Some(m) => m.into_matcher(source, &join(&path, "match"))?,
            None => Matcher::default(),
        };
        let respond = self.respond;
        Ok(ScenarioRule {
            label: self.name.unwrap_or_else(|| index.to_string()).into(),
            matcher,
            times: self.times,
            respond: respond.into_respond(source, &join(&path, "respond"))?,
        })
    }
}

impl FileMatch {
    pub(super) fn into_matcher(self, source: &str, path: &str) -> Result<Matcher, ScenarioError> {
        let err = |at: &str, message: &str| ScenarioError::new(source, at, message);
        if self.nth.is_some() && self.every.is_some() {
            return Err(err(path, "nth and every cannot be combined: use one"));
        }
        if self.seed.is_some() && self.probability.is_none() {
            return Err(err(
                &join(path, "seed"),
                "seed only applies with probability",
            ));
        }
        let parts = MatchParts {
            method: self.method,
            path: self.path,
            headers: self.headers,
            body: self.body,
        };
        let mut matcher = parts.into_matcher(source, path)?;
        matcher.nth = self.nth;
        matcher.every = self.every;
        matcher.probability = self.probability;
        matcher.seed = self.seed.unwrap_or(0);
        Ok(matcher)
    }
}

impl MatchParts {
    pub(super) fn into_matcher(self, source: &str, path: &str) -> Result<Matcher, ScenarioError> {
        let mut headers = Vec::new();
        for (name, value) in self.headers.unwrap_or_default() {
            let at = join(&join(path, "headers"), &name);
            headers.push((name.to_ascii_lowercase(), text_match(source, &at, &value)?));
        }
        Ok(Matcher {
            method: self.method,
            path: self
                .path
                .map(|p| text_match(source, &join(path, "path"), &p))
                .transpose()?,
            headers,
            body: self
                .body
                .map(|b| body_match(source, &join(path, "body"), &b))
                .transpose()?,
            ..Matcher::default()
        })
    }
}

const OPERATORS: &str = "regex, exists, contains";

/// An operator object: exactly one of `regex`, `exists`, `contains`.
fn operator(
    source: &str,
    path: &str,
    m: &Map<String, Value>,
) -> Result<Option<Operator>, ScenarioError> {
    let mut entries = m.iter();
    let (Some((key, value)), None) = (entries.next(), entries.next()) else {
        return Ok(None);
    };
    let at = join(path, key);
    Ok(Some(match (key.as_str(), value) {
        ("regex", Value::String(text)) => Operator::Regex(Regex::new(text).map_err(|e| {
            // The regex crate puts the reason on the last line of its multi-line error.
            let text = e.to_string();
            let reason = text.lines().last().unwrap_or(&text).trim().to_owned();
            ScenarioError::new(source, at, format!("invalid regex: {reason}"))
        })?),
        ("regex", other) => {
            return Err(ScenarioError::new(
                source,
                at,
                format!("expected a string, found {}", kind(other)),
            ));
        }
        ("exists", Value::Bool(b)) => Operator::Exists(*b),
        ("exists", other) => {
            return Err(ScenarioError::new(
                source,
                at,
                format!("expected true or false, found {}", kind(other)),
            ));
        }
        ("contains", v) => Operator::Contains(v.clone()),
        _ => return Ok(None),
    }))
}

fn text_match(source: &str, path: &str, v: &Value) -> Result<TextMatch, ScenarioError> {
    let expected = format!("expected a string or one operator of {OPERATORS}");
    match v {
        Value::String(s) => Ok(TextMatch::Equals(s.clone())),
        Value::Object(m) => operator(source, path, m)?
            .map(TextMatch::Op)
            .ok_or_else(|| ScenarioError::new(source, path, expected)),
        other => Err(ScenarioError::new(
            source,
            path,
            format!("{expected}, found {}", kind(other)),
        )),
    }
}

fn body_match(source: &str, path: &str, v: &Value) -> Result<BodyMatch, ScenarioError> {
    match v {
        Value::Object(m) => {
            if let Some(op) = operator(source, path, m)? {
                return Ok(BodyMatch::Op(op));
            }
            let fields = m
                .iter()
                .map(|(k, v)| body_match(source, &join(path, k), v).map(|b| (k.clone(), b)))
                .collect::<Result<_, _>>()?;
            Ok(BodyMatch::Object(fields))
        }
        other => Ok(BodyMatch::Literal(other.clone())),
    }
}

impl FileRespond {
    fn into_respond(self, source: &str, path: &str) -> Result<Respond, ScenarioError> {
        let err = |at: String, message: String| ScenarioError::new(source, at, message);
        let delay = self
            .delay_ms
            .as_ref()
            .map(|v| delay(source, &join(path, "delay_ms"), v))
            .transpose()?;
        let kinds: Vec<&str> = [
            ("errors", self.errors.is_some()),
            ("status", self.status.is_some()),
            ("fault", self.fault.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        if kinds.len() > 1 {
            return Err(err(
                path.to_owned(),
                format!(
                    "{} cannot be combined: use one of errors, status, fault",
                    kinds.join(" and ")
                ),
            ));
        }
        for (key, given, needs) in [
            ("body", self.body.is_some(), "status"),
            ("headers", self.headers.is_some(), "status"),
            ("hold_ms", self.hold_ms.is_some(), "fault"),
        ] {
            if given && !kinds.contains(&needs) {
                return Err(err(join(path, key), format!("only applies with {needs}")));
            }
        }
        let action = if let Some(errors) = &self.errors {
            Action::Errors(errors_bag(source, &join(path, "errors"), errors)?)
        } else if let Some(code) = self.status {
            self.status_action(source, path, code)?
        } else if let Some(name) = self.fault {
            if self.hold_ms.is_some() && name != FaultName::Timeout {
                return Err(err(
                    join(path, "hold_ms"),
                    "only applies with fault timeout".into(),
                ));
            }
            Action::Fault(match name {
                FaultName::ConnectionReset => Fault::ConnectionReset,
                FaultName::EmptyResponse => Fault::EmptyResponse,
                FaultName::MalformedJson => Fault::MalformedJson,
                FaultName::Timeout => Fault::Timeout {
                    hold: Duration::from_millis(self.hold_ms.unwrap_or(DEFAULT_HOLD_MS)),
                },
            })
        } else if delay.is_some() {
            Action::Default
        } else {
            return Err(err(
                path.to_owned(),
                "expected one of errors, status, fault, or delay_ms alone".into(),
            ));
        };
        Ok(Respond { action, delay })
    }

    fn status_action(&self, source: &str, path: &str, code: u64) -> Result<Action, ScenarioError> {
        let at = join(path, "status");
        let status = u16::try_from(code)
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
            .ok_or_else(|| {
                ScenarioError::new(source, &at, format!("{code} is not an HTTP status"))
            })?;
        if self.body.is_some() && matches!(code, 204 | 304) {
            return Err(ScenarioError::new(
                source,
                join(path, "body"),
                format!("a {code} answer has no body"),
            ));
        }
        let mut headers = Vec::new();
        for (name, value) in self.headers.iter().flatten() {
            let at = join(&join(path, "headers"), name);
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ScenarioError::new(source, &at, "not a valid header name"))?;
            if FRAMING_HEADERS.contains(&header.as_str()) {
                return Err(ScenarioError::new(
                    source,
                    &at,
                    format!(
                        "{name} frames the message and is set by the server; remove it (refused: {})",
                        FRAMING_HEADERS.join(", ")
                    ),
                ));
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err(ScenarioError::new(
                        source,
                        at,
                        format!("expected a string or a number, found {}", kind(other)),
                    ));
                }
            };
            let value = HeaderValue::from_str(&text)
                .map_err(|_| ScenarioError::new(source, &at, "not a valid header value"))?;
            headers.push((header, value));
        }
        Ok(Action::Status {
            status,
            body: self.body.as_ref().map(|b| b.to_string().into()),
            headers,
        })
    }
}

/// Headers that decide where a message ends or what the connection does. A rule setting
/// one would desynchronise the client's reading of every later response on the connection.
const FRAMING_HEADERS: [&str; 8] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
];

fn errors_bag(source: &str, path: &str, v: &Value) -> Result<ErrorBag, ScenarioError> {
    let Value::Object(m) = v else {
        return Err(ScenarioError::new(
            source,
            path,
            format!("expected an object of field to messages, found {}", kind(v)),
        ));
    };
    if m.is_empty() {
        return Err(ScenarioError::new(source, path, "needs at least one field"));
    }
    let mut bag = ErrorBag::default();
    for (field, messages) in m {
        let at = join(path, field);
        let list: Vec<String> = match messages {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(ScenarioError::new(
                        source,
                        format!("{at}[{i}]"),
                        format!("expected a string, found {}", kind(other)),
                    )),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(ScenarioError::new(
                    source,
                    at,
                    "expected a message or a non-empty list of messages",
                ));
            }
        };
        for message in list {
            bag.add(field, message);
        }
    }
    Ok(bag)
}

fn delay(source: &str, path: &str, v: &Value) -> Result<Delay, ScenarioError> {
    let ms = |v: &Value, at: &str| match v.as_u64() {
        Some(n) if n <= MAX_WAIT_MS => Ok(n),
        _ => Err(ScenarioError::new(
            source,
            at,
            format!("expected an integer from 0 to {MAX_WAIT_MS}, found {v}"),
        )),
    };
    match v {
        Value::Number(_) => Ok(Delay::Fixed(ms(v, path)?)),
        Value::Object(m) => {
            if let Some(key) = m.keys().find(|k| *k != "min" && *k != "max") {
                return Err(ScenarioError::new(
                    source,
                    join(path, key),
                    format!("unknown key {key:?}, expected one of min, max"),
                ));
            }
            let (Some(min), Some(max)) = (m.get("min"), m.get("max")) else {
                return Err(ScenarioError::new(
                    source,
                    path,
                    "expected both min and max",
                ));
            };
            let min = ms(min, &join(path, "min"))?;
            let max = ms(max, &join(path, "max"))?;
            if min > max {
                return Err(ScenarioError::new(
                    source,
                    path,
                    format!("min ({min}) is greater than max ({max})"),
                ));
            }
            Ok(Delay::Range { min, max })
        }
        other => Err(ScenarioError::new(
            source,
            path,
            format!(
                "expected milliseconds or {{\"min\": a, \"max\": b}}, found {}",
                kind(other)
            ),
        )),
    }
}

#[cfg(test)]
mod tests;

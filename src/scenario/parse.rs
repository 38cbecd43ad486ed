//! The strict reader of scenario documents: every key is known, every value checked, every
//! error names its JSON path and the accepted values.

use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use regex::Regex;
use serde_json::{Map, Value};

use super::matching::{BodyMatch, Matcher, Operator, TextMatch};
use super::{
    Action, Delay, Fault, OnDuplicateLogin, Respond, Rule, Scenario, ScenarioError,
    ScenarioSettings,
};
use crate::clock::Timestamp;
use crate::store::LICENSE_LEVELS;
use crate::validation::{ErrorBag, Locale, SchemaId, Schemas};

/// Default `hold_ms` of the `timeout` fault.
pub const DEFAULT_HOLD_MS: u64 = 30_000;
/// Largest `delay_ms` or `hold_ms` accepted: ten minutes.
pub const MAX_WAIT_MS: u64 = 600_000;

struct Reader<'a> {
    source: &'a str,
}

impl Reader<'_> {
    fn err(&self, path: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            source_name: self.source.to_owned(),
            path: path.to_owned(),
            message: message.into(),
        }
    }

    fn object<'v>(
        &self,
        value: &'v Value,
        path: &str,
        allowed: &[&str],
    ) -> Result<&'v Map<String, Value>, ScenarioError> {
        let Value::Object(map) = value else {
            return Err(self.err(path, format!("expected an object, found {}", kind(value))));
        };
        if let Some(unknown) = map.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(self.err(
                &join(path, unknown),
                format!(
                    "unknown key {unknown:?}, expected one of {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(map)
    }

    fn string<'v>(&self, value: &'v Value, path: &str) -> Result<&'v str, ScenarioError> {
        value
            .as_str()
            .ok_or_else(|| self.err(path, format!("expected a string, found {}", kind(value))))
    }

    fn uint(&self, value: &Value, path: &str, min: u64, max: u64) -> Result<u64, ScenarioError> {
        match value.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(self.err(
                path,
                format!("expected an integer from {min} to {max}, found {value}"),
            )),
        }
    }

    fn boolean(&self, value: &Value, path: &str) -> Result<bool, ScenarioError> {
        value.as_bool().ok_or_else(|| {
            self.err(
                path,
                format!("expected true or false, found {}", kind(value)),
            )
        })
    }

    fn regex(&self, value: &Value, path: &str) -> Result<Regex, ScenarioError> {
        let text = self.string(value, path)?;
        Regex::new(text).map_err(|e| {
            self.err(
                path,
                format!("invalid regex: {}", last_line(&e.to_string())),
            )
        })
    }
}

/// The regex crate puts the reason on the last line of its multi-line error.
fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_owned()
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Parses and validates a scenario document. `fallback_name` names a scenario without
/// `name` (the file stem); without it `name` is required.
///
/// # Errors
/// A [`ScenarioError`] naming `source`, the JSON path and the problem.
pub fn parse_scenario(
    source: &str,
    text: &str,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<super::Scenario, ScenarioError> {
    let r = Reader { source };
    let doc: Value =
        serde_json::from_str(text).map_err(|e| r.err("", format!("not valid JSON: {e}")))?;
    parse_value(&r, doc, fallback_name, schemas)
}

/// As [`parse_scenario`], for a document already parsed (the admin API).
///
/// # Errors
/// As [`parse_scenario`].
pub fn parse_scenario_value(
    source: &str,
    doc: Value,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    parse_value(&Reader { source }, doc, None, schemas)
}

fn parse_value(
    r: &Reader<'_>,
    doc: Value,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    let top = r.object(
        &doc,
        "",
        &["name", "description", "settings", "users", "rules"],
    )?;
    let name = match top.get("name") {
        Some(v) => r.string(v, "name")?.to_owned(),
        None => fallback_name
            .map(str::to_owned)
            .ok_or_else(|| r.err("name", "required: every scenario needs a name"))?,
    };
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(r.err(
            "name",
            format!("{name:?} is not a valid name: use 1-100 letters, digits, '-', '_' or '.'"),
        ));
    }
    let description = match top.get("description") {
        Some(v) => r.string(v, "description")?.to_owned(),
        None => String::new(),
    };
    let settings = match top.get("settings") {
        Some(v) => parse_settings(r, v)?,
        None => ScenarioSettings::default(),
    };
    let users = match top.get("users") {
        Some(Value::Array(users)) => parse_users(r, users, &settings, schemas)?,
        Some(other) => {
            return Err(r.err("users", format!("expected an array, found {}", kind(other))));
        }
        None => Vec::new(),
    };
    let rules = match top.get("rules") {
        Some(Value::Array(rules)) => rules
            .iter()
            .enumerate()
            .map(|(i, rule)| parse_rule(r, rule, i))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => {
            return Err(r.err("rules", format!("expected an array, found {}", kind(other))));
        }
        None => Vec::new(),
    };
    Ok(Scenario {
        name,
        description,
        settings,
        users,
        rules,
        source: doc,
    })
}

fn parse_settings(r: &Reader<'_>, v: &Value) -> Result<ScenarioSettings, ScenarioError> {
    let mut s = ScenarioSettings::default();
    let m = r.object(
        v,
        "settings",
        &[
            "locale",
            "strict_accept",
            "id_start",
            "clock",
            "on_duplicate_login",
            "licenses_available",
        ],
    )?;
    if let Some(v) = m.get("licenses_available") {
        let levels = r.object(v, "settings.licenses_available", &LICENSE_LEVELS)?;
        let mut caps = [None; 3];
        for (i, name) in LICENSE_LEVELS.iter().enumerate() {
            if let Some(v) = levels.get(*name) {
                caps[i] = Some(r.uint(
                    v,
                    &format!("settings.licenses_available.{name}"),
                    0,
                    u64::MAX,
                )?);
            }
        }
        s.licenses_available = Some(caps);
    }
    if let Some(v) = m.get("locale") {
        let text = r.string(v, "settings.locale")?;
        s.locale = Some(
            text.parse::<Locale>()
                .map_err(|e| r.err("settings.locale", e))?,
        );
    }
    if let Some(v) = m.get("strict_accept") {
        s.strict_accept = Some(r.boolean(v, "settings.strict_accept")?);
    }
    if let Some(v) = m.get("id_start") {
        s.id_start = Some(r.uint(v, "settings.id_start", 0, u64::MAX / 2)?);
    }
    if let Some(v) = m.get("clock") {
        let text = r.string(v, "settings.clock")?;
        s.clock = Some(
            Timestamp::parse_rfc3339(text).map_err(|e| r.err("settings.clock", e.to_string()))?,
        );
    }
    if let Some(v) = m.get("on_duplicate_login") {
        s.on_duplicate_login = Some(match r.string(v, "settings.on_duplicate_login")? {
            "reject" => OnDuplicateLogin::Reject,
            "upsert" => OnDuplicateLogin::Upsert,
            other => {
                return Err(r.err(
                    "settings.on_duplicate_login",
                    format!("unknown value {other:?}, expected one of reject, upsert"),
                ));
            }
        });
    }
    Ok(s)
}

fn parse_users(
    r: &Reader<'_>,
    users: &[Value],
    settings: &ScenarioSettings,
    schemas: &Schemas,
) -> Result<Vec<Value>, ScenarioError> {
    let schema = schemas.get(SchemaId::UserCreate);
    let locale = settings.locale.unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(users.len());
    for (i, user) in users.iter().enumerate() {
        let path = format!("users[{i}]");
        if !user.is_object() {
            return Err(r.err(&path, format!("expected an object, found {}", kind(user))));
        }
        let mut input = user.clone();
        crate::validation::normalise::normalise(&mut input);
        let failures = schema.validate(&input);
        if let Some((field, messages)) = failures.into_bag(locale).0.into_iter().next() {
            let message = messages.into_iter().next().unwrap_or_default();
            return Err(r.err(&format!("{path}.{field}"), message));
        }
        let login = input
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase();
        if !seen.insert(login) {
            return Err(r.err(
                &format!("{path}.login"),
                "The login has already been taken.",
            ));
        }
        out.push(input);
    }
    Ok(out)
}

fn parse_rule(r: &Reader<'_>, v: &Value, index: usize) -> Result<Rule, ScenarioError> {
    let path = format!("rules[{index}]");
    let m = r.object(v, &path, &["name", "match", "times", "respond"])?;
    let label: std::sync::Arc<str> = match m.get("name") {
        Some(v) => r.string(v, &join(&path, "name"))?.into(),
        None => index.to_string().into(),
    };
    let matcher = match m.get("match") {
        Some(v) => parse_match(r, v, &join(&path, "match"), true)?,
        None => Matcher::default(),
    };
    let times = m
        .get("times")
        .map(|v| r.uint(v, &join(&path, "times"), 1, u64::MAX))
        .transpose()?;
    let respond = match m.get("respond") {
        Some(v) => parse_respond(r, v, &join(&path, "respond"))?,
        None => return Err(r.err(&join(&path, "respond"), "required: what the rule answers")),
    };
    Ok(Rule {
        label,
        matcher,
        times,
        respond,
    })
}

/// Parses a `match` object. `counters` allows `nth`, `every`, `probability` and `seed`
/// (rules have them; journal counts do not).
pub(crate) fn parse_match_value(
    source: &str,
    v: &Value,
    path: &str,
) -> Result<Matcher, ScenarioError> {
    parse_match(&Reader { source }, v, path, false)
}

fn parse_match(
    r: &Reader<'_>,
    v: &Value,
    path: &str,
    counters: bool,
) -> Result<Matcher, ScenarioError> {
    let allowed: &[&str] = if counters {
        &[
            "method",
            "path",
            "headers",
            "body",
            "nth",
            "every",
            "probability",
            "seed",
        ]
    } else {
        &["method", "path", "headers", "body"]
    };
    let m = r.object(v, path, allowed)?;
    let mut matcher = Matcher::default();
    if let Some(v) = m.get("method") {
        let p = join(path, "method");
        let text = r.string(v, &p)?;
        matcher.method = Some(
            Method::from_bytes(text.to_ascii_uppercase().as_bytes())
                .map_err(|_| r.err(&p, format!("{text:?} is not an HTTP method")))?,
        );
    }
    if let Some(v) = m.get("path") {
        matcher.path = Some(parse_text_match(r, v, &join(path, "path"))?);
    }
    if let Some(v) = m.get("headers") {
        let p = join(path, "headers");
        let Value::Object(headers) = v else {
            return Err(r.err(&p, format!("expected an object, found {}", kind(v))));
        };
        for (name, value) in headers {
            matcher.headers.push((
                name.to_ascii_lowercase(),
                parse_text_match(r, value, &join(&p, name))?,
            ));
        }
    }
    if let Some(v) = m.get("body") {
        matcher.body = Some(parse_body_match(r, v, &join(path, "body"))?);
    }
    if let Some(v) = m.get("nth") {
        matcher.nth = Some(r.uint(v, &join(path, "nth"), 1, u64::MAX)?);
    }
    if let Some(v) = m.get("every") {
        matcher.every = Some(r.uint(v, &join(path, "every"), 1, u64::MAX)?);
    }
    if matcher.nth.is_some() && matcher.every.is_some() {
        return Err(r.err(path, "nth and every cannot be combined: use one"));
    }
    if let Some(v) = m.get("probability") {
        let p = join(path, "probability");
        match v.as_f64() {
            Some(x) if (0.0..=1.0).contains(&x) => matcher.probability = Some(x),
            _ => return Err(r.err(&p, format!("expected a number from 0 to 1, found {v}"))),
        }
    }
    if let Some(v) = m.get("seed") {
        if matcher.probability.is_none() {
            return Err(r.err(&join(path, "seed"), "seed only applies with probability"));
        }
        matcher.seed = r.uint(v, &join(path, "seed"), 0, u64::MAX)?;
    }
    Ok(matcher)
}

const OPERATORS: &str = "regex, exists, contains";

/// An operator object: exactly one of `regex`, `exists`, `contains`.
fn operator(
    r: &Reader<'_>,
    m: &Map<String, Value>,
    path: &str,
) -> Result<Option<Operator>, ScenarioError> {
    if m.len() != 1 {
        return Ok(None);
    }
    let Some((key, value)) = m.iter().next() else {
        return Ok(None);
    };
    let p = join(path, key);
    Ok(Some(match key.as_str() {
        "regex" => Operator::Regex(r.regex(value, &p)?),
        "exists" => Operator::Exists(r.boolean(value, &p)?),
        "contains" => Operator::Contains(value.clone()),
        _ => return Ok(None),
    }))
}

fn parse_text_match(r: &Reader<'_>, v: &Value, path: &str) -> Result<TextMatch, ScenarioError> {
    match v {
        Value::String(s) => Ok(TextMatch::Equals(s.clone())),
        Value::Object(m) => operator(r, m, path)?.map(TextMatch::Op).ok_or_else(|| {
            r.err(
                path,
                format!("expected a string or one operator of {OPERATORS}"),
            )
        }),
        other => Err(r.err(
            path,
            format!(
                "expected a string or one operator of {OPERATORS}, found {}",
                kind(other)
            ),
        )),
    }
}

fn parse_body_match(r: &Reader<'_>, v: &Value, path: &str) -> Result<BodyMatch, ScenarioError> {
    match v {
        Value::Object(m) => {
            if let Some(op) = operator(r, m, path)? {
                return Ok(BodyMatch::Op(op));
            }
            let fields = m
                .iter()
                .map(|(k, v)| parse_body_match(r, v, &join(path, k)).map(|b| (k.clone(), b)))
                .collect::<Result<_, _>>()?;
            Ok(BodyMatch::Object(fields))
        }
        other => Ok(BodyMatch::Literal(other.clone())),
    }
}

fn parse_respond(r: &Reader<'_>, v: &Value, path: &str) -> Result<Respond, ScenarioError> {
    let m = r.object(
        v,
        path,
        &[
            "errors", "status", "body", "headers", "fault", "hold_ms", "delay_ms",
        ],
    )?;
    let delay = m
        .get("delay_ms")
        .map(|v| parse_delay(r, v, &join(path, "delay_ms")))
        .transpose()?;
    let kinds: Vec<&str> = ["errors", "status", "fault"]
        .into_iter()
        .filter(|k| m.contains_key(*k))
        .collect();
    if kinds.len() > 1 {
        return Err(r.err(
            path,
            format!(
                "{} cannot be combined: use one of errors, status, fault",
                kinds.join(" and ")
            ),
        ));
    }
    for (key, needs) in [
        ("body", "status"),
        ("headers", "status"),
        ("hold_ms", "fault"),
    ] {
        if m.contains_key(key) && !m.contains_key(needs) {
            return Err(r.err(&join(path, key), format!("only applies with {needs}")));
        }
    }
    let action = match kinds.first().copied() {
        Some("errors") => Action::Errors(parse_errors(r, &m["errors"], &join(path, "errors"))?),
        Some("status") => parse_status(r, m, path)?,
        Some(_) => parse_fault(r, m, path)?,
        None if delay.is_some() => Action::Default,
        None => {
            return Err(r.err(
                path,
                "expected one of errors, status, fault, or delay_ms alone",
            ));
        }
    };
    Ok(Respond { action, delay })
}

fn parse_errors(r: &Reader<'_>, v: &Value, path: &str) -> Result<ErrorBag, ScenarioError> {
    let Value::Object(m) = v else {
        return Err(r.err(
            path,
            format!("expected an object of field to messages, found {}", kind(v)),
        ));
    };
    if m.is_empty() {
        return Err(r.err(path, "needs at least one field"));
    }
    let mut bag = Vec::with_capacity(m.len());
    for (field, messages) in m {
        let p = join(path, field);
        let list = match messages {
            Value::String(s) => vec![s.clone()],
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .enumerate()
                .map(|(i, item)| r.string(item, &format!("{p}[{i}]")).map(str::to_owned))
                .collect::<Result<_, _>>()?,
            _ => return Err(r.err(&p, "expected a message or a non-empty list of messages")),
        };
        bag.push((field.clone(), list));
    }
    Ok(ErrorBag(bag))
}

fn parse_status(
    r: &Reader<'_>,
    m: &Map<String, Value>,
    path: &str,
) -> Result<Action, ScenarioError> {
    let p = join(path, "status");
    let code = r.uint(&m["status"], &p, 100, 599)?;
    let status = u16::try_from(code)
        .ok()
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| r.err(&p, format!("{code} is not an HTTP status")))?;
    let body = match m.get("body") {
        Some(body) => body.to_string().into(),
        None => default_body(status),
    };
    let mut headers = Vec::new();
    if let Some(v) = m.get("headers") {
        let hp = join(path, "headers");
        let Value::Object(map) = v else {
            return Err(r.err(&hp, format!("expected an object, found {}", kind(v))));
        };
        for (name, value) in map {
            let vp = join(&hp, name);
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| r.err(&vp, "not a valid header name"))?;
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => {
                    return Err(r.err(
                        &vp,
                        format!("expected a string or a number, found {}", kind(other)),
                    ));
                }
            };
            let value =
                HeaderValue::from_str(&text).map_err(|_| r.err(&vp, "not a valid header value"))?;
            headers.push((name, value));
        }
    }
    Ok(Action::Status {
        status,
        body,
        headers,
    })
}

/// Without `body`: Laravel's JSON error body for error statuses, nothing otherwise.
fn default_body(status: StatusCode) -> bytes::Bytes {
    let message = match status.as_u16() {
        500 => "Server Error",
        429 => "Too Many Attempts.",
        code if code >= 400 => status.canonical_reason().unwrap_or("Error"),
        _ => return bytes::Bytes::new(),
    };
    crate::reply::Reply::message(status, message).body().clone()
}

fn parse_fault(
    r: &Reader<'_>,
    m: &Map<String, Value>,
    path: &str,
) -> Result<Action, ScenarioError> {
    let p = join(path, "fault");
    let name = r.string(&m["fault"], &p)?;
    let fault = match name {
        "connection_reset" => Fault::ConnectionReset,
        "empty_response" => Fault::EmptyResponse,
        "malformed_json" => Fault::MalformedJson,
        "timeout" => {
            let hold = match m.get("hold_ms") {
                Some(v) => r.uint(v, &join(path, "hold_ms"), 0, MAX_WAIT_MS)?,
                None => DEFAULT_HOLD_MS,
            };
            Fault::Timeout {
                hold: Duration::from_millis(hold),
            }
        }
        other => {
            return Err(r.err(
                &p,
                format!(
                    "unknown fault {other:?}, expected one of {}",
                    Fault::NAMES.join(", ")
                ),
            ));
        }
    };
    if m.contains_key("hold_ms") && !matches!(fault, Fault::Timeout { .. }) {
        return Err(r.err(&join(path, "hold_ms"), "only applies with fault timeout"));
    }
    Ok(Action::Fault(fault))
}

fn parse_delay(r: &Reader<'_>, v: &Value, path: &str) -> Result<Delay, ScenarioError> {
    match v {
        Value::Number(_) => Ok(Delay::Fixed(r.uint(v, path, 0, MAX_WAIT_MS)?)),
        Value::Object(_) => {
            let m = r.object(v, path, &["min", "max"])?;
            let (Some(min), Some(max)) = (m.get("min"), m.get("max")) else {
                return Err(r.err(path, "expected both min and max"));
            };
            let min = r.uint(min, &join(path, "min"), 0, MAX_WAIT_MS)?;
            let max = r.uint(max, &join(path, "max"), 0, MAX_WAIT_MS)?;
            if min > max {
                return Err(r.err(path, format!("min ({min}) is greater than max ({max})")));
            }
            Ok(Delay::Range { min, max })
        }
        other => Err(r.err(
            path,
            format!(
                "expected milliseconds or {{\"min\": a, \"max\": b}}, found {}",
                kind(other)
            ),
        )),
    }
}

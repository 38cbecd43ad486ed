//! The scenario file format, read with serde: every object denies unknown keys, every error
//! names its JSON path (`serde_path_to_error`) and, where there is a fixed set, the accepted
//! values. Hand code is left only for what serde cannot say: the rules that tie fields
//! together (one answer kind, `nth` xor `every`, `seed` needs `probability`, ...), the body
//! matcher's operator objects, and seed users, which go through the create validation.

use std::collections::HashSet;
use std::time::Duration;

use hyper::header::{HeaderName, HeaderValue};
use hyper::{Method, StatusCode};
use regex::Regex;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::{Map, Value};

use super::matching::{BodyMatch, Matcher, Operator, TextMatch};
use super::{
    Action, Delay, Fault, OnDuplicateLogin, Respond, Scenario, ScenarioError, ScenarioRule,
    ScenarioSettings,
};
use crate::clock::Timestamp;
use crate::store::UserDraft;
use crate::validation::{ErrorBag, Locale, SchemaId, Schemas, normalise};

/// Default `hold_ms` of the `timeout` fault.
const DEFAULT_HOLD_MS: u64 = 30_000;
/// Largest `delay_ms` or `hold_ms` accepted: ten minutes.
const MAX_WAIT_MS: u64 = 600_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileDoc {
    name: Option<String>,
    description: Option<String>,
    settings: Option<FileSettings>,
    users: Option<Vec<Value>>,
    rules: Option<Vec<FileRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileSettings {
    #[serde(default, deserialize_with = "locale")]
    locale: Option<Locale>,
    strict_accept: Option<bool>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX / 2 }>")]
    id_start: Option<u64>,
    #[serde(default, deserialize_with = "instant")]
    clock: Option<Timestamp>,
    #[serde(default, deserialize_with = "on_duplicate_login")]
    on_duplicate_login: Option<OnDuplicateLogin>,
    licenses_available: Option<FileLicenses>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileLicenses {
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l1: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l2: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    analytic_l3: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileRule {
    name: Option<String>,
    #[serde(rename = "match")]
    matcher: Option<FileMatch>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    times: Option<u64>,
    /// Required: read in document order, so a rule without it is the first error reported.
    respond: FileRespond,
}

/// A rule's `match`: the request parts, and the counters only rules have.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileMatch {
    #[serde(default, deserialize_with = "method")]
    method: Option<Method>,
    #[serde(default, deserialize_with = "present")]
    path: Option<Value>,
    headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    nth: Option<u64>,
    #[serde(default, deserialize_with = "ranged::<_, 1, { u64::MAX }>")]
    every: Option<u64>,
    #[serde(default, deserialize_with = "probability")]
    probability: Option<f64>,
    #[serde(default, deserialize_with = "ranged::<_, 0, { u64::MAX }>")]
    seed: Option<u64>,
}

/// The `match` of `POST /__admin/requests/count`: the request parts only, no counters.
/// (serde cannot deny unknown keys through `flatten`, hence the repeated fields.)
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct CountMatch {
    #[serde(default, deserialize_with = "method")]
    method: Option<Method>,
    #[serde(default, deserialize_with = "present")]
    path: Option<Value>,
    headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
}

/// The request parts of a `match`, common to rules and journal counts.
struct MatchParts {
    method: Option<Method>,
    path: Option<Value>,
    headers: Option<Map<String, Value>>,
    body: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "an object")]
struct FileRespond {
    #[serde(default, deserialize_with = "present")]
    errors: Option<Value>,
    #[serde(default, deserialize_with = "ranged::<_, 100, 599>")]
    status: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    body: Option<Value>,
    headers: Option<Map<String, Value>>,
    #[serde(default, deserialize_with = "fault")]
    fault: Option<FaultName>,
    #[serde(default, deserialize_with = "ranged::<_, 0, MAX_WAIT_MS>")]
    hold_ms: Option<u64>,
    #[serde(default, deserialize_with = "present")]
    delay_ms: Option<Value>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FaultName {
    ConnectionReset,
    EmptyResponse,
    MalformedJson,
    Timeout,
}

/// Parses and validates a scenario document. `fallback_name` names a scenario without
/// `name` (the file stem); without it `name` is required.
pub(super) fn parse(
    source: &str,
    text: &str,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ScenarioError::new(source, "", format!("not valid JSON: {e}")))?;
    from_value(source, doc, fallback_name, schemas)
}

/// As [`parse`], for a document already parsed.
pub(super) fn from_value(
    source: &str,
    doc: Value,
    fallback_name: Option<&str>,
    schemas: &Schemas,
) -> Result<Scenario, ScenarioError> {
    let file: FileDoc = read(source, "", &doc)?;
    let err = |path: &str, message: String| ScenarioError::new(source, path, message);
    let name = match file.name.or_else(|| fallback_name.map(str::to_owned)) {
        Some(name) => name,
        None => return Err(err("name", "required: every scenario needs a name".into())),
    };
    if name.is_empty()
        || name.len() > 100
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(err(
            "name",
            format!("{name:?} is not a valid name: use 1-100 letters, digits, '-', '_' or '.'"),
        ));
    }
    let settings = file
        .settings
        .map(FileSettings::into_settings)
        .unwrap_or_default();
    let users = seed_users(source, file.users.unwrap_or_default(), &settings, schemas)?;
    let rules = file
        .rules
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, rule)| rule.into_rule(source, i))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario {
        name,
        description: file.description.unwrap_or_default(),
        settings,
        users,
        rules,
        source: doc,
    })
}

/// Reads the `match` of a journal count (no counters), at `path` in `source`.
pub(crate) fn count_matcher(
    source: &str,
    path: &str,
    doc: &Value,
) -> Result<Matcher, ScenarioError> {
    let m: CountMatch = read(source, path, doc)?;
    let parts = MatchParts {
        method: m.method,
        path: m.path,
        headers: m.headers,
        body: m.body,
    };
    parts.into_matcher(source, path)
}

/// Deserialises `doc` as `T`, turning serde's message into the file's wording and its path
/// into a JSON path under `prefix`.
fn read<T: serde::de::DeserializeOwned>(
    source: &str,
    prefix: &str,
    doc: &Value,
) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(doc).map_err(|e| {
        let inner = e.path().to_string();
        let inner = if inner == "." { String::new() } else { inner };
        let (path, message) = wording(&join(prefix, &inner), &e.into_inner().to_string());
        ScenarioError::new(source, path, message)
    })
}

/// serde's wording turned into this project's: `unknown key "tims", expected one of name,
/// match`; `expected an object, found a string`; a missing field names its path.
fn wording(path: &str, message: &str) -> (String, String) {
    let ticks = |s: &str| s.replace('`', "");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected = expected
            .trim_start_matches(", expected ")
            .trim_start_matches("one of ")
            .replace(" or ", ", ");
        // serde puts the unknown key in the path already.
        let path = if path.ends_with(key) {
            path.to_owned()
        } else {
            join(path, key)
        };
        return (
            path,
            format!("unknown key {key:?}, expected one of {}", ticks(&expected)),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        let why = match key {
            "respond" => "required: what the rule answers",
            _ => "required",
        };
        return (join(path, key), why.into());
    }
    if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        let found = match found.split(' ').next().unwrap_or(found) {
            "string" => "a string",
            "integer" | "floating" => "a number",
            "boolean" => "a boolean",
            "sequence" => "an array",
            "map" => "an object",
            _ => "null",
        };
        let expected = match expected {
            "a sequence" => "an array",
            "a map" => "an object",
            other => other,
        };
        return (
            path.to_owned(),
            format!("expected {expected}, found {found}"),
        );
    }
    (path.to_owned(), message.to_owned())
}

fn join(path: &str, key: &str) -> String {
    match (path.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (false, true) => path.to_owned(),
        (false, false) if key.starts_with('[') => format!("{path}{key}"),
        (false, false) => format!("{path}.{key}"),
    }
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

// ---- leaf readers: each checks its value and words its own error ------------------------

/// Keeps an explicit `null` as `Some(Value::Null)`, so "given as null" differs from "absent".
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn ranged<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
    d: D,
) -> Result<Option<u64>, D::Error> {
    let value = Value::deserialize(d)?;
    match value.as_u64() {
        Some(n) if (MIN..=MAX).contains(&n) => Ok(Some(n)),
        _ => Err(D::Error::custom(format!(
            "expected an integer from {MIN} to {MAX}, found {value}"
        ))),
    }
}

fn probability<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = Value::deserialize(d)?;
    match value.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Ok(Some(x)),
        _ => Err(D::Error::custom(format!(
            "expected a number from 0 to 1, found {value}"
        ))),
    }
}

/// A string from a fixed set, with the set in the error.
fn one_of<'de, D: Deserializer<'de>>(d: D, what: &str, names: &[&str]) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    match value {
        Value::String(s) if names.contains(&s.as_str()) => Ok(s),
        Value::String(s) => Err(D::Error::custom(format!(
            "unknown {what} {s:?}, expected one of {}",
            names.join(", ")
        ))),
        other => Err(D::Error::custom(format!(
            "expected a string, found {}",
            kind(&other)
        ))),
    }
}

fn locale<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Locale>, D::Error> {
    match one_of(d, "locale", &["en", "ru"])?.as_str() {
        "ru" => Ok(Some(Locale::Ru)),
        _ => Ok(Some(Locale::En)),
    }
}

fn on_duplicate_login<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OnDuplicateLogin>, D::Error> {
    match one_of(d, "value", &["reject", "upsert"])?.as_str() {
        "upsert" => Ok(Some(OnDuplicateLogin::Upsert)),
        _ => Ok(Some(OnDuplicateLogin::Reject)),
    }
}

fn fault<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FaultName>, D::Error> {
    Ok(Some(match one_of(d, "fault", &Fault::NAMES)?.as_str() {
        "connection_reset" => FaultName::ConnectionReset,
        "empty_response" => FaultName::EmptyResponse,
        "malformed_json" => FaultName::MalformedJson,
        _ => FaultName::Timeout,
    }))
}

fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let text = String::deserialize(d)?;
    Timestamp::parse_rfc3339(&text)
        .map(Some)
        .map_err(|e| D::Error::custom(e.to_string()))
}

fn method<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Method>, D::Error> {
    let text = String::deserialize(d)?;
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{text:?} is not an HTTP method")))
}

// ---- conversion into the model, with the cross-field rules --------------------------------

impl FileSettings {
    fn into_settings(self) -> ScenarioSettings {
        ScenarioSettings {
            locale: self.locale,
            strict_accept: self.strict_accept,
            id_start: self.id_start,
            clock: self.clock,
            on_duplicate_login: self.on_duplicate_login,
            licenses_available: self
                .licenses_available
                .map(|l| [l.analytic_l1, l.analytic_l2, l.analytic_l3]),
        }
    }
}

/// Seed users go through the create endpoint's validation, so a bad one fails the load with
/// the message the API would give, at `users[i].field`.
fn seed_users(
    source: &str,
    users: Vec<Value>,
    settings: &ScenarioSettings,
    schemas: &Schemas,
) -> Result<Vec<UserDraft>, ScenarioError> {
    let schema = schemas.get(SchemaId::UserCreate);
    let locale = settings.locale.unwrap_or_default();
    let mut seen = HashSet::new();
    let mut drafts = Vec::with_capacity(users.len());
    for (i, user) in users.into_iter().enumerate() {
        let path = format!("users[{i}]");
        let crate::php::Value::Array(mut input) = crate::php::from_json(&user) else {
            return Err(ScenarioError::new(
                source,
                path,
                format!("expected an object, found {}", kind(&user)),
            ));
        };
        if !user.is_object() {
            return Err(ScenarioError::new(
                source,
                path,
                format!("expected an object, found {}", kind(&user)),
            ));
        }
        normalise::normalise(&mut input);
        let failures = schema.validate(&input, locale);
        if let Some((field, messages)) = failures.into_fields().next() {
            let message = messages.into_iter().next().unwrap_or_default();
            return Err(ScenarioError::new(
                source,
                format!("{path}.{field}"),
                message,
            ));
        }
        let draft = UserDraft::from_create_input(&input, Timestamp::from_unix_seconds(0));
        if !seen.insert(draft.login.to_lowercase()) {
            return Err(ScenarioError::new(
                source,
                format!("{path}.login"),
                "The login has already been taken.",
            ));
        }
        drafts.push(draft);
    }
    Ok(drafts)
}

impl FileRule {
    fn into_rule(self, source: &str, index: usize) -> Result<ScenarioRule, ScenarioError> {
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
    fn into_matcher(self, source: &str, path: &str) -> Result<Matcher, ScenarioError> {
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
    fn into_matcher(self, source: &str, path: &str) -> Result<Matcher, ScenarioError> {
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
        let mut headers = Vec::new();
        for (name, value) in self.headers.iter().flatten() {
            let at = join(&join(path, "headers"), name);
            let header = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| ScenarioError::new(source, &at, "not a valid header name"))?;
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
mod tests {
    use super::*;

    fn load(doc: &str) -> Result<Scenario, String> {
        let schemas = Schemas::embedded().expect("embedded schemas");
        parse("t.json", doc, Some("t"), &schemas).map_err(|e| e.to_string())
    }

    #[test]
    fn a_full_scenario_loads_into_the_model() {
        let s = load(
            r#"{"name": "x", "description": "d", "settings": {"locale": "ru", "id_start": 5,
                "clock": "2023-05-02T10:18:50Z", "on_duplicate_login": "upsert",
                "licenses_available": {"analytic_l2": 3}},
               "users": [{"login": " a@b.c ", "password": "p", "type": "t", "status": "s"}],
               "rules": [{"name": "slow", "match": {"method": "post", "every": 2},
                          "times": 3, "respond": {"delay_ms": {"min": 1, "max": 2}}},
                         {"respond": {"status": 429, "headers": {"Retry-After": 1}}}]}"#,
        )
        .unwrap();
        assert_eq!(s.name(), "x");
        assert_eq!(s.settings().locale, Some(Locale::Ru));
        assert_eq!(s.settings().licenses_available, Some([None, Some(3), None]));
        assert_eq!(&*s.users()[0].login, "a@b.c");
        assert_eq!(&*s.rules()[1].label, "1");
        assert_eq!(s.rules()[0].matcher.method, Some(Method::POST));
        assert_eq!(
            s.rules()[0].respond.delay,
            Some(Delay::Range { min: 1, max: 2 })
        );
        assert!(matches!(
            &s.rules()[1].respond.action,
            Action::Status { status, body: None, headers } if *status == 429 && headers.len() == 1
        ));
    }

    #[test]
    fn errors_name_the_path_the_problem_and_the_accepted_values() {
        for (doc, expected) in [
            (
                r#"{"rules": [{"respond": {"status": 500}, "tims": 2}]}"#,
                "t.json: rules[0].tims: unknown key \"tims\", expected one of name, match, times, respond",
            ),
            (
                r#"{"settings": {"locale": "de"}}"#,
                "t.json: settings.locale: unknown locale \"de\", expected one of en, ru",
            ),
            (
                r#"{"settings": {"licenses_available": {"analytic_l4": 1}}}"#,
                "t.json: settings.licenses_available.analytic_l4: unknown key \"analytic_l4\", expected one of analytic_l1, analytic_l2, analytic_l3",
            ),
            (
                r#"{"name": 5}"#,
                "t.json: name: expected a string, found a number",
            ),
            (
                r#"{"rules": {}}"#,
                "t.json: rules: expected an array, found an object",
            ),
            (
                r#"{"rules": [{"respond": {"fault": 1}}]}"#,
                "t.json: rules[0].respond.fault: expected a string, found a number",
            ),
            (
                r#"{"rules": [{"match": {"seed": 1}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match.seed: seed only applies with probability",
            ),
            (
                r#"{"rules": [{"match": {"nth": 1, "every": 2}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match: nth and every cannot be combined: use one",
            ),
            (
                r#"{"rules": [{"match": {"body": {"a": {"regex": "("}}}, "respond": {"status": 500}}]}"#,
                "t.json: rules[0].match.body.a.regex: invalid regex: error: unclosed group",
            ),
            (
                r#"{"rules": [{"respond": {"body": {}}}]}"#,
                "t.json: rules[0].respond.body: only applies with status",
            ),
            (
                r#"{"rules": [{"respond": {"errors": {"login": []}}}]}"#,
                "t.json: rules[0].respond.errors.login: expected a message or a non-empty list of messages",
            ),
            (
                r#"{"users": [{"login": "a"}]}"#,
                "t.json: users[0].password: The password field is required.",
            ),
            (
                r#"{"name": "a b"}"#,
                "t.json: name: \"a b\" is not a valid name: use 1-100 letters, digits, '-', '_' or '.'",
            ),
        ] {
            assert_eq!(load(doc).unwrap_err(), expected, "{doc}");
        }
    }

    #[test]
    fn count_matchers_take_no_counters() {
        let doc = serde_json::json!({"nth": 2});
        assert_eq!(
            count_matcher("body", "match", &doc)
                .unwrap_err()
                .to_string(),
            "body: match.nth: unknown key \"nth\", expected one of method, path, headers, body"
        );
        let ok = serde_json::json!({"method": "GET", "body": {"login": {"exists": true}}});
        assert!(count_matcher("body", "match", &ok).is_ok());
    }
}

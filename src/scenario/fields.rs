//! Reading scenario values with serde: each leaf checks its value and words its own error;
//! serde's own messages are turned into the file's wording, with the JSON path in front.

use hyper::Method;
use serde::Deserialize;
use serde::de::{Deserializer, Error as _};
use serde_json::Value;

use super::{Fault, OnDuplicateLogin, ScenarioError};
use crate::clock::Timestamp;
use crate::validation::Locale;

/// Deserialises `doc` as `T`, turning serde's message into the file's wording and its path
/// into a JSON path under `prefix`.
pub(super) fn read<T: serde::de::DeserializeOwned>(
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

pub(super) fn join(path: &str, key: &str) -> String {
    match (path.is_empty(), key.is_empty()) {
        (true, _) => key.to_owned(),
        (false, true) => path.to_owned(),
        (false, false) if key.starts_with('[') => format!("{path}{key}"),
        (false, false) => format!("{path}.{key}"),
    }
}

pub(super) fn kind(value: &Value) -> &'static str {
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
pub(super) fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

pub(super) fn ranged<'de, D: Deserializer<'de>, const MIN: u64, const MAX: u64>(
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

pub(super) fn probability<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
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

pub(super) fn locale<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Locale>, D::Error> {
    match one_of(d, "locale", &["en", "ru"])?.as_str() {
        "ru" => Ok(Some(Locale::Ru)),
        _ => Ok(Some(Locale::En)),
    }
}

pub(super) fn on_duplicate_login<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<OnDuplicateLogin>, D::Error> {
    match one_of(d, "value", &["reject", "upsert"])?.as_str() {
        "upsert" => Ok(Some(OnDuplicateLogin::Upsert)),
        _ => Ok(Some(OnDuplicateLogin::Reject)),
    }
}

/// A fault as written in a file (`respond.fault`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum FaultName {
    ConnectionReset,
    EmptyResponse,
    MalformedJson,
    Timeout,
}

pub(super) fn fault<'de, D: Deserializer<'de>>(d: D) -> Result<Option<FaultName>, D::Error> {
    Ok(Some(match one_of(d, "fault", &Fault::NAMES)?.as_str() {
        "connection_reset" => FaultName::ConnectionReset,
        "empty_response" => FaultName::EmptyResponse,
        "malformed_json" => FaultName::MalformedJson,
        _ => FaultName::Timeout,
    }))
}

pub(super) fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    let text = String::deserialize(d)?;
    Timestamp::parse_rfc3339(&text)
        .map(Some)
        .map_err(|e| D::Error::custom(e.to_string()))
}

pub(super) fn method<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Method>, D::Error> {
    let text = String::deserialize(d)?;
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map(Some)
        .map_err(|_| D::Error::custom(format!("{text:?} is not an HTTP method")))
}

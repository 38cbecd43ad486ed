//! Laravel's input from a request: the decoded body, as `$request->all()` sees it, with
//! diagnostics saying what the mock noticed (bad JSON and where, wrong content type).

use hyper::header::{self, HeaderMap};
use serde_json::{Map, Value};

use crate::journal::redact;
use crate::validation::normalise::normalise;

/// A request body, decoded once: for rule matching, the journal and the handlers.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// No body (or only whitespace).
    Empty,
    /// Valid JSON (any JSON value), as sent.
    Json(Value),
    /// Not JSON.
    Invalid {
        /// Where and why parsing failed.
        error: serde_json::Error,
        /// The body's length.
        len: usize,
    },
}

impl Decoded {
    /// Decodes a body.
    pub(crate) fn from_bytes(body: &[u8]) -> Self {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Decoded::Empty;
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(v) => Decoded::Json(v),
            Err(error) => Decoded::Invalid {
                error,
                len: body.len(),
            },
        }
    }

    /// The JSON value, if the body was JSON.
    pub(crate) fn json(&self) -> Option<&Value> {
        match self {
            Decoded::Json(v) => Some(v),
            Decoded::Empty | Decoded::Invalid { .. } => None,
        }
    }

    /// What the journal keeps of this body: the JSON with passwords redacted, or a note.
    /// Never raw text, which could carry a password in another encoding.
    pub(crate) fn into_journal(self) -> Value {
        match self {
            Decoded::Empty => Value::Null,
            Decoded::Json(mut v) => {
                redact(&mut v);
                v
            }
            Decoded::Invalid { len, .. } => {
                Value::String(format!("<{len} bytes, not JSON: not kept>"))
            }
        }
    }
}

/// The input a handler validates, and what the journal records of the body.
pub(crate) struct Input {
    /// Laravel's normalised input: a JSON object (empty when the body gave nothing).
    pub value: Value,
    /// What the journal records instead of `value`, when the input is not what was sent.
    pub journal: Option<Value>,
}

/// Turns a decoded body into Laravel's normalised input: a JSON object, or an empty one for
/// anything else (with a diagnostic saying what was wrong).
pub(crate) fn laravel_input(
    headers: &HeaderMap,
    body: Decoded,
    diagnostics: &mut Vec<String>,
) -> Input {
    let empty = |journal| Input {
        value: Value::Object(Map::new()),
        journal: Some(journal),
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let is_json = essence.contains("/json") || essence.contains("+json");
    let mut value = match body {
        Decoded::Empty => return empty(Value::Null),
        body if !is_json => {
            let shown = if content_type.is_empty() {
                "missing"
            } else {
                content_type
            };
            diagnostics.push(format!(
                "Content-Type is {shown}, not application/json: the body was ignored"
            ));
            return empty(body.into_journal());
        }
        Decoded::Invalid { error, len } => {
            diagnostics.push(format!(
                "body is not valid JSON: {error}; treated as empty input"
            ));
            return empty(Decoded::Invalid { error, len }.into_journal());
        }
        Decoded::Json(v) => v,
    };
    if !value.is_object() {
        let kind = match value {
            Value::Array(_) => "an array",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Bool(_) => "a boolean",
            Value::Null | Value::Object(_) => "null",
        };
        diagnostics.push(format!(
            "JSON body is {kind}, not an object; treated as empty input"
        ));
        return empty(Decoded::Json(value).into_journal());
    }
    normalise(&mut value);
    Input {
        value,
        journal: None,
    }
}

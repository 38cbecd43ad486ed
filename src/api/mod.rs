//! The vendor's API: one module per resource, thin handlers over validation and the store.
//!
//! Also owns how a request body becomes Laravel's input array (JSON only; anything else is an
//! empty input with a diagnostic) and Laravel's `expectsJson()`.

pub mod cameras;
pub mod intercoms;
pub mod licenses;
pub mod users;

use hyper::header::{self, HeaderMap};
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::session::Runtime;
use crate::validation::{Failures, Rule, SchemaId, Schemas, normalise::normalise};

/// What a handler needs besides its input: the request headers and the session's state.
pub struct RequestContext<'a> {
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The session's runtime: settings, users, rules.
    pub runtime: &'a Runtime,
    /// The compiled schemas.
    pub schemas: &'a Schemas,
}

impl RequestContext<'_> {
    /// The error Laravel answers a failed validation with: the 422 envelope, or under
    /// `strict_accept` a 302 back to the `Referer` when the client does not ask for JSON.
    pub fn validation_error(&self, failures: Failures) -> ApiError {
        if self.runtime.settings.strict_accept && !expects_json(self.headers) {
            let location = self
                .headers
                .get(header::REFERER)
                .and_then(|v| v.to_str().ok())
                .filter(|v| !v.is_empty())
                .unwrap_or("/")
                .to_owned();
            return ApiError::Redirect { location };
        }
        let locale = self.runtime.settings.locale;
        ApiError::Validation(failures.into_bag(locale).to_json(locale))
    }
}

/// Validates the input of an endpoint that acts on an existing user: the schema, then
/// Laravel's `exists` rule on `login` (an unknown or deleted login is
/// `The selected login is invalid.`). Returns the login.
///
/// # Errors
/// A 422 (or 302) [`ApiError`].
pub fn existing_login<'i>(
    ctx: &RequestContext<'_>,
    id: SchemaId,
    input: &'i Value,
) -> Result<&'i str, ApiError> {
    let schema = ctx.schemas.get(id);
    let mut failures = schema.validate(input);
    let login = input
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !failures.has("login") && !ctx.runtime.store.login_taken(login) {
        failures.push(schema.field_failure("login", Rule::Exists));
    }
    if failures.is_empty() {
        Ok(login)
    } else {
        Err(ctx.validation_error(failures))
    }
}

/// The `exists` failure on `login`, for a user deleted between validation and the change.
pub fn login_gone(ctx: &RequestContext<'_>, id: SchemaId) -> ApiError {
    field_error(ctx, id, "login", Rule::Exists)
}

/// A 422 with one failure on a top-level field.
pub fn field_error(ctx: &RequestContext<'_>, id: SchemaId, field: &str, rule: Rule) -> ApiError {
    let mut failures = Failures::default();
    failures.push(ctx.schemas.get(id).field_failure(field, rule));
    ctx.validation_error(failures)
}

/// Laravel's `$request->expectsJson()`: an AJAX request accepting anything, or a first
/// acceptable type naming JSON.
pub fn expects_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let first = first_acceptable(accept);
    let wants_json = first.contains("/json") || first.contains("+json");
    let ajax = headers
        .get("x-requested-with")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"XMLHttpRequest"));
    let accepts_any = first.is_empty() || first == "*/*" || first == "*";
    (ajax && accepts_any) || wants_json
}

/// The media type with the highest `q` (first one on ties), without parameters.
fn first_acceptable(accept: &str) -> &str {
    let mut best = ("", -1.0f32);
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim();
        if media.is_empty() {
            continue;
        }
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        if q > best.1 {
            best = (media, q);
        }
    }
    best.0
}

/// A request body, decoded once: for rule matching, the journal and the handlers.
#[derive(Debug)]
pub enum Decoded {
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
    pub fn from_bytes(body: &[u8]) -> Self {
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
    pub fn json(&self) -> Option<&Value> {
        match self {
            Decoded::Json(v) => Some(v),
            Decoded::Empty | Decoded::Invalid { .. } => None,
        }
    }

    /// What the journal keeps of this body: the JSON with passwords redacted, or a note.
    /// Never raw text, which could carry a password in another encoding.
    pub fn into_journal(self) -> Value {
        match self {
            Decoded::Empty => Value::Null,
            Decoded::Json(mut v) => {
                crate::journal::redact(&mut v);
                v
            }
            Decoded::Invalid { len, .. } => {
                Value::String(format!("<{len} bytes, not JSON: not kept>"))
            }
        }
    }
}

/// Turns a decoded body into Laravel's normalised input: a JSON object, or an empty one for
/// anything else (with a diagnostic saying what was wrong). The second value is what the
/// journal records instead of the input, when the input is not what was sent (`None`: record
/// the input itself, once the handler is done with it).
pub fn parse_input(
    headers: &HeaderMap,
    body: Decoded,
    diagnostics: &mut Vec<String>,
) -> (Value, Option<Value>) {
    if !expects_json(headers) {
        diagnostics.push(
            "no Accept: application/json; the real API would answer a validation failure with a 302 redirect"
                .into(),
        );
    }
    let empty = || Value::Object(Map::new());
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    let is_json = essence.contains("/json") || essence.contains("+json");
    let mut value = match body {
        Decoded::Empty => return (empty(), Some(Value::Null)),
        body if !is_json => {
            let shown = if content_type.is_empty() {
                "missing"
            } else {
                content_type
            };
            diagnostics.push(format!(
                "Content-Type is {shown}, not application/json: the body was ignored"
            ));
            return (empty(), Some(body.into_journal()));
        }
        Decoded::Invalid { error, len } => {
            diagnostics.push(format!(
                "body is not valid JSON: {error}; treated as empty input"
            ));
            return (
                empty(),
                Some(Decoded::Invalid { error, len }.into_journal()),
            );
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
        return (empty(), Some(Decoded::Json(value).into_journal()));
    }
    normalise(&mut value);
    (value, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn expects_json_like_laravel() {
        assert!(expects_json(&headers(&[("accept", "application/json")])));
        assert!(expects_json(&headers(&[(
            "accept",
            "application/vnd.api+json"
        )])));
        assert!(expects_json(&headers(&[(
            "accept",
            "text/html;q=0.5, application/json"
        )])));
        assert!(expects_json(&headers(&[(
            "x-requested-with",
            "XMLHttpRequest"
        )])));
        assert!(!expects_json(&headers(&[])));
        assert!(!expects_json(&headers(&[("accept", "*/*")])));
        assert!(!expects_json(&headers(&[(
            "accept",
            "text/html, application/json"
        )])));
    }
}

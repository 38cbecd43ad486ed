//! Every answer's bytes: the vendor's bodies (user object, licence check, 422, Laravel's
//! exception renderings for JSON and for browsers, the 302), the admin API's, and the ones
//! scenario rules script. Nothing else in the crate writes a response body.
//!
//! Bytes follow Laravel 10 with debug off: `JsonResponse` escapes `/` and non-ASCII
//! (`json_encode` without flags); the exception handler pretty-prints with
//! `JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES`; clients that do not expect JSON get
//! HTML pages and, for a failed validation, a redirect.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;

use super::page::{BadHost, error_page, reason_phrase, redirect_page};
use crate::admin::{AdminError, AdminOk};
use crate::api::{ApiError, Success, method_list};
use crate::feed::EventStream;
use crate::php::json::write_string;
use crate::store::StoreError;
use crate::validation::{ErrorBag, Locale};

/// The body type of every response.
/// A response body: bytes, and while they are being sent, the share of
/// `--max-inflight-bytes` they hold (given back when hyper drops the body); or the live
/// request stream.
#[derive(Debug)]
pub struct Body(BodyKind);

#[derive(Debug)]
enum BodyKind {
    Bytes {
        bytes: Full<Bytes>,
        held: Option<OwnedSemaphorePermit>,
    },
    Stream(Box<EventStream>),
}

impl Body {
    fn new(bytes: Bytes) -> Self {
        Body(BodyKind::Bytes {
            bytes: Full::new(bytes),
            held: None,
        })
    }

    /// The body's length (0 for a stream).
    pub(crate) fn len(&self) -> u64 {
        match &self.0 {
            BodyKind::Bytes { bytes, .. } => http_body::Body::size_hint(bytes).exact().unwrap_or(0),
            BodyKind::Stream(_) => 0,
        }
    }

    /// Keeps `permit` until the body has been sent or dropped.
    pub(crate) fn hold(&mut self, permit: OwnedSemaphorePermit) {
        if let BodyKind::Bytes { held, .. } = &mut self.0 {
            *held = Some(permit);
        }
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        match &mut self.0 {
            BodyKind::Bytes { bytes, .. } => std::pin::Pin::new(bytes).poll_frame(cx),
            BodyKind::Stream(stream) => stream
                .poll_chunk(cx)
                .map(|chunk| chunk.map(|c| Ok(http_body::Frame::data(c)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.0 {
            BodyKind::Bytes { bytes, .. } => bytes.is_end_stream(),
            BodyKind::Stream(_) => false,
        }
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match &self.0 {
            BodyKind::Bytes { bytes, .. } => bytes.size_hint(),
            BodyKind::Stream(_) => http_body::SizeHint::default(),
        }
    }
}

/// `X-Mock-Diagnostic`: what the mock noticed about the request.
pub(crate) const DIAGNOSTIC: HeaderName = HeaderName::from_static("x-mock-diagnostic");

/// `X-Mock-Rule`: which scenario rule answered.
pub(crate) const RULE_HEADER: HeaderName = HeaderName::from_static("x-mock-rule");

const JSON: &str = "application/json";
const HTML: &str = "text/html; charset=UTF-8";

/// The body a `malformed_json` fault cuts in half: the vendor's documented user object.
const MALFORMED_SOURCE: &str = r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;

/// A response under construction.
#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Bytes,
    stream: Option<Box<EventStream>>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A JSON response.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Reply::with_type(status, JSON, body)
    }

    /// A response without a body (`204 No Content`).
    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            content_type: None,
            body: Bytes::new(),
            stream: None,
            headers: Vec::new(),
        }
    }

    /// Any body with its content type.
    pub(crate) fn with_type(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        Reply {
            status,
            content_type: Some(content_type),
            body: body.into(),
            stream: None,
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Sends the live request stream as the body.
    fn streaming(mut self, stream: EventStream) -> Self {
        self.stream = Some(Box::new(stream));
        self
    }

    /// The body, for the journal: JSON answers only (a page or a stream is not kept).
    pub(crate) fn json_body(&self) -> Option<&Bytes> {
        (self.content_type == Some(JSON) && self.stream.is_none()).then_some(&self.body)
    }

    /// The status this reply will carry.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The final response, with Laravel's `Cache-Control` and the diagnostics, if any.
    pub(crate) fn into_response(self, diagnostics: &[String]) -> Response<Body> {
        let body = match self.stream {
            Some(stream) => Body(BodyKind::Stream(stream)),
            None => Body::new(self.body),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        if let Some(reason) = symfony_reason(self.status) {
            response.extensions_mut().insert(reason);
        }
        let headers = response.headers_mut();
        if let Some(ct) = self.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, private"),
        );
        // A header set here replaces the default of the same name (a rule's own
        // `Content-Type`); the same name given twice here keeps both.
        let mut set: Vec<HeaderName> = Vec::new();
        for (name, value) in self.headers {
            if set.contains(&name) {
                headers.append(name, value);
            } else {
                headers.insert(name.clone(), value);
                set.push(name);
            }
        }
        if !diagnostics.is_empty() {
            // The answer's own diagnostic (why a 500) first, then what the request showed.
            let mut text = headers
                .get(DIAGNOSTIC)
                .and_then(|v| v.to_str().ok())
                .map(|own| format!("{own}; "))
                .unwrap_or_default();
            text.push_str(&diagnostics.join("; "));
            headers.insert(DIAGNOSTIC, header_value(&text));
        }
        response
    }
}

/// The status line's reason phrase where Symfony's differs from hyper's: RFC 9110's newer
/// names for 413 and 422 (the reference app's status lines), and `unknown status` for a
/// code with no name (a scenario's 299). Clients show it: Guzzle's exception message quotes
/// `422 Unprocessable Content`.
fn symfony_reason(status: StatusCode) -> Option<hyper::ext::ReasonPhrase> {
    let text = match status.canonical_reason() {
        None => "unknown status",
        Some(hypers) => Some(reason_phrase(status)).filter(|symfonys| *symfonys != hypers)?,
    };
    Some(hyper::ext::ReasonPhrase::from_static(text.as_bytes()))
}

/// A header value from arbitrary text: anything outside visible ASCII becomes `?`, so a
/// diagnostic quoting the request can never make an invalid header.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    let clean: String = text
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '?'
            }
        })
        .collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static("?"))
}

/// How the client asked to be answered, as far as Laravel's renderings depend on it.
pub(crate) struct Negotiation {
    /// `$request->expectsJson()`.
    pub expects_json: bool,
    /// Answer a failed validation with the 302 when the client does not expect JSON (the
    /// default; `--lenient-accept` answers JSON to everyone).
    pub redirect_validation: bool,
    /// Laravel's `url()->previous()`, which a failed validation works out (also for JSON
    /// clients: `FormRequest::failedValidation`) and a 302 goes to; `None` until then.
    pub previous: Option<Result<Vec<u8>, BadHost>>,
}

impl Negotiation {
    /// Whether errors are rendered as JSON (else as HTML pages).
    fn json(&self) -> bool {
        self.expects_json || !self.redirect_validation
    }

    /// Whether a failed validation is the 302 (else a 422 in JSON).
    pub(crate) fn redirects_validation(&self) -> bool {
        !self.json()
    }
}

/// The answer to a vendor request.
pub(crate) fn vendor(
    result: Result<Success, ApiError>,
    negotiation: &Negotiation,
    locale: Locale,
) -> Reply {
    match result {
        Ok(Success::User(json)) => Reply::json(StatusCode::OK, json),
        Ok(Success::NoContent) => Reply::empty(StatusCode::NO_CONTENT),
        // PHP's `json_encode` of an empty array is `[]`: a check that names no level.
        Ok(Success::LicenseCheck(levels)) if levels.is_empty() => {
            Reply::json(StatusCode::OK, b"[]".to_vec())
        }
        Ok(Success::LicenseCheck(levels)) => {
            let mut out = Vec::with_capacity(24 * levels.len() + 2);
            out.push(b'{');
            for (i, (name, fits)) in levels.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(&mut out, name, true);
                out.extend_from_slice(if fits { b":true" } else { b":false" });
            }
            out.push(b'}');
            Reply::json(StatusCode::OK, out)
        }
        Err(e) => api_error(e, negotiation, locale),
    }
}

/// Laravel's rendering of an error, with debug off.
pub(crate) fn api_error(error: ApiError, negotiation: &Negotiation, locale: Locale) -> Reply {
    let status = error.status();
    match error {
        ApiError::NotFound { path } => exception(
            status,
            &format!("The route {path} could not be found."),
            negotiation,
        ),
        ApiError::BadMethodOverride => exception(status, "Bad hostname provided.", negotiation),
        ApiError::MethodNotAllowed {
            method,
            path,
            allowed,
        } => {
            let list = method_list(allowed, ", ");
            exception(
                status,
                &format!("The {method} method is not supported for route {path}. Supported methods: {list}."),
                negotiation,
            )
            .header(header::ALLOW, header_value(&list))
        }
        // Laravel's `PostTooLargeException` carries no message.
        ApiError::PayloadTooLarge => exception(status, "", negotiation),
        ApiError::Validation(ref bag) | ApiError::NotUtf8Errors(ref bag) => {
            let location = match &negotiation.previous {
                // Building the redirect target read a Host header Symfony refuses.
                Some(Err(BadHost)) => {
                    return exception(StatusCode::NOT_FOUND, "Bad hostname provided.", negotiation);
                }
                Some(Ok(location)) => location.as_slice(),
                // Only JSON-only answers (the admin API's) render a failed validation without
                // working the target out first; they never redirect.
                None => &[],
            };
            if negotiation.redirects_validation() {
                // The bytes as PHP sends them: a Referer's bytes beyond ASCII stay as they
                // came (they were a valid header value then, and are one now).
                let value = HeaderValue::from_bytes(location).unwrap_or_else(|_| {
                    header_value(&String::from_utf8_lossy(location))
                });
                return Reply::with_type(
                    StatusCode::FOUND,
                    "text/html; charset=utf-8",
                    redirect_page(location),
                )
                .header(header::LOCATION, value);
            }
            if let ApiError::NotUtf8Errors(_) = error {
                return exception(status, "Server Error", negotiation).header(
                    DIAGNOSTIC,
                    HeaderValue::from_static(
                        "the 422 names a field by bytes that are not UTF-8: Laravel's JSON encoding of it fails, so it answers 500",
                    ),
                );
            }
            Reply::json(status, bag.to_json(locale))
        }
        ApiError::NotUtf8Stored => exception(status, "Server Error", negotiation).header(
            DIAGNOSTIC,
            HeaderValue::from_static(
                "a value to store has bytes that are not UTF-8: the database refuses it, so Laravel answers 500 and stores nothing",
            ),
        ),
        ApiError::Overloaded => exception(status, "Server Error", negotiation).header(
            DIAGNOSTIC,
            HeaderValue::from_static(
                "input too large to validate: Laravel would run past PHP's time or memory limit",
            ),
        ),
        ApiError::StoreFull(full) => {
            let hint = match full {
                StoreError::NoRoom(_) => "raise --max-store-bytes, reset, or use fewer sessions",
                _ => "raise --max-users or reset",
            };
            exception(status, "Server Error", negotiation)
                .header(DIAGNOSTIC, header_value(&format!("user {full}; {hint}")))
        }
    }
}

/// The exception handler's answer: pretty JSON `{"message": ...}`, or an HTML page.
pub(crate) fn exception(status: StatusCode, message: &str, negotiation: &Negotiation) -> Reply {
    if negotiation.json() {
        Reply::json(status, pretty_message(message))
    } else {
        Reply::with_type(status, HTML, error_page(status))
    }
}

/// `json_encode(['message' => $m], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES)`.
fn pretty_message(message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 24);
    out.extend_from_slice(b"{\n    \"message\": ");
    write_string(&mut out, message, false);
    out.extend_from_slice(b"\n}");
    out
}

/// `OPTIONS` on a vendor path: Laravel's automatic answer, 200 with `Allow` and no body.
pub(crate) fn options(allowed: &[Method]) -> Reply {
    Reply::with_type(StatusCode::OK, HTML, Bytes::new())
        .header(header::ALLOW, header_value(&method_list(allowed, ",")))
}

/// A rule's `errors`: a 422 in the exact envelope.
pub(crate) fn rule_errors(bag: &ErrorBag, locale: Locale) -> Reply {
    Reply::json(StatusCode::UNPROCESSABLE_ENTITY, bag.to_json(locale))
}

/// A rule's `status`, `body` and `headers`. Without `body`: what Laravel's exception
/// handler renders for an error status (the message of 500 is `Server Error`, of 429
/// `Too Many Attempts.`, of others the reason phrase), nothing otherwise.
pub(crate) fn rule_status(
    status: StatusCode,
    body: Option<&Bytes>,
    headers: &[(HeaderName, HeaderValue)],
    negotiation: &Negotiation,
) -> Reply {
    let mut reply = match body {
        Some(body) => Reply::json(status, body.clone()),
        None => match status.as_u16() {
            500 => exception(status, "Server Error", negotiation),
            429 => exception(status, "Too Many Attempts.", negotiation),
            code if code >= 400 => exception(status, reason_phrase(status), negotiation),
            _ => Reply::json(status, Bytes::new()),
        },
    };
    for (name, value) in headers {
        reply = reply.header(name.clone(), value.clone());
    }
    reply
}

/// The `malformed_json` fault: a 200 whose body stops halfway.
pub(crate) fn malformed_json() -> Reply {
    let cut = &MALFORMED_SOURCE[..MALFORMED_SOURCE.len() / 2];
    Reply::json(StatusCode::OK, Bytes::from_static(cut.as_bytes()))
}

/// What the dashboard's files are served with: nothing but its own scripts and styles, no
/// framing by other pages, no referrer, and no guessing of types.
const DASHBOARD_HEADERS: &[(HeaderName, &str)] = &[
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-cache"),
];

/// An admin answer: its JSON, or `{"error": "..."}` (the vendor's 422 for user bodies).
pub(crate) fn admin(result: Result<AdminOk, AdminError>, locale: Locale) -> Reply {
    match result {
        Ok(AdminOk::Json(status, value)) => Reply::json(status, value.to_string()),
        Ok(AdminOk::Empty(status)) => Reply::empty(status),
        Ok(AdminOk::Text(content_type, text)) => {
            Reply::with_type(StatusCode::OK, content_type, text)
        }
        Ok(AdminOk::Stream(stream)) => {
            Reply::with_type(StatusCode::OK, "text/event-stream", Bytes::new())
                .streaming(stream)
                .header(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
        }
        Ok(AdminOk::Asset(asset)) => {
            let reply = Reply::with_type(
                StatusCode::OK,
                asset.content_type(),
                Bytes::from_static(asset.bytes()),
            );
            DASHBOARD_HEADERS
                .iter()
                .fold(reply, |reply, (name, value)| {
                    reply.header(name.clone(), HeaderValue::from_static(value))
                })
        }
        Ok(AdminOk::Redirect(path)) => {
            Reply::empty(StatusCode::FOUND).header(header::LOCATION, HeaderValue::from_static(path))
        }
        Err(AdminError::Invalid(e)) => {
            let json_only = Negotiation {
                expects_json: true,
                redirect_validation: false,
                previous: None,
            };
            api_error(e, &json_only, locale)
        }
        Err(e) => {
            let status = e.status();
            let reply = Reply::json(status, json!({ "error": e.to_string() }).to_string());
            match e {
                AdminError::MethodNotAllowed { allowed, .. } => {
                    reply.header(header::ALLOW, header_value(&method_list(allowed, ", ")))
                }
                AdminError::Unauthorized => reply.header(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"vms-billing-mock admin\""),
                ),
                _ => reply,
            }
        }
    }
}

#[cfg(test)]
mod tests;

//! The response every handler builds, and how it becomes a hyper response.
//!
//! Owns the headers the vendor's Laravel backend puts on every answer and the mock's
//! diagnostic headers; knows nothing about routes or state.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Response, StatusCode};

/// The body type of every response.
pub type Body = Full<Bytes>;

/// `X-Mock-Diagnostic`: what the mock noticed about the request.
pub const DIAGNOSTIC: HeaderName = HeaderName::from_static("x-mock-diagnostic");

/// A response under construction.
#[derive(Debug, Clone)]
pub struct Reply {
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A JSON response, as Laravel's `JsonResponse` sends it.
    pub fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Reply {
            status,
            content_type: Some("application/json"),
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// `{"message": ...}`, the shape of every Laravel error outside validation.
    pub fn message(status: StatusCode, message: &str) -> Self {
        let mut body = Vec::with_capacity(message.len() + 16);
        body.extend_from_slice(b"{\"message\":");
        crate::validation::write_json_str(&mut body, message);
        body.push(b'}');
        Reply::json(status, body)
    }

    /// A response without a body (`204 No Content`, `OPTIONS`).
    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            content_type: None,
            body: Bytes::new(),
            headers: Vec::new(),
        }
    }

    /// Any body with its content type.
    pub fn with_type(
        status: StatusCode,
        content_type: &'static str,
        body: impl Into<Bytes>,
    ) -> Self {
        Reply {
            status,
            content_type: Some(content_type),
            body: body.into(),
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status this reply will carry.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The body this reply will carry.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The final response, with Laravel's `Cache-Control` and the diagnostics, if any.
    pub fn into_response(self, diagnostics: &[String]) -> Response<Body> {
        let mut response = Response::new(Full::new(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(ct) = self.content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache, private"),
        );
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        if !diagnostics.is_empty() {
            headers.insert(DIAGNOSTIC, header_value(&diagnostics.join("; ")));
        }
        response
    }
}

/// A header value from arbitrary text: anything outside visible ASCII becomes `?`, so a
/// diagnostic quoting the request can never make an invalid header.
pub fn header_value(text: &str) -> HeaderValue {
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

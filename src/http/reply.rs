//! Every answer's bytes: the vendor's bodies (user object, licence check, Laravel's error
//! renderings), the admin API's, and the ones scenario rules script. Nothing else in the
//! crate writes a response body.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Response, StatusCode};
use serde_json::json;

use crate::admin::{AdminError, AdminOk};
use crate::api::{ApiError, Success};
use crate::router::method_list;
use crate::store::User;
use crate::validation::{ErrorBag, Locale, write_json_str};

/// The body type of every response.
pub(crate) type Body = Full<Bytes>;

/// `X-Mock-Diagnostic`: what the mock noticed about the request.
pub(crate) const DIAGNOSTIC: HeaderName = HeaderName::from_static("x-mock-diagnostic");

/// `X-Mock-Rule`: which scenario rule answered.
pub(crate) const RULE_HEADER: HeaderName = HeaderName::from_static("x-mock-rule");

/// The body a `malformed_json` fault cuts in half: the vendor's documented user object.
const MALFORMED_SOURCE: &str = r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;

/// A response under construction.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    status: StatusCode,
    content_type: Option<&'static str>,
    body: Bytes,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl Reply {
    /// A JSON response, as Laravel's `JsonResponse` sends it.
    pub(crate) fn json(status: StatusCode, body: impl Into<Bytes>) -> Self {
        Reply::with_type(status, "application/json", body)
    }

    /// `{"message": ...}`, the shape of every Laravel error outside validation.
    pub(crate) fn message(status: StatusCode, message: &str) -> Self {
        let mut body = Vec::with_capacity(message.len() + 16);
        body.extend_from_slice(b"{\"message\":");
        write_json_str(&mut body, message);
        body.push(b'}');
        Reply::json(status, body)
    }

    /// A response without a body (`204 No Content`, `OPTIONS`).
    pub(crate) fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            content_type: None,
            body: Bytes::new(),
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
            headers: Vec::new(),
        }
    }

    /// Adds a header.
    pub(crate) fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status this reply will carry.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// The final response, with Laravel's `Cache-Control` and the diagnostics, if any.
    pub(crate) fn into_response(self, diagnostics: &[String]) -> Response<Body> {
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
    /// Answer a validation failure with the 302 when the client does not expect JSON.
    pub redirect_validation: bool,
    /// The `Referer`, where the 302 goes.
    pub referer: Option<String>,
}

/// The answer to a vendor request.
pub(crate) fn vendor(
    result: Result<Success, ApiError>,
    negotiation: &Negotiation,
    locale: Locale,
) -> Reply {
    match result {
        Ok(Success::User(user)) => Reply::json(StatusCode::OK, user_json(&user)),
        Ok(Success::NoContent) => Reply::empty(StatusCode::NO_CONTENT),
        Ok(Success::LicenseCheck(levels)) => {
            let map: serde_json::Map<String, serde_json::Value> = levels
                .into_iter()
                .map(|(name, fits)| (name.to_owned(), fits.into()))
                .collect();
            Reply::json(StatusCode::OK, serde_json::Value::Object(map).to_string())
        }
        Err(e) => api_error(e, negotiation, locale),
    }
}

/// Laravel's rendering of an error, with debug off.
pub(crate) fn api_error(error: ApiError, negotiation: &Negotiation, locale: Locale) -> Reply {
    let status = error.status();
    match error {
        ApiError::NotFound { path } => {
            Reply::message(status, &format!("The route {path} could not be found."))
        }
        ApiError::MethodNotAllowed {
            method,
            path,
            allowed,
        } => {
            let list = method_list(allowed, ", ");
            Reply::message(
                status,
                &format!("The {method} method is not supported for route {path}. Supported methods: {list}."),
            )
            .header(header::ALLOW, header_value(&list))
        }
        ApiError::PayloadTooLarge => Reply::message(status, "Payload Too Large"),
        ApiError::Validation(bag) => {
            if negotiation.redirect_validation && !negotiation.expects_json {
                let location = negotiation.referer.clone().unwrap_or_else(|| "/".into());
                return redirect(&location);
            }
            Reply::json(status, bag.to_json(locale))
        }
        ApiError::StoreFull { capacity } => Reply::message(status, "Server Error").header(
            DIAGNOSTIC,
            header_value(&format!(
                "user store full ({capacity} users); raise --max-users or reset"
            )),
        ),
    }
}

/// Symfony's `RedirectResponse`, as Laravel sends it for a failed validation.
fn redirect(location: &str) -> Reply {
    let escaped = html_escape(location);
    let page = format!(
        "<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset=\"UTF-8\" />\n        <meta http-equiv=\"refresh\" content=\"0;url='{escaped}'\" />\n\n        <title>Redirecting to {escaped}</title>\n    </head>\n    <body>\n        Redirecting to <a href=\"{escaped}\">{escaped}</a>.\n    </body>\n</html>"
    );
    Reply::with_type(StatusCode::FOUND, "text/html; charset=utf-8", page)
        .header(header::LOCATION, header_value(location))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// The vendor's user object, keys in the documented order. Written by hand into one buffer:
/// it is the body of nearly every successful request (see benches/README.md).
pub(crate) fn user_json(user: &User) -> Vec<u8> {
    let mut out = Vec::with_capacity(224 + 48 * user.billing_properties.len());
    out.extend_from_slice(b"{\"id\":");
    out.extend_from_slice(itoa::Buffer::new().format(user.id).as_bytes());
    out.extend_from_slice(b",\"login\":");
    write_json_str(&mut out, &user.login);
    out.extend_from_slice(b",\"name\":null,\"type\":");
    write_json_str(&mut out, &user.kind);
    out.extend_from_slice(b",\"status\":");
    write_json_str(&mut out, &user.status);
    out.extend_from_slice(b",\"created_at\":\"");
    user.created_at.write_laravel(&mut out);
    out.extend_from_slice(b"\",\"updated_at\":\"");
    user.updated_at.write_laravel(&mut out);
    match user.deleted_at {
        Some(t) => {
            out.extend_from_slice(b"\",\"deleted_at\":\"");
            t.write_laravel(&mut out);
            out.extend_from_slice(b"\",");
        }
        None => out.extend_from_slice(b"\",\"deleted_at\":null,"),
    }
    out.extend_from_slice(b"\"can_update_password\":false,\"billing_properties\":[");
    for (i, p) in user.billing_properties.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":");
        write_json_str(&mut out, &p.kind);
        out.extend_from_slice(b",\"value\":");
        write_json_str(&mut out, &p.value);
        out.push(b'}');
    }
    out.extend_from_slice(b"]}");
    out
}

/// `OPTIONS` on a vendor path: 200 and `Allow`.
pub(crate) fn options(allowed: &[Method]) -> Reply {
    Reply::empty(StatusCode::OK).header(header::ALLOW, header_value(&method_list(allowed, ", ")))
}

/// A rule's `errors`: a 422 in the exact envelope.
pub(crate) fn rule_errors(bag: &ErrorBag, locale: Locale) -> Reply {
    Reply::json(StatusCode::UNPROCESSABLE_ENTITY, bag.to_json(locale))
}

/// A rule's `status`, `body` and `headers`. Without `body`: Laravel's JSON error body for
/// error statuses, nothing otherwise.
pub(crate) fn rule_status(
    status: StatusCode,
    body: Option<&Bytes>,
    headers: &[(HeaderName, HeaderValue)],
) -> Reply {
    let mut reply = match body {
        Some(body) => Reply::json(status, body.clone()),
        None => match status.as_u16() {
            500 => Reply::message(status, "Server Error"),
            429 => Reply::message(status, "Too Many Attempts."),
            code if code >= 400 => {
                Reply::message(status, status.canonical_reason().unwrap_or("Error"))
            }
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

/// An admin answer: its JSON, or `{"error": "..."}` (the vendor's 422 for user bodies).
pub(crate) fn admin(
    result: Result<AdminOk, AdminError>,
    negotiation: &Negotiation,
    locale: Locale,
) -> Reply {
    match result {
        Ok(AdminOk::Json(status, value)) => Reply::json(status, value.to_string()),
        Ok(AdminOk::Empty(status)) => Reply::empty(status),
        Err(AdminError::Invalid(e)) => api_error(e, negotiation, locale),
        Err(e) => {
            let status = e.status();
            let reply = Reply::json(status, json!({ "error": e.to_string() }).to_string());
            match e {
                AdminError::MethodNotAllowed { allowed, .. } => {
                    reply.header(header::ALLOW, header_value(&method_list(allowed, ", ")))
                }
                _ => reply,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;
    use crate::store::{Property, User, UserDraft};

    #[test]
    fn user_object_has_the_documented_key_order() {
        let mut u = User::new(
            UserDraft {
                login: "test@mail.com".into(),
                kind: "b2c".into(),
                status: "active".into(),
                billing_properties: vec![Property {
                    kind: "phone".into(),
                    value: "+8\"0".into(),
                }]
                .into(),
                billing_info: None,
                password: String::new(),
                now: Timestamp::from_unix_seconds(0),
            },
            0,
        );
        u.id = 1;
        assert_eq!(
            String::from_utf8(user_json(&u)).unwrap(),
            r#"{"id":1,"login":"test@mail.com","name":null,"type":"b2c","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-01T00:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+8\"0"}]}"#
        );
    }
}

//! Laravel's view of a request: `$request->all()` and `$request->getMethod()`.
//!
//! Input sources as Laravel 10 reads them (CONTRACT 2.0): a body whose Content-Type contains
//! `/json` or `+json` (anywhere in the header, case-sensitive: `isJson()`) is decoded JSON; a
//! POST body of a form or multipart media type is PHP's `$_POST` (and `$_FILES`); a PUT,
//! PATCH or DELETE body whose Content-Type starts with `application/x-www-form-urlencoded`
//! is parsed by Symfony; anything else gives nothing. The query string's parameters are
//! added for every key the body lacks. A POST may be routed as another method by
//! `X-HTTP-Method-Override` or `_method` (body first, then query), read before trimming.

use std::borrow::Cow;

use hyper::Method;
use hyper::header::{self, HeaderMap};

use crate::php::multipart;
use crate::php::{Array, Key, Value, form, json};
use crate::validation::normalise::{changes, normalise};

/// The request as Laravel's controllers would see it.
pub(crate) struct LaravelRequest {
    /// The method the router sees: the request's, or the override a POST asked for.
    pub method: Result<Method, InvalidOverride>,
    /// `$request->all()` before the middleware: what rules match against. `None` when the
    /// middleware changed nothing: then it is `input`.
    raw: Option<Array>,
    /// `$request->all()` after `TrimStrings` and `ConvertEmptyStringsToNull`.
    pub input: Array,
    /// What the mock noticed (bad JSON and where, a body that was not read).
    pub diagnostics: Vec<String>,
    /// Whether a form, multipart or query name or value was not UTF-8 (JSON that is not is
    /// no input at all). The bytes are read as U+FFFD; Laravel keeps them, and then can
    /// neither store such a value nor JSON-encode an answer that holds one.
    pub not_utf8: bool,
}

/// A method override that is not a method (`_method=PAT CH`): Symfony's
/// `SuspiciousOperationException`, which Laravel answers with a 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidOverride;

/// Whether the Content-Type makes Laravel decode the body as JSON (`isJson()`).
fn is_json(content_type: Option<&[u8]>) -> bool {
    // `Str::contains($type, ['/json', '+json'])`, case-sensitive; a scan for the two
    // five-byte needles rather than a substring search, whose searcher costs more to set up
    // than a Content-Type takes to scan.
    content_type.is_some_and(|ct| {
        ct.windows(5)
            .any(|w| matches!(w, [b'/' | b'+', b'j', b's', b'o', b'n']))
    })
}

/// The Content-Type's bytes, as PHP and Symfony read them: bytes beyond ASCII included
/// (`application/json; x=\xE9` is still JSON).
fn content_type(headers: &HeaderMap) -> Option<Cow<'_, [u8]>> {
    super::header_bytes(headers, &header::CONTENT_TYPE)
}

/// PHP's media-type test for POST bodies (main/SAPI.c): the type cut at `;`, `,` or a
/// space, compared without case.
fn post_media_type_is(content_type: &[u8], media_type: &str) -> bool {
    content_type
        .split(|&b| matches!(b, b';' | b',' | b' '))
        .next()
        .unwrap_or_default()
        .eq_ignore_ascii_case(media_type.as_bytes())
}

/// Reads a request the way Laravel builds `$request->all()`.
pub(crate) fn read(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> LaravelRequest {
    let mut diagnostics = Vec::new();
    let ct = content_type(headers);
    let ct = ct.as_deref();
    let mut files = None;
    let mut not_utf8 = false;
    // PHP reads a multipart POST body itself: `php://input`, which `json()` decodes, is
    // empty then, whatever the Content-Type says about JSON.
    let multipart_post = *method == Method::POST
        && ct.is_some_and(|ct| post_media_type_is(ct, "multipart/form-data"));
    let body_bag = if is_json(ct) {
        let content = if multipart_post { &b""[..] } else { body };
        match json::decode(content) {
            Ok(Value::Array(array)) => {
                if array.is_list() && !array.is_empty() {
                    diagnostics.push(not_an_object("an array"));
                }
                array
            }
            // `(array) json_decode(...)`: null is nothing, a scalar is key 0, no field.
            Ok(Value::Null) => {
                diagnostics.push(not_an_object("null"));
                Array::new()
            }
            Ok(scalar) => {
                let kind = match scalar {
                    Value::Str(_) => "a string",
                    Value::Bool(_) => "a boolean",
                    _ => "a number",
                };
                diagnostics.push(not_an_object(kind));
                Array::list([scalar])
            }
            Err(_) if content.iter().all(u8::is_ascii_whitespace) => Array::new(),
            Err(e) => {
                diagnostics.push(format!(
                    "body is not valid JSON: {e}; treated as empty input"
                ));
                Array::new()
            }
        }
    } else if *method == Method::POST
        && ct.is_some_and(|ct| post_media_type_is(ct, "application/x-www-form-urlencoded"))
    {
        form::parse(body).noting(&mut not_utf8)
    } else if *method == Method::POST
        && ct.is_some_and(|ct| post_media_type_is(ct, "multipart/form-data"))
    {
        match ct.and_then(multipart::boundary) {
            Some(boundary) => {
                let parsed = multipart::parse(body, boundary);
                not_utf8 = parsed.not_utf8;
                files = Some(parsed.files);
                parsed.fields
            }
            None => {
                diagnostics.push("multipart body without a boundary: the body was ignored".into());
                Array::new()
            }
        }
    } else if matches!(*method, Method::PUT | Method::PATCH | Method::DELETE)
        && ct.is_some_and(|ct| ct.starts_with(b"application/x-www-form-urlencoded"))
    {
        form::parse(body).noting(&mut not_utf8)
    } else {
        if !body.iter().all(u8::is_ascii_whitespace) {
            let shown = ct.map_or("missing".into(), String::from_utf8_lossy);
            diagnostics.push(format!(
                "Content-Type is {shown}, which Laravel does not read: the body was ignored"
            ));
        }
        Array::new()
    };
    let query_bag = query
        .map(|query| form::parse(query.as_bytes()).noting(&mut not_utf8))
        .unwrap_or_default();
    if not_utf8 {
        diagnostics.push(
            "form or query input has bytes that are not UTF-8 (read as U+FFFD): Laravel can neither store such a value nor JSON-encode an answer naming it, and answers 500 when it must".into(),
        );
    }
    let routed = routed_method(method, headers, &body_bag, &query_bag);
    // `input()`: the body's keys, then the query's keys the body lacks.
    let mut raw = body_bag;
    for (key, value) in query_bag.iter() {
        if raw.get(key).is_none() {
            raw.set(key.clone(), value.clone());
        }
    }
    let (raw, input) = match files {
        Some(files) => {
            let mut input = raw.clone();
            normalise(&mut input, not_utf8);
            replace_recursive(&mut input, files.clone());
            replace_recursive(&mut raw, files);
            (Some(raw), input)
        }
        None if changes(&raw, not_utf8) => {
            let mut input = raw.clone();
            normalise(&mut input, not_utf8);
            (Some(raw), input)
        }
        None => (None, raw),
    };
    LaravelRequest {
        method: routed,
        raw,
        input,
        diagnostics,
        not_utf8,
    }
}

impl LaravelRequest {
    /// `$request->all()` before the middleware.
    pub(crate) fn raw(&self) -> &Array {
        self.raw.as_ref().unwrap_or(&self.input)
    }

    /// [`LaravelRequest::raw`], taken.
    pub(crate) fn into_raw(self) -> Array {
        self.raw.unwrap_or(self.input)
    }
}

fn not_an_object(kind: &str) -> String {
    format!("JSON body is {kind}, not an object; treated as empty input")
}

/// Symfony's `Request::getMethod()` with the method parameter override enabled.
fn routed_method(
    method: &Method,
    headers: &HeaderMap,
    body: &Array,
    query: &Array,
) -> Result<Method, InvalidOverride> {
    if *method != Method::POST {
        return Ok(method.clone());
    }
    const OVERRIDE: header::HeaderName = header::HeaderName::from_static("x-http-method-override");
    let header = super::header_bytes(headers, &OVERRIDE)
        // PHP's `!$method`: an empty header and "0" do not count.
        .filter(|v| !v.is_empty() && **v != *b"0");
    let name = Key::from_str("_method");
    let asked: Option<String> = match header {
        // Bytes beyond ASCII (read as they are or as U+FFFD) fail the check below either way.
        Some(h) => Some(String::from_utf8_lossy(&h).into_owned()),
        None => match body.get(&name).or_else(|| query.get(&name)) {
            Some(Value::Str(s)) => Some(s.to_string()),
            // Not a string (an array, a JSON number): the request stays a POST.
            Some(_) | None => None,
        },
    };
    let Some(asked) = asked else {
        return Ok(Method::POST);
    };
    // PHP's `strtoupper` changes ASCII letters only: `ß` stays `ß` (not `SS`) and fails
    // Symfony's `/^[A-Z]++$/D` like any other byte beyond ASCII.
    let upper = asked.to_ascii_uppercase();
    if upper.is_empty() || !upper.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(InvalidOverride);
    }
    Method::from_bytes(upper.as_bytes()).map_err(|_| InvalidOverride)
}

/// PHP's `array_replace_recursive($base, $replacement)`.
fn replace_recursive(base: &mut Array, replacement: Array) {
    for (key, value) in replacement.iter() {
        match (base.get_mut(key), value) {
            (Some(Value::Array(inner)), Value::Array(more)) => {
                replace_recursive(inner, more.clone())
            }
            _ => base.set(key.clone(), value.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::php::array_to_json;
    use hyper::header::HeaderValue;

    fn request(
        method: Method,
        ct: Option<&'static str>,
        query: Option<&str>,
        body: &str,
    ) -> LaravelRequest {
        let mut headers = HeaderMap::new();
        if let Some(ct) = ct {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        read(&method, &headers, query, body.as_bytes())
    }

    fn shown(a: &Array) -> String {
        array_to_json(a).to_string()
    }

    #[test]
    fn query_fills_the_keys_the_body_lacks() {
        let r = request(
            Method::POST,
            Some("application/json"),
            Some("login=q&type=t"),
            r#"{"login":" a "}"#,
        );
        assert_eq!(shown(&r.input), r#"{"login":"a","type":"t"}"#);
        assert_eq!(shown(r.raw()), r#"{"login":" a ","type":"t"}"#);
    }

    #[test]
    fn forms_are_read_for_post_and_urlencoded_patch() {
        let form = "billing_properties[0][type]=phone&login=a";
        let r = request(
            Method::POST,
            Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            None,
            form,
        );
        assert_eq!(
            shown(&r.input),
            r#"{"billing_properties":[{"type":"phone"}],"login":"a"}"#
        );
        let r = request(
            Method::PATCH,
            Some("application/x-www-form-urlencoded"),
            None,
            form,
        );
        assert_eq!(r.input.len(), 2);
        // Symfony's test for PATCH is case-sensitive.
        let r = request(
            Method::PATCH,
            Some("Application/x-www-form-urlencoded"),
            None,
            form,
        );
        assert!(r.input.is_empty());
    }

    #[test]
    fn json_is_detected_anywhere_in_the_content_type_and_case_sensitively() {
        let body = r#"{"login":"a"}"#;
        assert_eq!(
            request(Method::POST, Some("text/plain; profile=/json"), None, body)
                .input
                .len(),
            1
        );
        assert!(
            request(Method::POST, Some("APPLICATION/JSON"), None, body)
                .input
                .is_empty()
        );
    }

    #[test]
    fn method_override_follows_symfony() {
        let m = |q: &str, body: &str, ct| request(Method::POST, Some(ct), Some(q), body).method;
        assert_eq!(
            m("_method=patch", "", "application/json"),
            Ok(Method::PATCH)
        );
        assert_eq!(
            m(
                "_method=PATCH",
                r#"{"_method":"DELETE"}"#,
                "application/json"
            ),
            Ok(Method::DELETE)
        );
        assert_eq!(
            m("_method[]=PATCH", "", "application/json"),
            Ok(Method::POST)
        );
        assert_eq!(
            m("_method=bogus", "", "application/json"),
            Ok(Method::from_bytes(b"BOGUS").unwrap())
        );
        assert_eq!(
            m("_method=PAT%20CH", "", "application/json"),
            Err(InvalidOverride)
        );
        assert_eq!(m("_method=", "", "application/json"), Err(InvalidOverride));
        // `strtoupper` is ASCII-only: no letter beyond ASCII becomes a method name.
        for unicode in ["%C3%9F", "%EF%AC%81", "pat%C4%B1ch", "%FF"] {
            let query = format!("_method={unicode}");
            assert_eq!(
                m(&query, "", "application/json"),
                Err(InvalidOverride),
                "{query}"
            );
        }
        assert_eq!(
            m("", "_method=PUT", "application/x-www-form-urlencoded"),
            Ok(Method::PUT)
        );
        let r = request(
            Method::PATCH,
            Some("application/json"),
            Some("_method=DELETE"),
            "",
        );
        assert_eq!(r.method, Ok(Method::PATCH));
    }

    #[test]
    fn headers_are_read_as_their_bytes() {
        let with = |pairs: &[(&'static str, &[u8])]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                let value = HeaderValue::from_bytes(value).expect("obs-text is a valid value");
                headers.insert(*name, value);
            }
            read(&Method::POST, &headers, None, br#"{"login":"x"}"#)
        };
        // A Content-Type naming JSON is JSON, whatever bytes its parameters have.
        let r = with(&[("content-type", b"application/json; x=\xE9")]);
        assert_eq!(shown(&r.input), r#"{"login":"x"}"#);
        // An override header with bytes beyond ASCII is not a method: Laravel's 404.
        for value in [&b"PATCH\xE9"[..], "PATCH\u{e9}".as_bytes()] {
            let r = with(&[
                ("content-type", b"application/json"),
                ("x-http-method-override", value),
            ]);
            assert_eq!(r.method, Err(InvalidOverride), "{value:?}");
        }
    }
}

//! Content negotiation as Laravel does it: `$request->expectsJson()` decides between the
//! JSON answers and the redirect / HTML pages a browser gets.

use hyper::header::{self, HeaderMap};

use crate::php::stripos_contains;

/// Laravel's `$request->expectsJson()`: an AJAX request accepting anything, or a first
/// acceptable type naming JSON.
pub(crate) fn expects_json(headers: &HeaderMap) -> bool {
    const X_REQUESTED_WITH: header::HeaderName =
        header::HeaderName::from_static("x-requested-with");
    const X_PJAX: header::HeaderName = header::HeaderName::from_static("x-pjax");
    // Symfony reads the header's bytes: `application/json\xE9` still names JSON. Bytes that
    // are not UTF-8 become U+FFFD here, which changes no ASCII test below.
    let accept = super::header(headers, &header::ACCEPT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
        .unwrap_or_default();
    let first = first_acceptable(&accept);
    if stripos_contains(first, "/json") || stripos_contains(first, "+json") {
        return true;
    }
    let ajax = headers
        .get(X_REQUESTED_WITH)
        .is_some_and(|v| v.as_bytes() == b"XMLHttpRequest");
    let pjax = headers.contains_key(X_PJAX);
    let accepts_any = first.is_empty() || first == "*/*" || first == "*";
    ajax && !pjax && accepts_any
}

/// The media type with the highest `q` (first one on ties), without parameters.
fn first_acceptable(accept: &str) -> &str {
    if !accept.bytes().any(|b| b == b',' || b == b';') {
        // One media type without parameters (`application/json`): itself.
        return accept.trim();
    }
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

    #[test]
    fn an_accept_header_with_bytes_beyond_ascii_is_read_as_laravel_reads_it() {
        for (value, json) in [
            (&b"application/json\xE9"[..], true),
            ("application/json\u{e9}".as_bytes(), true),
            (b"text/html\xE9, application/json", false),
        ] {
            let mut h = HeaderMap::new();
            h.insert(
                header::ACCEPT,
                HeaderValue::from_bytes(value).expect("obs-text"),
            );
            assert_eq!(expects_json(&h), json, "{value:?}");
        }
    }
}

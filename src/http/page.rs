//! What a browser, or any client that does not ask for JSON, gets from Laravel: error pages
//! and the redirect after a failed validation.

use hyper::StatusCode;

/// The page a browser gets: Laravel's own error views for the statuses it has one for,
/// Symfony's error page for the others. Only the status and the content type are the
/// vendor's; the markup is plain, with no external fonts.
pub(super) fn error_page(status: StatusCode) -> String {
    let reason = reason_phrase(status);
    let code = status.as_u16();
    if matches!(code, 401 | 402 | 403 | 404 | 419 | 429 | 500 | 503) {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n    <head>\n        <meta charset=\"utf-8\">\n        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\n        <title>{reason}</title>\n    </head>\n    <body>\n        <div>{code} | {reason}</div>\n    </body>\n</html>\n"
        )
    } else {
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n    <meta charset=\"UTF-8\" />\n    <meta name=\"robots\" content=\"noindex,nofollow,noarchive\" />\n    <title>An Error Occurred: {reason}</title>\n</head>\n<body>\n<div class=\"container\">\n    <h1>Oops! An Error Occurred</h1>\n    <h2>The server returned a \"{code} {reason}\".</h2>\n</div>\n</body>\n</html>\n"
        )
    }
}

/// Symfony's reason phrases where they differ from hyper's.
pub(super) fn reason_phrase(status: StatusCode) -> &'static str {
    match status.as_u16() {
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        _ => status.canonical_reason().unwrap_or("Error"),
    }
}

/// A `Host` header Symfony refuses (`Request::getHost()` throws, and Laravel answers
/// `404 Bad hostname provided.`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct BadHost;

/// Laravel's `url()->previous()` for a request without a session: the `Referer` when it is
/// a URL; else the `Referer` path, or nothing, under the request's root. Only that root
/// reads the `Host` header, so only then can a bad one fail the answer (`Err`).
///
/// The root is `Request::root()`: `scheme://` Symfony's `getHttpHost()` (the host trimmed
/// and lower-cased, `:digits` cut; its port, read from the header as PHP's `(int)` reads
/// it, added back unless it is the scheme's default) and the front controller's prefix
/// (`base`).
///
/// With `build` false only the check is made, and the text is empty: what a JSON client's
/// failed validation needs.
pub(crate) fn previous_url(
    referer: Option<&str>,
    host: Option<&str>,
    secure: bool,
    base: &str,
    build: bool,
) -> Result<String, BadHost> {
    let referer = referer.filter(|r| !r.is_empty());
    if let Some(referer) = referer.filter(|r| is_url(r)) {
        return Ok(if build {
            referer.to_owned()
        } else {
            String::new()
        });
    }
    let host = host.unwrap_or("localhost");
    let name = host_name(host)?;
    if !build {
        return Ok(String::new());
    }
    let scheme = if secure { "https" } else { "http" };
    let host = http_host(host, name, secure);
    Ok(under_root(referer, &format!("{scheme}://{host}{base}")))
}

/// Symfony's `getHost()` before lower-casing: the header trimmed, a `:digits` end cut, and
/// checked.
fn host_name(raw: &str) -> Result<&str, BadHost> {
    let trimmed = raw.trim_matches([' ', '\t', '\n', '\r', '\0', '\x0b']);
    let name = match trimmed.rfind(':') {
        Some(at)
            if at + 1 < trimmed.len() && trimmed[at + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            &trimmed[..at]
        }
        _ => trimmed,
    };
    if name.is_empty() || valid_host(name.as_bytes()) {
        Ok(name)
    } else {
        Err(BadHost)
    }
}

/// Symfony's `getHttpHost()` of a `Host` header whose [`host_name`] is `name`.
fn http_host(raw: &str, name: &str, secure: bool) -> String {
    let host = name.to_ascii_lowercase();
    // `getPort()`: after the last `:` (after the `]` of an IPv6 address), when that is a
    // non-empty text other than "0"; else the scheme's.
    let after = match raw.strip_prefix('[') {
        Some(_) => {
            let from = raw.rfind(']').unwrap_or(0);
            raw[from..].find(':').map(|at| from + at)
        }
        None => raw.rfind(':'),
    };
    let port = match after.map(|at| &raw[at + 1..]) {
        Some(text) if !text.is_empty() && text != "0" => php_int(text),
        _ if secure => 443,
        _ => 80,
    };
    if port == if secure { 443 } else { 80 } {
        host
    } else {
        format!("{host}:{port}")
    }
}

/// `(?:^\[)?[a-zA-Z0-9-:\]_]+\.?`, repeated, covers the whole host: what Symfony accepts.
fn valid_host(host: &[u8]) -> bool {
    let token = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b':' | b']' | b'_');
    let mut rest = match host.strip_prefix(b"[") {
        Some(&[]) => return false,
        Some(rest) => rest,
        None => host,
    };
    while !rest.is_empty() {
        let run = rest.iter().take_while(|&&b| token(b)).count();
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        rest = rest.strip_prefix(b".").unwrap_or(rest);
    }
    true
}

/// PHP's `(int)` of a string: leading white space, a sign and digits; 0 for anything else.
fn php_int(text: &str) -> i64 {
    let text = text.trim_start_matches(|c: char| c.is_ascii() && crate::php::is_c_space(c as u8));
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if negative { -value } else { value }
}

/// Laravel's `UrlGenerator::isValidUrl`: a fragment, a scheme-relative or http(s) URL, a
/// `mailto:`/`tel:`/`sms:` link, or anything else with a scheme.
fn is_url(referer: &str) -> bool {
    ["#", "//", "http://", "https://", "mailto:", "tel:", "sms:"]
        .iter()
        .any(|p| referer.starts_with(p))
        || referer.split_once("://").is_some_and(|(scheme, rest)| {
            !rest.is_empty()
                && scheme
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
}

/// A `Referer` that is not a URL (a path, perhaps with a query) under the request's root,
/// or the root itself.
fn under_root(referer: Option<&str>, root: &str) -> String {
    let Some(referer) = referer else {
        return root.to_owned();
    };
    let (path, query) = match referer.find('?') {
        Some(at) => referer.split_at(at),
        None => (referer, ""),
    };
    let path = path.trim_matches('/');
    let joined = if path.is_empty() {
        root.to_owned()
    } else {
        format!("{root}/{path}")
    };
    format!("{}{query}", joined.trim_end_matches('/'))
}

/// The page of Symfony's `RedirectResponse`, as Laravel sends it for a failed validation.
pub(super) fn redirect_page(location: &str) -> String {
    let escaped = html_escape(location);
    format!(
        "<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset=\"UTF-8\" />\n        <meta http-equiv=\"refresh\" content=\"0;url='{escaped}'\" />\n\n        <title>Redirecting to {escaped}</title>\n    </head>\n    <body>\n        Redirecting to <a href=\"{escaped}\">{escaped}</a>.\n    </body>\n</html>"
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redirect_root_is_symfonys_http_host() {
        // Lower-cased, a default port left out, another kept (the reference app's answers);
        // `(int)"abc"` is 0, and "billing.test:abc" keeps its text as the host.
        for (host, secure, root) in [
            ("Billing.Test:80", false, "http://billing.test"),
            ("billing.test:8443", false, "http://billing.test:8443"),
            ("billing.test:443", true, "https://billing.test"),
            ("billing.test:80", true, "https://billing.test:80"),
            ("[::1]:8080", false, "http://[::1]:8080"),
            ("billing.test.", false, "http://billing.test."),
            ("bill_ing.test", false, "http://bill_ing.test"),
            ("billing.test:", false, "http://billing.test:"),
            ("billing.test:abc", false, "http://billing.test:abc:0"),
        ] {
            assert_eq!(
                previous_url(None, Some(host), secure, "", true),
                Ok(root.to_owned()),
                "{host}"
            );
        }
        for bad in ["bad_host!", "billing .test", "a..b", ".a", "[", "é.test"] {
            assert_eq!(
                previous_url(None, Some(bad), false, "", true),
                Err(BadHost),
                "{bad}"
            );
        }
    }

    #[test]
    fn previous_url_is_the_referer_made_absolute() {
        for (referer, previous) in [
            (None, "http://127.0.0.1:8080"),
            (Some("/back/here"), "http://127.0.0.1:8080/back/here"),
            (Some("back?x=1"), "http://127.0.0.1:8080/back?x=1"),
            (Some("http://example.com/x?y"), "http://example.com/x?y"),
            (Some("//evil.example/x"), "//evil.example/x"),
        ] {
            assert_eq!(
                previous_url(referer, Some("127.0.0.1:8080"), false, "", true),
                Ok(previous.to_owned()),
                "{referer:?}"
            );
        }
    }

    #[test]
    fn a_referer_that_is_a_url_needs_no_host() {
        assert_eq!(
            previous_url(Some("http://x.y/z"), Some("bad host"), false, "", true),
            Ok("http://x.y/z".into())
        );
        assert_eq!(
            previous_url(Some("/back"), Some("bad host"), false, "", true),
            Err(BadHost)
        );
        assert_eq!(
            previous_url(None, Some("bad host"), false, "", false),
            Err(BadHost)
        );
        assert_eq!(
            previous_url(None, Some("b.test"), false, "", false),
            Ok(String::new())
        );
        assert_eq!(
            previous_url(Some("/back"), Some("b.test"), false, "/index.php", true),
            Ok("http://b.test/index.php/back".into())
        );
    }
}

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
    referer: Option<&[u8]>,
    host: Option<&str>,
    secure: bool,
    base: &str,
    build: bool,
) -> Result<Vec<u8>, BadHost> {
    let referer = referer.filter(|r| !r.is_empty());
    if let Some(referer) = referer.filter(|r| is_url(r)) {
        return Ok(if build { referer.to_vec() } else { Vec::new() });
    }
    let host = host.unwrap_or("localhost");
    let name = host_name(host)?;
    if !build {
        return Ok(Vec::new());
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
/// `mailto:`/`tel:`/`sms:` link, or anything else with a scheme. Bytes, as PHP's regex
/// without `/u` reads them.
fn is_url(referer: &[u8]) -> bool {
    [
        &b"#"[..],
        b"//",
        b"http://",
        b"https://",
        b"mailto:",
        b"tel:",
        b"sms:",
    ]
    .iter()
    .any(|p| referer.starts_with(p))
        || memchr::memmem::find(referer, b"://").is_some_and(|at| {
            let (scheme, rest) = (&referer[..at], &referer[at + 3..]);
            !rest.is_empty()
                && scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        })
}

/// A `Referer` that is not a URL (a path, perhaps with a query) under the request's root,
/// or the root itself. The referer's bytes are kept as they are, as PHP keeps them.
fn under_root(referer: Option<&[u8]>, root: &str) -> Vec<u8> {
    let Some(referer) = referer else {
        return root.as_bytes().to_vec();
    };
    let (path, query) = referer.split_at(memchr::memchr(b'?', referer).unwrap_or(referer.len()));
    let path = trim_slashes(path);
    let mut joined = root.as_bytes().to_vec();
    if !path.is_empty() {
        joined.push(b'/');
        joined.extend_from_slice(path);
    }
    joined.truncate(trim_slashes_end(&joined).len());
    joined.extend_from_slice(query);
    joined
}

fn trim_slashes(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != b'/').unwrap_or(bytes.len());
    trim_slashes_end(&bytes[start..])
}

fn trim_slashes_end(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b'/')
        .map_or(0, |at| at + 1);
    &bytes[..end]
}

/// The page of Symfony's `RedirectResponse`, as Laravel sends it for a failed validation.
pub(super) fn redirect_page(location: &[u8]) -> String {
    // `htmlspecialchars($url, ENT_QUOTES, 'UTF-8')`, which gives "" for bytes that are not
    // UTF-8 (the page then links nowhere; the Location header still has the bytes).
    let escaped = std::str::from_utf8(location)
        .map(html_escape)
        .unwrap_or_default();
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

    /// [`previous_url`] of a text referer, as text.
    fn previous_text(
        referer: Option<&str>,
        host: Option<&str>,
        secure: bool,
        base: &str,
        build: bool,
    ) -> Result<String, BadHost> {
        previous_url(referer.map(str::as_bytes), host, secure, base, build)
            .map(|url| String::from_utf8(url).expect("a text referer gives text"))
    }

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
                previous_text(None, Some(host), secure, "", true),
                Ok(root.to_owned()),
                "{host}"
            );
        }
        for bad in ["bad_host!", "billing .test", "a..b", ".a", "[", "é.test"] {
            assert_eq!(
                previous_text(None, Some(bad), false, "", true),
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
                previous_text(referer, Some("127.0.0.1:8080"), false, "", true),
                Ok(previous.to_owned()),
                "{referer:?}"
            );
        }
    }

    #[test]
    fn a_referer_that_is_a_url_needs_no_host() {
        assert_eq!(
            previous_text(Some("http://x.y/z"), Some("bad host"), false, "", true),
            Ok("http://x.y/z".into())
        );
        assert_eq!(
            previous_text(Some("/back"), Some("bad host"), false, "", true),
            Err(BadHost)
        );
        assert_eq!(
            previous_text(None, Some("bad host"), false, "", false),
            Err(BadHost)
        );
        assert_eq!(
            previous_text(None, Some("b.test"), false, "", false),
            Ok(String::new())
        );
        assert_eq!(
            previous_text(Some("/back"), Some("b.test"), false, "/index.php", true),
            Ok("http://b.test/index.php/back".into())
        );
    }

    #[test]
    fn a_referers_bytes_beyond_ascii_are_kept_and_the_page_escapes_only_utf8() {
        let host = Some("billing.test");
        for (referer, location) in [
            (
                &b"/caf\xC3\xA9"[..],
                &b"http://billing.test/caf\xC3\xA9"[..],
            ),
            (b"/caf\xE9", b"http://billing.test/caf\xE9"),
            (b"http://x.example/caf\xE9?q", b"http://x.example/caf\xE9?q"),
        ] {
            assert_eq!(
                previous_url(Some(referer), host, false, "", true).as_deref(),
                Ok(location),
                "{referer:?}"
            );
        }
        // `htmlspecialchars` escapes text that is UTF-8 and gives "" for any other.
        let page = redirect_page("http://b.test/a'\u{e9}\"<".as_bytes());
        assert!(
            page.contains("<title>Redirecting to http://b.test/a&#039;\u{e9}&quot;&lt;</title>")
        );
        let page = redirect_page(b"http://b.test/caf\xE9");
        assert!(page.contains("content=\"0;url=''\""), "{page}");
        assert!(page.contains("Redirecting to <a href=\"\"></a>."), "{page}");
    }
}

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

/// Laravel's `url()->previous()`: the `Referer` made absolute against the request's root,
/// or the root itself.
pub(super) fn absolute(referer: Option<&str>, root: &str) -> String {
    let Some(referer) = referer.filter(|r| !r.is_empty()) else {
        return root.to_owned();
    };
    let is_url = ["#", "//", "http://", "https://", "mailto:", "tel:", "sms:"]
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
        });
    if is_url {
        return referer.to_owned();
    }
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

//! Who may use `/__admin`: the checks every admin request passes before its handler.
//!
//! - **Cross-site requests.** A web page can make a browser send a "simple" request (`GET`,
//!   or `POST` with a form or `text/plain` body) to any address, the mock's included. An
//!   admin request that changes state must therefore carry something a page cannot send
//!   without a CORS preflight: `Content-Type: application/json`, or any `X-Mock-*` header
//!   (`X-Mock-Admin: 1`, `X-Mock-Session`, the token's), or `Authorization`. The mock answers no preflight with a grant, so a foreign page never
//!   gets that far. An `Origin` that is not the mock's own is refused outright.
//! - **DNS rebinding.** A page whose name resolves to 127.0.0.1 is same-origin with the mock
//!   as far as the browser knows, but its requests carry its own name in `Host`. Admin
//!   requests are served only for loopback names, the bound address and the names given with
//!   `--admin-host` (`*`: any).
//! - **A token.** With `--admin-token`, every admin request but `GET /__admin/health` needs
//!   `Authorization: Bearer TOKEN` or `X-Mock-Admin-Token: TOKEN`. A page that rebinds a
//!   name cannot know it, so with a token the `Host` check is not needed and is skipped.
//!
//! Vendor routes are open, as the vendor's are.

use std::net::IpAddr;

use hyper::header::{self, HeaderMap};
use hyper::{Method, http::request::Parts};

use super::AdminError;
use crate::config::AdminAccess;

/// The header that may carry the admin token.
pub(crate) const TOKEN_HEADER: &str = "x-mock-admin-token";

/// Checks an admin request against the access rules.
///
/// # Errors
/// [`AdminError::Unauthorized`] without the right token; [`AdminError::Forbidden`] for a
/// foreign `Host` or `Origin`, or a state-changing request a browser could send cross-site.
pub(crate) fn check(parts: &Parts, access: &AdminAccess, bound: IpAddr) -> Result<(), AdminError> {
    // Open without the token: health, and the dashboard's static files (and the redirect to
    // them), which hold no state; the page asks for the token and sends it on every call.
    let path = parts.uri.path().trim_end_matches('/');
    let health = parts.method == Method::GET
        && (matches!(path, "/__admin" | "/__admin/health" | "/__admin/ui")
            || path.starts_with("/__admin/ui/"));
    let host = host_name(&parts.headers);
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let same = origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://"))
            .is_some_and(|(_, rest)| {
                parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .is_some_and(|h| rest.eq_ignore_ascii_case(h))
            });
        if !same {
            return Err(AdminError::Forbidden(
                "cross-origin admin requests are refused (Origin is not this mock)".into(),
            ));
        }
    }
    match &access.token {
        Some(token) if !health => {
            if !has_token(&parts.headers, token) {
                return Err(AdminError::Unauthorized);
            }
        }
        Some(_) => {}
        None => {
            if let Some(host) = &host
                && !host_allowed(host, access, bound)
            {
                return Err(AdminError::Forbidden(format!(
                    "admin requests for Host {host:?} are refused: only loopback names and the bound address are served; start with --admin-host {host} or --admin-token TOKEN"
                )));
            }
        }
    }
    let changes = !matches!(parts.method, Method::GET | Method::HEAD);
    if changes && !deliberate(&parts.headers) {
        return Err(AdminError::Forbidden(
            "admin requests that change state need Content-Type: application/json or an X-Mock-Admin header (a web page cannot send either cross-site)".into(),
        ));
    }
    Ok(())
}

/// The `Host` name without its port, lower-cased; `None` without a `Host` (HTTP/1.0).
fn host_name(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(header::HOST)?.to_str().unwrap_or("\u{fffd}");
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    Some(name.trim_end_matches('.').to_ascii_lowercase())
}

fn host_allowed(host: &str, access: &AdminAccess, bound: IpAddr) -> bool {
    if access.hosts.iter().any(|h| h == "*" || h == host) {
        return true;
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback() || (!bound.is_unspecified() && ip == bound),
        Err(_) => false,
    }
}

/// Whether the request carries something only a script (or a preflighted page) can send.
fn deliberate(headers: &HeaderMap) -> bool {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|media| media == "application/json" || media.ends_with("+json"));
    // Any `X-Mock-*` header (`X-Mock-Admin`, `X-Mock-Session`, the token's) is one a page
    // can only send after a preflight.
    json || headers.contains_key(header::AUTHORIZATION)
        || headers.keys().any(|k| k.as_str().starts_with("x-mock-"))
}

fn has_token(headers: &HeaderMap, token: &str) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let custom = headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok());
    [bearer, custom]
        .into_iter()
        .flatten()
        .any(|given| same_secret(given.as_bytes(), token.as_bytes()))
}

/// Compares without stopping at the first difference, so timing does not tell how much of
/// a guess was right.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    let mut differ = given.len() ^ expected.len();
    for (i, b) in expected.iter().enumerate() {
        differ |= usize::from(given.get(i).copied().unwrap_or(0) ^ b);
    }
    differ == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: Method, path: &str, headers: &[(&str, &str)]) -> Parts {
        let mut req = hyper::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.body(()).expect("request").into_parts().0
    }

    const LOOPBACK: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn loopback_names_and_the_bound_address_are_served_others_refused() {
        let open = AdminAccess::default();
        for host in [
            "localhost:8080",
            "127.0.0.1:1",
            "[::1]:80",
            "app.localhost",
            "127.0.0.2",
        ] {
            let p = parts(Method::GET, "/__admin/users", &[("host", host)]);
            assert!(check(&p, &open, LOOPBACK).is_ok(), "{host}");
        }
        for host in ["evil.example:8080", "10.0.0.5", "localhost.evil.com"] {
            let p = parts(Method::GET, "/__admin/users", &[("host", host)]);
            assert!(
                matches!(check(&p, &open, LOOPBACK), Err(AdminError::Forbidden(_))),
                "{host}"
            );
        }
        let p = parts(Method::GET, "/__admin/users", &[("host", "10.0.0.5:8080")]);
        assert!(check(&p, &open, "10.0.0.5".parse().unwrap()).is_ok());
        let named = AdminAccess {
            token: None,
            hosts: vec!["mock".into()],
            generated: false,
        };
        let p = parts(Method::GET, "/__admin/users", &[("host", "mock:8080")]);
        assert!(check(&p, &named, LOOPBACK).is_ok());
    }

    #[test]
    fn state_changes_need_what_a_page_cannot_send_cross_site() {
        let open = AdminAccess::default();
        let host = ("host", "127.0.0.1:8080");
        let plain = parts(
            Method::POST,
            "/__admin/reset",
            &[host, ("content-type", "text/plain")],
        );
        assert!(matches!(
            check(&plain, &open, LOOPBACK),
            Err(AdminError::Forbidden(_))
        ));
        for extra in [
            ("content-type", "application/json"),
            (
                "content-type",
                "application/merge-patch+json; charset=utf-8",
            ),
            ("x-mock-admin", "1"),
        ] {
            let p = parts(Method::POST, "/__admin/reset", &[host, extra]);
            assert!(check(&p, &open, LOOPBACK).is_ok(), "{extra:?}");
        }
        let foreign = parts(
            Method::POST,
            "/__admin/reset",
            &[
                host,
                ("content-type", "application/json"),
                ("origin", "http://evil.example"),
            ],
        );
        assert!(matches!(
            check(&foreign, &open, LOOPBACK),
            Err(AdminError::Forbidden(_))
        ));
        let own = parts(
            Method::POST,
            "/__admin/reset",
            &[
                host,
                ("x-mock-admin", "1"),
                ("origin", "http://127.0.0.1:8080"),
            ],
        );
        assert!(check(&own, &open, LOOPBACK).is_ok());
    }

    #[test]
    fn a_token_is_required_everywhere_but_health_and_replaces_the_host_check() {
        let locked = AdminAccess {
            token: Some("s3cret".into()),
            hosts: Vec::new(),
            generated: false,
        };
        let host = ("host", "mock.internal:8080");
        let none = parts(Method::GET, "/__admin/users", &[host]);
        assert!(matches!(
            check(&none, &locked, LOOPBACK),
            Err(AdminError::Unauthorized)
        ));
        let wrong = parts(
            Method::GET,
            "/__admin/users",
            &[host, ("authorization", "Bearer s3cre")],
        );
        assert!(matches!(
            check(&wrong, &locked, LOOPBACK),
            Err(AdminError::Unauthorized)
        ));
        for header in [
            ("authorization", "Bearer s3cret"),
            ("x-mock-admin-token", "s3cret"),
        ] {
            let p = parts(Method::GET, "/__admin/users", &[host, header]);
            assert!(check(&p, &locked, LOOPBACK).is_ok(), "{header:?}");
        }
        let health = parts(Method::GET, "/__admin/health", &[host]);
        assert!(check(&health, &locked, LOOPBACK).is_ok());
    }
}

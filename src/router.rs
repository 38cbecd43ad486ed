//! `(method, path)` to a [`Route`]. The only place that decides 404 and 405.
//!
//! Paths are matched as Laravel matches them: the query string is ignored and a trailing
//! slash does not matter. `/__admin` paths belong to the mock and never shadow vendor routes.

use hyper::Method;

use crate::admin::AdminRoute;
use crate::api::Endpoint;
use crate::scenario::trim_path;

/// Everything the mock serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// A vendor endpoint.
    Api(Endpoint),
    /// `OPTIONS` on a vendor path: Laravel answers 200 with `Allow`.
    Options {
        /// The methods served on that path.
        allowed: &'static [Method],
    },
    /// The mock's control surface.
    Admin(AdminRoute),
}

/// Why no route serves a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RouteError {
    /// No such path.
    NotFound,
    /// The path exists, the method does not.
    MethodNotAllowed {
        /// The methods served on that path, in Laravel's listing order.
        allowed: &'static [Method],
    },
}

/// The vendor's path for user management.
pub(crate) const USER_MANAGE: &str = "/api/v1/billing/user/manage";
/// Where the mock's own control surface lives.
pub(crate) const ADMIN_PREFIX: &str = "/__admin";

const USER_MANAGE_METHODS: &[Method] = &[Method::POST, Method::PATCH, Method::DELETE];
const POST_ONLY: &[Method] = &[Method::POST];
/// `.../manage/licenses`.
pub(crate) const LICENSES: &str = "/api/v1/billing/user/manage/licenses";
/// `.../manage/licenses/check`.
pub(crate) const LICENSES_CHECK: &str = "/api/v1/billing/user/manage/licenses/check";
/// `.../manage/cameras`.
pub(crate) const CAMERAS: &str = "/api/v1/billing/user/manage/cameras";
/// `.../manage/intercoms`.
pub(crate) const INTERCOMS: &str = "/api/v1/billing/user/manage/intercoms";

/// Resolves a request line to a route.
///
/// # Errors
/// [`RouteError::NotFound`] for an unknown path, [`RouteError::MethodNotAllowed`] for a
/// known path and an unserved method.
pub(crate) fn route(method: &Method, path: &str) -> Result<Route, RouteError> {
    let path = trim_path(path);
    if is_admin(path) {
        return admin_route(method, &path[ADMIN_PREFIX.len()..]);
    }
    // Laravel's UriValidator: trailing slashes trimmed, then `rawurldecode`.
    let decoded = raw_url_decode(path).ok_or(RouteError::NotFound)?;
    let path = &*decoded;
    let allowed = match path {
        USER_MANAGE => USER_MANAGE_METHODS,
        LICENSES | LICENSES_CHECK | CAMERAS | INTERCOMS => POST_ONLY,
        _ => return Err(RouteError::NotFound),
    };
    if method == Method::OPTIONS {
        return Ok(Route::Options { allowed });
    }
    let endpoint = match (path, method.clone()) {
        (USER_MANAGE, Method::POST) => Endpoint::UserCreate,
        (USER_MANAGE, Method::PATCH) => Endpoint::UserUpdate,
        (USER_MANAGE, Method::DELETE) => Endpoint::UserDelete,
        (LICENSES, Method::POST) => Endpoint::LicensesSet,
        (LICENSES_CHECK, Method::POST) => Endpoint::LicensesCheck,
        (CAMERAS, Method::POST) => Endpoint::Cameras,
        (INTERCOMS, Method::POST) => Endpoint::Intercoms,
        _ => return Err(RouteError::MethodNotAllowed { allowed }),
    };
    Ok(Route::Api(endpoint))
}

fn admin_route(method: &Method, rest: &str) -> Result<Route, RouteError> {
    use AdminRoute as A;
    const GET: &[Method] = &[Method::GET];
    const POST: &[Method] = &[Method::POST];
    const GET_POST: &[Method] = &[Method::GET, Method::POST];
    const GET_PUT: &[Method] = &[Method::GET, Method::PUT];
    const GET_DELETE: &[Method] = &[Method::GET, Method::DELETE];
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let m = method.clone();
    let (found, allowed) = match segments.as_slice() {
        [""] => ((m == Method::GET).then_some(A::Home), GET),
        ["ui", rest @ ..] => {
            let asset = crate::admin::Asset::at(rest).ok_or(RouteError::NotFound)?;
            ((m == Method::GET).then_some(A::Ui(asset)), GET)
        }
        ["health"] => ((m == Method::GET).then_some(A::Health), GET),
        ["metrics"] => ((m == Method::GET).then_some(A::Metrics), GET),
        ["openapi.json"] => ((m == Method::GET).then_some(A::OpenApi), GET),
        ["users"] => (
            match m {
                Method::GET => Some(A::ListUsers),
                Method::POST => Some(A::CreateUser),
                _ => None,
            },
            GET_POST,
        ),
        ["users", login] => {
            let login = percent_decode(login).ok_or(RouteError::NotFound)?;
            (
                match m {
                    Method::GET => Some(A::GetUser(login)),
                    Method::DELETE => Some(A::DeleteUser(login)),
                    _ => None,
                },
                GET_DELETE,
            )
        }
        ["users", login, "password-check"] => {
            let login = percent_decode(login).ok_or(RouteError::NotFound)?;
            ((m == Method::POST).then_some(A::PasswordCheck(login)), POST)
        }
        ["reset"] => ((m == Method::POST).then_some(A::Reset), POST),
        ["clock"] => (
            match m {
                Method::GET => Some(A::GetClock),
                Method::PUT => Some(A::SetClock),
                _ => None,
            },
            GET_PUT,
        ),
        ["scenarios"] => ((m == Method::GET).then_some(A::ListScenarios), GET),
        ["scenario"] => (
            match m {
                Method::GET => Some(A::GetScenario),
                Method::PUT => Some(A::PutScenario),
                _ => None,
            },
            GET_PUT,
        ),
        ["scenario", "rules"] => ((m == Method::GET).then_some(A::RuleCounts), GET),
        ["scenarios", name, "activate"] => {
            let name = percent_decode(name).ok_or(RouteError::NotFound)?;
            (
                (m == Method::POST).then_some(A::ActivateScenario(name)),
                POST,
            )
        }
        ["requests"] => (
            match m {
                Method::GET => Some(A::ListRequests),
                Method::DELETE => Some(A::ClearRequests),
                _ => None,
            },
            GET_DELETE,
        ),
        ["requests", "stream"] => ((m == Method::GET).then_some(A::StreamRequests), GET),
        ["requests", "count"] => ((m == Method::POST).then_some(A::CountRequests), POST),
        ["requests", "unmatched"] => ((m == Method::GET).then_some(A::UnmatchedRequests), GET),
        _ => return Err(RouteError::NotFound),
    };
    found
        .map(Route::Admin)
        .ok_or(RouteError::MethodNotAllowed { allowed })
}

/// Decodes `%XX` escapes of a path segment as PHP's `rawurldecode` does (a `%` not followed
/// by two hex digits stays as it is); `None` when the result is not UTF-8.
pub(crate) fn percent_decode(segment: &str) -> Option<String> {
    raw_url_decode(segment).map(std::borrow::Cow::into_owned)
}

/// [`percent_decode`], borrowing the text when it has nothing to decode (every path a
/// client sends the vendor's routes).
fn raw_url_decode(segment: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !segment.contains('%') {
        return Some(std::borrow::Cow::Borrowed(segment));
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
}

/// The route's name in metrics: an endpoint, `options`, `admin`, or `unmatched` (404/405).
pub(crate) fn label(method: &Method, path: &str) -> &'static str {
    if is_admin(trim_path(path)) {
        return "admin";
    }
    label_of(&route(method, path))
}

/// [`label`] of a vendor path already routed.
pub(crate) fn label_of(routed: &Result<Route, RouteError>) -> &'static str {
    match routed {
        Ok(Route::Api(endpoint)) => endpoint.label(),
        Ok(Route::Options { .. }) => "options",
        Ok(Route::Admin(_)) => "admin",
        Err(_) => "unmatched",
    }
}

/// A method's name in metrics: the standard ones, else `other`.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

/// Whether a path belongs to the mock's control surface.
pub(crate) fn is_admin(path: &str) -> bool {
    path == ADMIN_PREFIX || path.starts_with("/__admin/")
}

/// Symfony's path info: the request path less the front controller's base URL. A Laravel
/// app is served by `public/index.php`, so `/index.php/api/v1/...` is `/api/v1/...`
/// (`Request::prepareBaseUrl`: the prefix counts when it reads `/index.php` once
/// percent-decoded, `%XX` taken as one character; what follows is the path even without a
/// slash, and nothing at all is `/`). Any other path is its own.
pub(crate) fn path_info(path: &str) -> &str {
    match &path[base_url(path).len()..] {
        "" => "/",
        rest => rest,
    }
}

/// The front controller's prefix of a path, as sent (`/index.php`, `/%69ndex.php`), or `""`:
/// Symfony's `Request::getBaseUrl()`, which Laravel's URLs (a redirect's target) start with.
pub(crate) fn base_url(path: &str) -> &str {
    const SCRIPT: &[u8] = b"/index.php";
    let bytes = path.as_bytes();
    let mut at = 0;
    for &wanted in SCRIPT {
        let (byte, width) = match bytes.get(at..at + 3) {
            Some(&[b'%', high, low]) if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                let digit = |b: u8| char::from(b).to_digit(16).unwrap_or_default() as u8;
                (digit(high) << 4 | digit(low), 3)
            }
            _ => match bytes.get(at) {
                Some(&byte) => (byte, 1),
                None => return "",
            },
        };
        if byte != wanted {
            return "";
        }
        at += width;
    }
    // Only ASCII was consumed: `at` is a character boundary.
    path.get(..at).unwrap_or_default()
}

/// Laravel's `Request::path()`: the path without its leading and trailing slashes.
pub(crate) fn laravel_path(path: &str) -> &str {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_route_ignores_trailing_slash() {
        assert_eq!(
            route(&Method::POST, USER_MANAGE),
            Ok(Route::Api(Endpoint::UserCreate))
        );
        assert_eq!(
            route(&Method::POST, "/api/v1/billing/user/manage/"),
            Ok(Route::Api(Endpoint::UserCreate))
        );
    }

    #[test]
    fn wrong_method_on_known_path_is_405() {
        assert_eq!(
            route(&Method::GET, USER_MANAGE),
            Err(RouteError::MethodNotAllowed {
                allowed: USER_MANAGE_METHODS
            })
        );
    }

    #[test]
    fn unknown_paths_are_404() {
        assert_eq!(
            route(&Method::POST, "/api/v1/foo"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            route(&Method::GET, "/__admin/nope"),
            Err(RouteError::NotFound)
        );
        assert_eq!(route(&Method::GET, "/__adminx"), Err(RouteError::NotFound));
    }

    #[test]
    fn admin_routes_decode_their_segments() {
        assert_eq!(
            route(&Method::GET, "/__admin/users/a%40b.com"),
            Ok(Route::Admin(AdminRoute::GetUser("a@b.com".into())))
        );
        assert_eq!(
            route(&Method::GET, "/__admin/users/%zz"),
            Ok(Route::Admin(AdminRoute::GetUser("%zz".into())))
        );
        assert_eq!(
            route(&Method::GET, "/__admin/users/x%+41"),
            Ok(Route::Admin(AdminRoute::GetUser("x%+41".into())))
        );
        assert_eq!(
            route(&Method::GET, "/__admin/users/%FF"),
            Err(RouteError::NotFound)
        );
        assert_eq!(
            route(&Method::PATCH, "/__admin/scenario"),
            Err(RouteError::MethodNotAllowed {
                allowed: &[Method::GET, Method::PUT]
            })
        );
        assert_eq!(
            route(&Method::POST, "/__admin/scenarios/slow-backend/activate"),
            Ok(Route::Admin(AdminRoute::ActivateScenario(
                "slow-backend".into()
            )))
        );
    }

    #[test]
    fn vendor_paths_are_decoded_before_matching() {
        assert_eq!(
            route(&Method::POST, "/api/v1/billing/user/%6Danage"),
            Ok(Route::Api(Endpoint::UserCreate))
        );
        assert_eq!(
            route(&Method::POST, "/api/v1/billing/user%2Fmanage"),
            Ok(Route::Api(Endpoint::UserCreate))
        );
        assert_eq!(
            route(&Method::POST, "/api/v1//billing/user/manage"),
            Err(RouteError::NotFound)
        );
    }

    #[test]
    fn the_front_controller_is_not_part_of_the_path() {
        for (path, base, info) in [
            ("/index.php/api/v1/x", "/index.php", "/api/v1/x"),
            ("/%69ndex%2Ephp/api/v1/x", "/%69ndex%2Ephp", "/api/v1/x"),
            ("/index.php", "/index.php", "/"),
            ("/index.php/", "/index.php", "/"),
            ("/index.phpfoo", "/index.php", "foo"),
            ("/index.php%C3%A9", "/index.php", "%C3%A9"),
            ("/INDEX.PHP/api", "", "/INDEX.PHP/api"),
            ("/index.ph", "", "/index.ph"),
            ("/api/index.php/x", "", "/api/index.php/x"),
            ("/%zzindex.php", "", "/%zzindex.php"),
        ] {
            assert_eq!((base_url(path), path_info(path)), (base, info), "{path}");
        }
    }

    #[test]
    fn laravel_path_strips_slashes() {
        assert_eq!(laravel_path("/api/v1/foo/"), "api/v1/foo");
        assert_eq!(laravel_path("/"), "/");
    }
}

//! `(method, path)` to a [`Route`]. The only place that decides 404 and 405.
//!
//! Paths are matched as Laravel matches them: the query string is ignored and a trailing
//! slash does not matter. `/__admin` paths belong to the mock and never shadow vendor routes.

use hyper::Method;

/// Everything the mock serves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// `POST /api/v1/billing/user/manage`: create a user.
    UserCreate,
    /// `OPTIONS` on a vendor path: Laravel answers 200 with `Allow`.
    Options {
        /// The methods served on that path.
        allowed: &'static [Method],
    },
    /// `GET /__admin/health`.
    AdminHealth,
}

/// Why no route serves a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RouteError {
    /// No such path.
    NotFound,
    /// The path exists, the method does not.
    MethodNotAllowed {
        /// The methods served on that path, in Laravel's listing order.
        allowed: &'static [Method],
    },
}

/// The vendor's path for user management.
pub const USER_MANAGE: &str = "/api/v1/billing/user/manage";
/// Where the mock's own control surface lives.
pub const ADMIN_PREFIX: &str = "/__admin";

const USER_MANAGE_METHODS: &[Method] = &[Method::POST];

/// Resolves a request line to a route.
///
/// # Errors
/// [`RouteError::NotFound`] for an unknown path, [`RouteError::MethodNotAllowed`] for a
/// known path and an unserved method.
pub fn route(method: &Method, path: &str) -> Result<Route, RouteError> {
    let path = trim_path(path);
    if path == ADMIN_PREFIX || path.starts_with("/__admin/") {
        return admin_route(method, &path[ADMIN_PREFIX.len()..]);
    }
    let allowed = match path {
        USER_MANAGE => USER_MANAGE_METHODS,
        _ => return Err(RouteError::NotFound),
    };
    if method == Method::OPTIONS {
        return Ok(Route::Options { allowed });
    }
    match (path, method) {
        (USER_MANAGE, &Method::POST) => Ok(Route::UserCreate),
        _ => Err(RouteError::MethodNotAllowed { allowed }),
    }
}

fn admin_route(method: &Method, rest: &str) -> Result<Route, RouteError> {
    match rest {
        "/health" => match *method {
            Method::GET => Ok(Route::AdminHealth),
            _ => Err(RouteError::MethodNotAllowed {
                allowed: &[Method::GET],
            }),
        },
        _ => Err(RouteError::NotFound),
    }
}

/// The path without a trailing slash (but `/` stays `/`).
pub fn trim_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

/// Laravel's `Request::path()`: the path without its leading and trailing slashes.
pub fn laravel_path(path: &str) -> &str {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() { "/" } else { trimmed }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_route_ignores_trailing_slash() {
        assert_eq!(route(&Method::POST, USER_MANAGE), Ok(Route::UserCreate));
        assert_eq!(
            route(&Method::POST, "/api/v1/billing/user/manage/"),
            Ok(Route::UserCreate)
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
    fn laravel_path_strips_slashes() {
        assert_eq!(laravel_path("/api/v1/foo/"), "api/v1/foo");
        assert_eq!(laravel_path("/"), "/");
    }
}

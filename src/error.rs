//! Errors: [`ApiError`] (one request, becomes a response) and [`StartupError`] (boot, becomes
//! an exit code and a message).

use std::net::SocketAddr;
use std::path::PathBuf;

use hyper::header::{self, HeaderValue};
use hyper::{Method, StatusCode};

use crate::clock::ParseTimestampError;
use crate::reply::{Reply, header_value};
use crate::validation::SchemaError;

/// Everything that stops a vendor request from succeeding.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    /// Unknown path.
    #[error("the route {path} could not be found")]
    NotFound {
        /// Laravel's form of the path: no leading or trailing slash.
        path: String,
    },
    /// Known path, unserved method.
    #[error("the {method} method is not supported for route {path}")]
    MethodNotAllowed {
        /// The request's method.
        method: Method,
        /// Laravel's form of the path.
        path: String,
        /// What the path serves.
        allowed: &'static [Method],
    },
    /// The body is over `--max-body-bytes`.
    #[error("payload too large")]
    PayloadTooLarge,
    /// Validation failed: the rendered 422 body.
    #[error("validation failed")]
    Validation(Vec<u8>),
    /// Validation failed for a client that does not ask for JSON, under `--strict-accept`.
    #[error("validation failed, redirecting to {location}")]
    Redirect {
        /// `Referer`, or `/`.
        location: String,
    },
    /// The user store reached its bound.
    #[error("the user store is full ({capacity} users)")]
    StoreFull {
        /// The bound.
        capacity: usize,
    },
}

impl ApiError {
    /// The status the vendor's backend answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Redirect { .. } => StatusCode::FOUND,
            ApiError::StoreFull { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response, in the shape Laravel renders with debug off.
    pub fn into_reply(self) -> Reply {
        let status = self.status();
        match self {
            ApiError::NotFound { path } => {
                Reply::message(status, &format!("The route {path} could not be found."))
            }
            ApiError::MethodNotAllowed {
                method,
                path,
                allowed,
            } => {
                let list = allowed
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                Reply::message(
                    status,
                    &format!(
                        "The {method} method is not supported for route {path}. Supported methods: {list}."
                    ),
                )
                .header(header::ALLOW, header_value(&list))
            }
            ApiError::PayloadTooLarge => Reply::message(status, "Payload Too Large"),
            ApiError::Validation(body) => Reply::json(status, body),
            ApiError::Redirect { location } => {
                let escaped = html_escape(&location);
                let page = format!(
                    "<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset=\"UTF-8\" />\n        <meta http-equiv=\"refresh\" content=\"0;url='{escaped}'\" />\n\n        <title>Redirecting to {escaped}</title>\n    </head>\n    <body>\n        Redirecting to <a href=\"{escaped}\">{escaped}</a>.\n    </body>\n</html>"
                );
                Reply::with_type(status, "text/html; charset=utf-8", page)
                    .header(header::LOCATION, header_value(&location))
            }
            ApiError::StoreFull { capacity } => Reply::message(status, "Server Error").header(
                crate::reply::DIAGNOSTIC,
                HeaderValue::from_str(&format!(
                    "user store full ({capacity} users); raise --max-users or reset"
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("user store full")),
            ),
        }
    }
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#039;")
}

/// Everything that stops the mock from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A schema file is unusable.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// A scenario file is unusable.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// `--clock` is not an RFC 3339 instant.
    #[error("--clock: {0}")]
    Clock(#[from] ParseTimestampError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The port file could not be written.
    #[error("cannot write the port file {path}: {source}")]
    PortFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A setting is out of range.
    #[error("{0}")]
    Setting(String),
}

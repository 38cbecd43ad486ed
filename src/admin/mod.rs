//! The mock's own control surface under `/__admin`: JSON in and out, plain lowercase error
//! messages `{"error": "..."}` that say what is wrong. Admin calls act on the session their
//! `X-Mock-Session` header names and are not recorded in the journal.
//!
//! Handlers return an [`AdminOk`] or an [`AdminError`]; the reply stage renders both.

pub(crate) mod access;
mod journal;
mod scenarios;
mod ui;
mod users;

use hyper::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{ApiError, method_list};
use crate::clock::format_millis;
use crate::config::ReloadReport;
use crate::feed::EventStream;
use crate::journal::StreamEvent;
use crate::session::Session;
use crate::validation::Schemas;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{broadcast, watch};
pub(crate) use ui::Asset;

/// The `/__admin` endpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum AdminRoute {
    /// `GET /__admin/health`.
    Health,
    /// `GET /__admin/metrics`.
    Metrics,
    /// `GET /__admin/openapi.json`.
    OpenApi,
    /// `GET /__admin` and `/__admin/`: a redirect to the dashboard.
    Home,
    /// `GET /__admin/ui` and its two assets: the dashboard.
    Ui(ui::Asset),
    /// `GET /__admin/users`.
    ListUsers,
    /// `POST /__admin/users`.
    CreateUser,
    /// `GET /__admin/users/{login}`.
    GetUser(String),
    /// `DELETE /__admin/users/{login}`.
    DeleteUser(String),
    /// `POST /__admin/users/{login}/password-check`.
    PasswordCheck(String),
    /// `POST /__admin/reset`.
    Reset,
    /// `GET /__admin/clock`.
    GetClock,
    /// `PUT /__admin/clock`.
    SetClock,
    /// `GET /__admin/scenarios`.
    ListScenarios,
    /// `GET /__admin/scenario`.
    GetScenario,
    /// `PUT /__admin/scenario`.
    PutScenario,
    /// `GET /__admin/scenario/rules`: how often each rule of the active scenario fired.
    RuleCounts,
    /// `POST /__admin/scenarios/{name}/activate`.
    ActivateScenario(String),
    /// `GET /__admin/requests`.
    ListRequests,
    /// `GET /__admin/requests/stream`.
    StreamRequests,
    /// `DELETE /__admin/requests`.
    ClearRequests,
    /// `POST /__admin/requests/count`.
    CountRequests,
    /// `GET /__admin/requests/unmatched`.
    UnmatchedRequests,
}

/// A successful admin answer.
#[derive(Debug)]
pub(crate) enum AdminOk {
    /// A JSON body with this status.
    Json(StatusCode, Value),
    /// No body.
    Empty(StatusCode),
    /// A `200` with this content type and text.
    Text(&'static str, String),
    /// The live request stream.
    Stream(EventStream),
    /// A file of the dashboard, embedded in the binary.
    Asset(ui::Asset),
    /// A `302` to this path.
    Redirect(&'static str),
}

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum AdminError {
    /// The request is malformed; the message says how.
    #[error("{0}")]
    BadRequest(String),
    /// The thing named does not exist.
    #[error("{0}")]
    NotFound(String),
    /// No such admin endpoint.
    #[error("no admin endpoint {method} {path}")]
    NoEndpoint {
        /// Method.
        method: Method,
        /// Path.
        path: String,
    },
    /// Method not served on this admin path.
    #[error(
        "{method} is not allowed on {path}; allowed: {}",
        method_list(allowed, ", ")
    )]
    MethodNotAllowed {
        /// Method.
        method: Method,
        /// Path.
        path: String,
        /// Methods served there.
        allowed: &'static [Method],
    },
    /// A user body failed validation: the vendor's 422.
    #[error("validation failed")]
    Invalid(ApiError),
    /// Refused by the access rules ([`access`]); the message says which and how to pass.
    #[error("{0}")]
    Forbidden(String),
    /// `--admin-token` is set and the request does not carry it.
    #[error(
        "this mock's admin API needs its token: Authorization: Bearer TOKEN or X-Mock-Admin-Token: TOKEN"
    )]
    Unauthorized,
}

impl AdminError {
    /// The status of this error.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::NotFound(_) | AdminError::NoEndpoint { .. } => StatusCode::NOT_FOUND,
            AdminError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AdminError::Invalid(e) => e.status(),
            AdminError::Forbidden(_) => StatusCode::FORBIDDEN,
            AdminError::Unauthorized => StatusCode::UNAUTHORIZED,
        }
    }
}

/// What an admin handler needs.
pub(crate) struct AdminContext<'a> {
    /// The session the call acts on.
    pub session: &'a Session,
    /// The compiled schemas (user creation, scenario uploads).
    pub schemas: &'a Schemas,
    /// The query string, if any.
    pub query: Option<&'a str>,
    /// The whole request body.
    pub body: &'a [u8],
    /// The server's metrics exposition, rendered on demand.
    pub metrics: &'a dyn Fn() -> String,
    /// How the last reload went, if there was one.
    pub last_reload: Option<ReloadReport>,
    /// The server's request stream, to subscribe to.
    pub events: &'a broadcast::Sender<StreamEvent>,
    /// Counts what slow stream subscribers miss.
    pub stream_dropped: &'a Counter,
    /// Turns true when the server shuts down (streams end).
    pub shutdown: &'a watch::Receiver<bool>,
}

/// `{"status":"ok"}`, and once files were reloaded, how the last reload went: a failed one
/// names the file and the problem (the previous files stay in force).
fn health(reload: Option<&ReloadReport>) -> Value {
    let mut body = serde_json::json!({"status": "ok"});
    if let Some(r) = reload {
        body["reload"] = serde_json::json!({
            "ok": r.ok,
            "trigger": r.trigger,
            "at": format_millis(r.at_ms),
            "error": r.error,
        });
    }
    body
}

/// Serves one admin request.
pub(crate) fn handle(ctx: &AdminContext<'_>, route: AdminRoute) -> Result<AdminOk, AdminError> {
    match route {
        AdminRoute::Health => ok(health(ctx.last_reload.as_ref())),
        AdminRoute::OpenApi => ok(crate::openapi::document(ctx.schemas)),
        AdminRoute::Metrics => Ok(AdminOk::Text(
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            (ctx.metrics)(),
        )),
        AdminRoute::Home => Ok(AdminOk::Redirect(ui::PATH)),
        AdminRoute::Ui(asset) => Ok(AdminOk::Asset(asset)),
        AdminRoute::ListUsers => users::list(ctx),
        AdminRoute::GetUser(login) => users::get(ctx, &login),
        AdminRoute::CreateUser => users::create(ctx),
        AdminRoute::DeleteUser(login) => users::delete(ctx, &login),
        AdminRoute::PasswordCheck(login) => users::password_check(ctx, &login),
        AdminRoute::Reset => scenarios::reset(ctx),
        AdminRoute::GetClock => scenarios::get_clock(ctx),
        AdminRoute::SetClock => scenarios::set_clock(ctx),
        AdminRoute::ListScenarios => scenarios::list(ctx),
        AdminRoute::GetScenario => scenarios::get(ctx),
        AdminRoute::PutScenario => scenarios::put(ctx),
        AdminRoute::RuleCounts => scenarios::rule_counts(ctx),
        AdminRoute::ActivateScenario(name) => scenarios::activate(ctx, &name),
        AdminRoute::ListRequests => journal::list(ctx),
        AdminRoute::StreamRequests => journal::stream(ctx),
        AdminRoute::ClearRequests => journal::clear(ctx),
        AdminRoute::CountRequests => journal::count(ctx),
        AdminRoute::UnmatchedRequests => journal::unmatched(ctx),
    }
}

fn ok(value: Value) -> Result<AdminOk, AdminError> {
    Ok(AdminOk::Json(StatusCode::OK, value))
}

/// The body as a JSON document.
fn json_any(body: &[u8]) -> Result<Value, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| AdminError::BadRequest(format!("body is not valid JSON: {e}")))
}

/// The body as a JSON object, read as `T`; `expected` describes the body in errors, and
/// `problem` words a body of the wrong shape.
fn json_body<T: DeserializeOwned>(
    body: &[u8],
    expected: &str,
    problem: impl FnOnce(serde_json::Error) -> String,
) -> Result<T, AdminError> {
    let value = json_any(body)?;
    if !value.is_object() {
        return Err(AdminError::BadRequest(format!(
            "body must be a JSON object: {expected}"
        )));
    }
    serde_json::from_value(value).map_err(|e| AdminError::BadRequest(problem(e)))
}

//! The mock's own control surface under `/__admin`: JSON in and out, plain lowercase error
//! messages `{"error": "..."}` that say what is wrong. Admin calls act on the session their
//! `X-Mock-Session` header names and are not recorded in the journal.

use hyper::header::{ACCEPT, HeaderMap, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::api::cameras::CAMERA_LISTS;
use crate::api::{self, Decoded, RequestContext, users};
use crate::clock::{Clock, Timestamp};
use crate::error::ApiError;
use crate::journal::Filter;
use crate::reply::{Reply, header_value};
use crate::router::{AdminRoute, percent_decode};
use crate::scenario::parse::{parse_match_value, parse_scenario_value};
use crate::session::Session;
use crate::state::AppState;
use crate::store::{Inserted, LICENSE_LEVELS, User};

/// Why an admin request failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
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
    #[error("{method} is not allowed on {path}; allowed: {}", allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", "))]
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
}

impl AdminError {
    /// The status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AdminError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AdminError::NotFound(_) | AdminError::NoEndpoint { .. } => StatusCode::NOT_FOUND,
            AdminError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AdminError::Invalid(e) => e.status(),
        }
    }

    /// The response.
    pub fn into_reply(self) -> Reply {
        let status = self.status();
        match self {
            AdminError::Invalid(e) => e.into_reply(),
            AdminError::MethodNotAllowed { allowed, .. } => {
                let list = allowed
                    .iter()
                    .map(Method::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                let reply = error_reply(status, &self.to_string());
                reply.header(hyper::header::ALLOW, header_value(&list))
            }
            other => error_reply(status, &other.to_string()),
        }
    }
}

fn error_reply(status: StatusCode, message: &str) -> Reply {
    Reply::json(status, json!({ "error": message }).to_string())
}

fn ok(value: Value) -> Result<Reply, AdminError> {
    Ok(Reply::json(StatusCode::OK, value.to_string()))
}

/// Serves one admin request on `session`.
pub fn handle(
    state: &AppState,
    session: &Session,
    route: AdminRoute,
    parts: &Parts,
    body: &[u8],
) -> Reply {
    serve(state, session, route, parts, body).unwrap_or_else(AdminError::into_reply)
}

fn serve(
    state: &AppState,
    session: &Session,
    route: AdminRoute,
    parts: &Parts,
    body: &[u8],
) -> Result<Reply, AdminError> {
    let runtime = session.runtime();
    match route {
        AdminRoute::Health => ok(json!({"status": "ok"})),
        AdminRoute::ListUsers => {
            ok(json!({"users": runtime.store.list().iter().map(user_view).collect::<Vec<_>>()}))
        }
        AdminRoute::GetUser(login) => runtime
            .store
            .get_any(&login)
            .map(|u| ok(user_view(&u)))
            .unwrap_or_else(|| Err(no_user(&login))),
        AdminRoute::CreateUser => {
            let input = json_object(body, "a user create body")?;
            let headers = json_headers();
            let mut diagnostics = Vec::new();
            let (input, _) = api::parse_input(&headers, Decoded::Json(input), &mut diagnostics);
            let ctx = RequestContext {
                headers: &headers,
                runtime: &runtime,
                schemas: &state.config.schemas,
            };
            let user = users::validated_user(&ctx, &input).map_err(AdminError::Invalid)?;
            let login = user.login.clone();
            let status = match users::insert(&ctx, user).map_err(AdminError::Invalid)? {
                Inserted::New(_) => StatusCode::CREATED,
                Inserted::Updated(_) => StatusCode::OK,
            };
            let stored = runtime.store.get(&login).ok_or_else(|| no_user(&login))?;
            Ok(Reply::json(status, user_view(&stored).to_string()))
        }
        AdminRoute::DeleteUser(login) => match runtime.store.delete(&login, runtime.now()) {
            Some(_) => Ok(Reply::empty(StatusCode::NO_CONTENT)),
            None => Err(no_user(&login)),
        },
        AdminRoute::PasswordCheck(login) => {
            let doc = json_object(body, "{\"password\": \"...\"}")?;
            let Some(password) = doc.get("password").and_then(Value::as_str) else {
                return Err(AdminError::BadRequest(
                    "body: password: required, a string".into(),
                ));
            };
            match runtime.store.password_matches(&login, password) {
                Some(matches) => ok(json!({ "matches": matches })),
                None => Err(no_user(&login)),
            }
        }
        AdminRoute::Reset => ok(json!({"status": "reset", "users": session.reset()})),
        AdminRoute::GetClock => ok(clock_view(runtime.clock())),
        AdminRoute::SetClock => {
            let doc = json_object(body, "{\"clock\": \"2023-05-02T10:18:50Z\" or null}")?;
            let clock = match doc.get("clock") {
                Some(Value::Null) => Clock::System,
                Some(Value::String(text)) => Clock::Frozen(
                    Timestamp::parse_rfc3339(text)
                        .map_err(|e| AdminError::BadRequest(format!("body: clock: {e}")))?,
                ),
                _ => {
                    return Err(AdminError::BadRequest(
                        "body: clock: required, an RFC 3339 instant or null".into(),
                    ));
                }
            };
            runtime.set_clock(clock);
            ok(clock_view(clock))
        }
        AdminRoute::ListScenarios => {
            let (scenarios, active) = session.scenarios();
            let list: Vec<Value> = scenarios
                .iter()
                .map(|s| json!({"name": s.name, "description": s.description, "users": s.users.len(), "rules": s.rules.len()}))
                .collect();
            ok(json!({"active": active, "scenarios": list}))
        }
        AdminRoute::GetScenario => ok(runtime.scenario.source.clone()),
        AdminRoute::PutScenario => {
            let doc = json_any(body)?;
            let scenario = parse_scenario_value("scenario", doc, &state.config.schemas)
                .map_err(|e| AdminError::BadRequest(e.to_string()))?;
            let name = scenario.name.clone();
            let users = session.install(scenario);
            ok(json!({"active": name, "users": users}))
        }
        AdminRoute::ActivateScenario(name) => match session.activate(&name) {
            Some(users) => ok(json!({"active": name, "users": users})),
            None => {
                let (scenarios, _) = session.scenarios();
                let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
                Err(AdminError::NotFound(format!(
                    "no scenario named {name:?}; loaded: {}",
                    names.join(", ")
                )))
            }
        },
        AdminRoute::ListRequests => {
            let filter = parse_filter(parts.uri.query().unwrap_or(""))?;
            let (requests, evicted) = session.journal.list(&filter);
            ok(json!({"requests": requests, "evicted": evicted}))
        }
        AdminRoute::ClearRequests => {
            session.journal.clear();
            Ok(Reply::empty(StatusCode::NO_CONTENT))
        }
        AdminRoute::CountRequests => {
            let doc = json_object(body, "{\"match\": {...}}")?;
            let keys: Vec<&String> = doc
                .as_object()
                .map(|o| o.keys().collect())
                .unwrap_or_default();
            if keys.iter().any(|k| k.as_str() != "match") {
                return Err(AdminError::BadRequest(
                    "body: expected only the key \"match\"".into(),
                ));
            }
            let matcher = match doc.get("match") {
                Some(m) => parse_match_value("body", m, "match")
                    .map_err(|e| AdminError::BadRequest(e.to_string()))?,
                None => return Err(AdminError::BadRequest("body: match: required".into())),
            };
            ok(json!({"count": session.journal.count(&matcher)}))
        }
        AdminRoute::UnmatchedRequests => ok(json!({"requests": session.journal.unmatched()})),
    }
}

fn clock_view(clock: Clock) -> Value {
    match clock {
        Clock::Frozen(t) => json!({"clock": t.to_string(), "frozen": true}),
        Clock::System => json!({"clock": Clock::System.now().to_string(), "frozen": false}),
    }
}

fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers
}

fn no_user(login: &str) -> AdminError {
    AdminError::NotFound(format!("no user with login {login:?}"))
}

fn json_any(body: &[u8]) -> Result<Value, AdminError> {
    serde_json::from_slice(body)
        .map_err(|e| AdminError::BadRequest(format!("body is not valid JSON: {e}")))
}

fn json_object(body: &[u8], expected: &str) -> Result<Value, AdminError> {
    let value = json_any(body)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(AdminError::BadRequest(format!(
            "body must be a JSON object: {expected}"
        )))
    }
}

/// The admin view of a user: the vendor's user object plus `billing_info` and the whole
/// lifecycle state (`permissions`, `licenses`, `cameras`, `intercoms`). Never a password.
pub fn user_view(user: &User) -> Value {
    let mut view: Value = serde_json::from_slice(&user.to_json()).unwrap_or(Value::Null);
    if let Some(obj) = view.as_object_mut() {
        let info = user
            .billing_info
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or(Value::Null);
        obj.insert("billing_info".into(), info);
        let extra = user.extra.as_deref().cloned().unwrap_or_default();
        obj.insert(
            "permissions".into(),
            json!(extra.permissions.iter().map(|p| &**p).collect::<Vec<_>>()),
        );
        let licenses: serde_json::Map<String, Value> = LICENSE_LEVELS
            .iter()
            .zip(extra.licenses)
            .map(|(name, n)| ((*name).to_owned(), json!(n)))
            .collect();
        obj.insert("licenses".into(), Value::Object(licenses));
        let cameras = extra.cameras.unwrap_or_else(|| {
            Value::Object(
                CAMERA_LISTS
                    .iter()
                    .map(|n| ((*n).to_owned(), json!([])))
                    .collect(),
            )
        });
        obj.insert("cameras".into(), cameras);
        obj.insert(
            "intercoms".into(),
            extra.intercoms.unwrap_or_else(|| json!([])),
        );
    }
    view
}

fn parse_filter(query: &str) -> Result<Filter, AdminError> {
    let mut filter = Filter::default();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_decode(&raw.replace('+', " "))
            .ok_or_else(|| AdminError::BadRequest(format!("query: {key}: bad percent-encoding")))?;
        let bad =
            |what: &str| AdminError::BadRequest(format!("query: {key}={value:?} is not {what}"));
        match key {
            "method" => {
                filter.method = Some(
                    Method::from_bytes(value.to_ascii_uppercase().as_bytes())
                        .map_err(|_| bad("an HTTP method"))?,
                );
            }
            "path" => filter.path = Some(value),
            "status" => filter.status = Some(value.parse().map_err(|_| bad("a status code"))?),
            "limit" => filter.limit = Some(value.parse().map_err(|_| bad("a count"))?),
            other => {
                return Err(AdminError::BadRequest(format!(
                    "query: unknown filter {other:?}, expected one of method, path, status, limit"
                )));
            }
        }
    }
    Ok(filter)
}

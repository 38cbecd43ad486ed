//! The request pipeline. Never fails: every outcome is a response (or, for a scripted fault,
//! a deliberately dropped connection).
//!
//! ```text
//! session (X-Mock-Session) -> body within its bound (413) -> /__admin? -> admin
//!   -> scenario rules (first match answers) -> else route (404/405) -> handler
//!   -> journal entry (password redacted) -> delay (no lock held) -> response or fault
//! ```

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};
use serde_json::Value;

use crate::admin::{self, AdminError};
use crate::api::{self, Decoded, RequestContext};
use crate::clock::wall_millis;
use crate::connection::ConnControl;
use crate::error::ApiError;
use crate::journal::{self, Entry, MAX_RECORDED_BODY};
use crate::reply::{Body, Reply, header_value};
use crate::router::{self, Route, RouteError, laravel_path};
use crate::scenario::matching::RequestView;
use crate::scenario::{Action, Fault};
use crate::session::{Runtime, SESSION_HEADER, Session};
use crate::state::AppState;

/// How much of an oversized body is read and thrown away so the connection stays usable;
/// past this the connection is closed after the 413.
const DRAIN_LIMIT: usize = 64 << 20;

/// `X-Mock-Rule`: which scenario rule answered.
pub const RULE_HEADER: HeaderName = HeaderName::from_static("x-mock-rule");

/// The body a `malformed_json` fault cuts in half: the vendor's documented user object.
const MALFORMED_SOURCE: &str = r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;

/// What the mock decided for one request, before any waiting.
#[derive(Debug)]
pub struct Processed {
    /// How to answer.
    pub answer: Answer,
    /// How long to wait first (a scenario's `delay_ms`), in milliseconds.
    pub delay_ms: u64,
}

/// How a request is answered.
#[derive(Debug)]
pub enum Answer {
    /// With this response.
    Respond(Response<Body>),
    /// Not at all: the connection is dropped (a scenario fault).
    Drop {
        /// Close with a TCP reset rather than a clean close.
        reset: bool,
        /// Hold the request open this long first, in milliseconds.
        hold_ms: u64,
    },
}

/// Serves one request from a connection: read the body, [`process`] it, wait, answer.
pub async fn handle(
    state: Arc<AppState>,
    conn: Arc<ConnControl>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match read_body(&parts, body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(e) => return body_error(&state, &parts, e),
    };
    let processed = process(&state, parts, bytes);
    state.wait(processed.delay_ms).await;
    match processed.answer {
        Answer::Respond(response) => response,
        Answer::Drop { reset, hold_ms } => {
            state.wait(hold_ms).await;
            conn.kill(reset);
            // The connection task drops the connection, and this future with it.
            std::future::pending().await
        }
    }
}

/// Runs one request with its whole body through the mock: session, admin or rules, route,
/// handler, journal. Synchronous and never blocking (delays are returned, not slept).
pub fn process(state: &AppState, parts: Parts, bytes: Bytes) -> Processed {
    let respond = |response| Processed {
        answer: Answer::Respond(response),
        delay_ms: 0,
    };
    let session = match session_of(state, &parts) {
        Ok(session) => session,
        Err(e) => return respond(e.into_reply().into_response(&[])),
    };
    if router::is_admin(parts.uri.path()) {
        let reply = match router::route(&parts.method, parts.uri.path()) {
            Ok(Route::Admin(route)) => admin::handle(state, &session, route, &parts, &bytes),
            Ok(_) | Err(RouteError::NotFound) => AdminError::NoEndpoint {
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
            }
            .into_reply(),
            Err(RouteError::MethodNotAllowed { allowed }) => AdminError::MethodNotAllowed {
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
                allowed,
            }
            .into_reply(),
        };
        return respond(reply.into_response(&[]));
    }

    let runtime = session.runtime();
    let decoded = Decoded::from_bytes(&bytes);
    let decision = if runtime.rules.has_rules() {
        runtime.rules.evaluate(&RequestView {
            method: &parts.method,
            path: parts.uri.path(),
            headers: &parts.headers,
            body: decoded.json(),
        })
    } else {
        None
    };
    let body_len = bytes.len();
    let mut diagnostics = Vec::new();
    let mut fault = None;
    let (reply, routed, recorded) = match decision.as_ref().map(|d| &d.respond.action) {
        Some(Action::Errors(bag)) => {
            let locale = runtime.settings.locale;
            let reply = Reply::json(StatusCode::UNPROCESSABLE_ENTITY, bag.to_json(locale));
            (Some(reply), true, decoded.into_journal())
        }
        Some(Action::Status {
            status,
            body,
            headers,
        }) => {
            let mut reply = Reply::json(*status, body.clone());
            for (name, value) in headers {
                reply = reply.header(name.clone(), value.clone());
            }
            (Some(reply), true, decoded.into_journal())
        }
        Some(Action::Fault(Fault::MalformedJson)) => {
            fault = Some(Fault::MalformedJson);
            let cut = &MALFORMED_SOURCE[..MALFORMED_SOURCE.len() / 2];
            let reply = Reply::json(StatusCode::OK, Bytes::from_static(cut.as_bytes()));
            (Some(reply), true, decoded.into_journal())
        }
        Some(Action::Fault(f)) => {
            fault = Some(*f);
            (None, true, decoded.into_journal())
        }
        Some(Action::Default) | None => {
            let (reply, routed, recorded) =
                default_behaviour(state, &runtime, &parts, decoded, &mut diagnostics);
            (Some(reply), routed, recorded)
        }
    };
    session.journal.record(Entry {
        target: journal::recorded_target(&parts.uri),
        method: parts.method,
        headers: journal::RecordedHeaders::new(&parts.headers),
        body: if body_len > MAX_RECORDED_BODY {
            Value::String(format!(
                "<{body_len} bytes, over {MAX_RECORDED_BODY}: not kept>"
            ))
        } else {
            recorded
        },
        status: reply.as_ref().map(|r| r.status().as_u16()),
        rule: decision.as_ref().map(|d| std::sync::Arc::clone(&d.label)),
        fault: fault.map(|f| f.name()),
        routed: routed || decision.is_some(),
        at_ms: wall_millis(),
    });
    let delay_ms = decision.as_ref().map_or(0, |d| d.delay_ms);
    let answer = match (reply, fault) {
        (Some(reply), _) => {
            let mut response = reply.into_response(&diagnostics);
            if let Some(d) = &decision {
                response
                    .headers_mut()
                    .insert(RULE_HEADER, header_value(&d.label));
            }
            Answer::Respond(response)
        }
        (None, Some(Fault::Timeout { hold })) => Answer::Drop {
            reset: false,
            hold_ms: u64::try_from(hold.as_millis()).unwrap_or(u64::MAX),
        },
        (None, f) => Answer::Drop {
            reset: f == Some(Fault::ConnectionReset),
            hold_ms: 0,
        },
    };
    Processed { answer, delay_ms }
}

fn session_of(state: &AppState, parts: &Parts) -> Result<Arc<Session>, AdminError> {
    let id = parts
        .headers
        .get(SESSION_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    state
        .sessions
        .get(id)
        .map_err(|e| AdminError::BadRequest(e.to_string()))
}

/// The mock's default behaviour: route and run the vendor handler. Also says whether a
/// route served the request, and hands back what the journal records of the body (the input
/// the handler saw, passwords redacted; the input is moved, not copied).
fn default_behaviour(
    state: &AppState,
    runtime: &Runtime,
    parts: &Parts,
    decoded: Decoded,
    diagnostics: &mut Vec<String>,
) -> (Reply, bool, Value) {
    let route = match router::route(&parts.method, parts.uri.path()) {
        Ok(route) => route,
        Err(e) => {
            return (
                route_error(e, parts).into_reply(),
                false,
                decoded.into_journal(),
            );
        }
    };
    let ctx = RequestContext {
        headers: &parts.headers,
        runtime,
        schemas: &state.config.schemas,
    };
    let handler = match route {
        Route::Options { allowed } => {
            let list = allowed
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            let reply = Reply::empty(StatusCode::OK).header(header::ALLOW, header_value(&list));
            return (reply, true, decoded.into_journal());
        }
        // `/__admin` never reaches here; answer as an unknown route if it ever did.
        Route::Admin(_) => {
            return (
                route_error(RouteError::NotFound, parts).into_reply(),
                false,
                decoded.into_journal(),
            );
        }
        Route::UserCreate => api::users::create,
        Route::UserUpdate => api::users::update,
        Route::UserDelete => api::users::delete,
        Route::LicensesSet => api::licenses::set,
        Route::LicensesCheck => api::licenses::check,
        Route::Cameras => api::cameras::sync,
        Route::Intercoms => api::intercoms::sync,
    };
    let (input, other) = api::parse_input(&parts.headers, decoded, diagnostics);
    let reply = handler(&ctx, &input).unwrap_or_else(ApiError::into_reply);
    let recorded = other.unwrap_or_else(|| {
        let mut input = input;
        journal::redact(&mut input);
        input
    });
    (reply, true, recorded)
}

fn route_error(error: RouteError, parts: &Parts) -> ApiError {
    let path = laravel_path(parts.uri.path()).to_owned();
    match error {
        RouteError::NotFound => ApiError::NotFound { path },
        RouteError::MethodNotAllowed { allowed } => ApiError::MethodNotAllowed {
            method: parts.method.clone(),
            path,
            allowed,
        },
    }
}

fn body_error(state: &AppState, parts: &Parts, error: BodyError) -> Response<Body> {
    let (reply, diagnostic) = match error {
        BodyError::TooLarge { drained } => {
            let reply = ApiError::PayloadTooLarge.into_reply();
            let reply = if drained {
                reply
            } else {
                reply.header(header::CONNECTION, HeaderValue::from_static("close"))
            };
            (
                reply,
                format!(
                    "body is over --max-body-bytes ({})",
                    state.config.max_body_bytes
                ),
            )
        }
        BodyError::Broken => (
            Reply::message(StatusCode::BAD_REQUEST, "Bad Request")
                .header(header::CONNECTION, HeaderValue::from_static("close")),
            "the request body broke off".to_owned(),
        ),
    };
    if let (false, Ok(session)) = (router::is_admin(parts.uri.path()), session_of(state, parts)) {
        session.journal.record(Entry {
            method: parts.method.clone(),
            target: journal::recorded_target(&parts.uri),
            headers: journal::RecordedHeaders::new(&parts.headers),
            body: Value::String(format!("<{diagnostic}: not kept>")),
            status: Some(reply.status().as_u16()),
            rule: None,
            fault: None,
            routed: true,
            at_ms: wall_millis(),
        });
    }
    reply.into_response(&[diagnostic])
}

enum BodyError {
    /// Over the limit; `drained` says whether the rest was read so the connection can be
    /// reused.
    TooLarge { drained: bool },
    /// The client broke off or sent a malformed body.
    Broken,
}

async fn read_body(parts: &Parts, mut body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Err(BodyError::TooLarge { drained: false });
    }
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Broken);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT {
            return Err(BodyError::TooLarge { drained: false });
        }
        if total > limit {
            continue;
        }
        match &first {
            None if rest.is_empty() => first = Some(data),
            _ => {
                if let Some(f) = first.take() {
                    rest.extend_from_slice(&f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(BodyError::TooLarge { drained: true });
    }
    Ok(first.unwrap_or_else(|| rest.freeze()))
}

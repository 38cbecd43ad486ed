//! The request pipeline: what the mock does with one request, from its head and body to the
//! answer. Never fails: every outcome is a response or, for a scripted fault, a deliberately
//! dropped connection.
//!
//! ```text
//! session (X-Mock-Session) -> /__admin? -> admin
//!   -> scenario rules (first match answers) -> else route (404/405) -> input -> api handler
//!   -> reply (bytes) -> journal entry (password redacted) -> delay (no lock held) -> answer
//! ```
//!
//! [`process`] is synchronous and takes no lock across its return, so the delay a rule asks
//! for happens afterwards, in [`handle`], with nothing held.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use tokio::sync::watch;

use crate::admin::{self, AdminContext, AdminError};
use crate::api::{self, ApiError, RequestContext};
use crate::clock::wall_millis;
use crate::config::Config;
use crate::http::body::{self, BodyError};
use crate::http::input::{self, LaravelRequest};
use crate::http::negotiate::expects_json;
use crate::http::reply::{self, Body, Negotiation, RULE_HEADER, Reply, header_value};
use crate::journal::{self, Entry, MAX_RECORDED_BODY};
use crate::php::{self, Array};
use crate::router::{self, Route, RouteError, laravel_path};
use crate::scenario::{Action, Decision, Fault, RequestView};
use crate::server::connection::ConnControl;
use crate::session::{SESSION_HEADER, Session, SessionState, Sessions};

/// The state one server shares between its connections; passed around as `Arc<AppState>`.
pub(crate) struct AppState {
    config: Arc<Config>,
    sessions: Sessions,
    /// Turns `true` when the server shuts down, so held requests stop waiting.
    shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Fresh state for a configuration.
    pub(crate) fn new(config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let config = Arc::new(config);
        AppState {
            sessions: Sessions::new(Arc::clone(&config)),
            config,
            shutdown,
        }
    }

    /// Waits `ms` milliseconds, or less if the server starts shutting down.
    pub(crate) async fn wait(&self, ms: u64) {
        if ms == 0 {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(ms)) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => {}
        }
    }
}

/// What the mock decided for one request, before any waiting.
#[derive(Debug)]
pub struct Outcome {
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
pub(crate) async fn handle(
    state: Arc<AppState>,
    conn: Arc<ConnControl>,
    req: Request<Incoming>,
) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match body::read(&parts.headers, body, state.config.max_body_bytes()).await {
        Ok(bytes) => bytes,
        Err(e) => return body_error(&state, &parts, e),
    };
    let outcome = process(&state, parts, bytes);
    state.wait(outcome.delay_ms).await;
    match outcome.answer {
        Answer::Respond(response) => response,
        Answer::Drop { reset, hold_ms } => {
            state.wait(hold_ms).await;
            conn.kill(reset);
            // The connection task drops the connection, and this future with it.
            std::future::pending().await
        }
    }
}

/// What the journal needs to know of how a request was answered.
struct Answered {
    status: Option<StatusCode>,
    decision: Option<Decision>,
    fault: Option<Fault>,
    routed: bool,
    body: Value,
}

/// Runs one request with its whole body through the mock: session, admin or rules, route,
/// handler, journal. Synchronous and never blocking (delays are returned, not slept).
pub(crate) fn process(state: &AppState, parts: Parts, bytes: Bytes) -> Outcome {
    // The server refuses an oversized body while reading it; a body handed in whole (the
    // in-process `Mock`) gets the same answer here.
    if bytes.len() > state.config.max_body_bytes() {
        let response = body_error(state, &parts, BodyError::TooLarge { drained: true });
        return Outcome {
            answer: Answer::Respond(response),
            delay_ms: 0,
        };
    }
    let session = match session_of(state, &parts) {
        Ok(session) => session,
        Err(e) => {
            return respond(reply::admin(Err(e), Default::default()), &[]);
        }
    };
    let current = session.state();
    let negotiation = negotiation(&parts, current.settings().strict_accept);
    let locale = current.settings().locale;
    if router::is_admin(parts.uri.path()) {
        let result = match router::route(&parts.method, parts.uri.path()) {
            Ok(Route::Admin(route)) => admin::handle(
                &AdminContext {
                    session: &session,
                    schemas: state.config.schemas(),
                    query: parts.uri.query(),
                    body: &bytes,
                },
                route,
            ),
            Ok(_) | Err(RouteError::NotFound) => Err(AdminError::NoEndpoint {
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
            }),
            Err(RouteError::MethodNotAllowed { allowed }) => Err(AdminError::MethodNotAllowed {
                method: parts.method.clone(),
                path: parts.uri.path().to_owned(),
                allowed,
            }),
        };
        return respond(reply::admin(result, locale), &[]);
    }

    let request = input::read(&parts.method, &parts.headers, parts.uri.query(), &bytes);
    let decision = current.rules().has_rules().then(|| {
        let body = php::to_json(&php::Value::Array(request.raw.clone()));
        current.rules().evaluate(&RequestView {
            method: &parts.method,
            path: parts.uri.path(),
            headers: &parts.headers,
            body: Some(&body),
        })
    });
    let decision = decision.flatten();
    let mut diagnostics = request.diagnostics.clone();
    let scripted = |reply: Option<Reply>, fault: Option<Fault>, request: LaravelRequest| {
        let status = reply.as_ref().map(Reply::status);
        (
            reply,
            status,
            fault,
            true,
            journal_body(&request.raw, bytes.len()),
        )
    };
    let (reply, status, fault, routed, body) = match decision.as_ref().map(|d| &d.respond.action) {
        Some(Action::Errors(bag)) => scripted(Some(reply::rule_errors(bag, locale)), None, request),
        Some(Action::Status {
            status,
            body,
            headers,
        }) => scripted(
            Some(reply::rule_status(
                *status,
                body.as_ref(),
                headers,
                &negotiation,
            )),
            None,
            request,
        ),
        Some(Action::Fault(Fault::MalformedJson)) => scripted(
            Some(reply::malformed_json()),
            Some(Fault::MalformedJson),
            request,
        ),
        Some(Action::Fault(fault)) => scripted(None, Some(*fault), request),
        Some(Action::Default) | None => {
            let (reply, routed, body) = default_behaviour(
                state,
                &current,
                &parts,
                request,
                &negotiation,
                &mut diagnostics,
                bytes.len(),
            );
            let status = Some(reply.status());
            (Some(reply), status, None, routed, body)
        }
    };
    let answered = Answered {
        status,
        decision,
        fault,
        routed,
        body,
    };
    record(&session, &parts, bytes.len(), &answered);
    let delay_ms = answered.decision.as_ref().map_or(0, |d| d.delay_ms);
    let answer = match (reply, answered.fault) {
        (Some(reply), _) => {
            let mut response = reply.into_response(&diagnostics);
            if let Some(d) = &answered.decision {
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
        (None, fault) => Answer::Drop {
            reset: fault == Some(Fault::ConnectionReset),
            hold_ms: 0,
        },
    };
    Outcome { answer, delay_ms }
}

fn respond(reply: Reply, diagnostics: &[String]) -> Outcome {
    Outcome {
        answer: Answer::Respond(reply.into_response(diagnostics)),
        delay_ms: 0,
    }
}

fn negotiation(parts: &Parts, redirect_validation: bool) -> Negotiation {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or("localhost");
    let scheme = parts.uri.scheme_str().unwrap_or("http");
    Negotiation {
        expects_json: expects_json(&parts.headers),
        redirect_validation,
        referer: parts
            .headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
        root: format!("{scheme}://{host}"),
    }
}

/// What the journal records of a body: the input it gave, passwords redacted; a note for a
/// body that gave no input; nothing for no body.
fn journal_body(input: &Array, body_len: usize) -> Value {
    if !input.is_empty() {
        let mut value = php::to_json(&php::Value::Array(input.clone()));
        journal::redact(&mut value);
        value
    } else if body_len > 0 {
        Value::String(format!("<{body_len} bytes that gave no input: not kept>"))
    } else {
        Value::Null
    }
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

/// The mock's default behaviour: route (on the method Laravel routes by) and run the vendor
/// handler. Also says whether a route served the request, and what the journal records of
/// the body (the input the handler validated, passwords redacted).
fn default_behaviour(
    state: &AppState,
    current: &SessionState,
    parts: &Parts,
    request: LaravelRequest,
    negotiation: &Negotiation,
    diagnostics: &mut Vec<String>,
    body_len: usize,
) -> (Reply, bool, Value) {
    let locale = current.settings().locale;
    let Ok(method) = &request.method else {
        diagnostics
            .push("the method override (_method or X-HTTP-Method-Override) is not a method".into());
        let reply = reply::api_error(ApiError::BadMethodOverride, negotiation, locale);
        return (reply, false, journal_body(&request.raw, body_len));
    };
    if !negotiation.expects_json {
        diagnostics.push(if negotiation.redirect_validation {
            "no Accept: application/json: like Laravel, a validation failure is a 302 and an error an HTML page (--lenient-accept answers JSON)"
        } else {
            "no Accept: application/json; the real API would answer a validation failure with a 302 redirect"
        }.into());
    }
    let route = match router::route(method, parts.uri.path()) {
        Ok(Route::Options { allowed }) => {
            return (
                reply::options(allowed),
                true,
                journal_body(&request.raw, body_len),
            );
        }
        Ok(route) => route,
        Err(e) => {
            let error = route_error(e, method, parts);
            let reply = reply::api_error(error, negotiation, locale);
            return (reply, false, journal_body(&request.raw, body_len));
        }
    };
    let ctx = RequestContext {
        state: current,
        schemas: state.config.schemas(),
    };
    let result = api::handle(&ctx, &route, &request.input);
    let reply = reply::vendor(result, negotiation, locale);
    (reply, true, journal_body(&request.input, body_len))
}

fn route_error(error: RouteError, method: &hyper::Method, parts: &Parts) -> ApiError {
    let path = laravel_path(parts.uri.path()).to_owned();
    match error {
        RouteError::NotFound => ApiError::NotFound { path },
        RouteError::MethodNotAllowed { allowed } => ApiError::MethodNotAllowed {
            method: method.clone(),
            path,
            allowed,
        },
    }
}

/// The one place a journal entry is built. Admin calls are not journaled.
fn record(session: &Session, parts: &Parts, body_len: usize, answered: &Answered) {
    let body = if body_len > MAX_RECORDED_BODY {
        Value::String(format!(
            "<{body_len} bytes, over {MAX_RECORDED_BODY}: not kept>"
        ))
    } else {
        answered.body.clone()
    };
    session.journal().record(Entry {
        target: journal::recorded_target(&parts.uri),
        method: parts.method.clone(),
        headers: journal::RecordedHeaders::new(&parts.headers),
        body,
        status: answered.status.map(|s| s.as_u16()),
        rule: answered.decision.as_ref().map(|d| Arc::clone(&d.label)),
        fault: answered.fault.map(|f| f.name()),
        routed: answered.routed || answered.decision.is_some(),
        at_ms: wall_millis(),
    });
}

/// The answer to a body that could not be read: 413 (over the limit) or 400 (broken off).
fn body_error(state: &AppState, parts: &Parts, error: BodyError) -> Response<Body> {
    let negotiation = negotiation(parts, state.config.settings().strict_accept);
    let (reply, diagnostic) = match error {
        BodyError::TooLarge { drained } => {
            let reply =
                reply::api_error(ApiError::PayloadTooLarge, &negotiation, Default::default());
            let reply = if drained {
                reply
            } else {
                reply.header(header::CONNECTION, HeaderValue::from_static("close"))
            };
            (
                reply,
                format!(
                    "body is over --max-body-bytes ({})",
                    state.config.max_body_bytes()
                ),
            )
        }
        BodyError::Broken => (
            reply::exception(StatusCode::BAD_REQUEST, "Bad Request", &negotiation)
                .header(header::CONNECTION, HeaderValue::from_static("close")),
            "the request body broke off".to_owned(),
        ),
    };
    if let (false, Ok(session)) = (router::is_admin(parts.uri.path()), session_of(state, parts)) {
        let answered = Answered {
            status: Some(reply.status()),
            decision: None,
            fault: None,
            routed: true,
            body: Value::String(format!("<{diagnostic}: not kept>")),
        };
        record(&session, parts, 0, &answered);
    }
    reply.into_response(&[diagnostic])
}

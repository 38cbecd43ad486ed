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
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header;
use hyper::http::request::Parts;
use hyper::{Request, Response};

use crate::admin::{self, AdminContext, AdminError};
use crate::api::{self, ApiError, RequestContext};
use crate::http::BadHost;
use crate::http::body::{self, BodyError};
use crate::http::input::{self, LaravelRequest};
use crate::http::negotiate::expects_json;
use crate::http::reply::{self, Body, Negotiation, RULE_HEADER, Reply, header_value};
use crate::journal::{self, RecordedBody};
use crate::php::{self, Array};
use crate::router::{self, Route, RouteError, laravel_path};
use crate::scenario::{Action, Fault, RequestView};
use crate::session::{SESSION_HEADER, Session, SessionState};

mod log;
mod record;
mod refuse;
mod state;

pub(crate) use log::LogExtras;
use log::{failed_fields, log_request, logging};
use record::{Recorded, journal_body};
use refuse::{body_error, busy};
pub(crate) use state::{AppState, ConnControl, Secure};

/// What the mock decided for one request, before any waiting.
#[derive(Debug)]
pub struct Outcome {
    /// How to answer.
    pub answer: Answer,
    /// How long to wait first (a scenario's `delay_ms`), in milliseconds.
    pub delay_ms: u64,
    /// The scenario rule that answered, if one did.
    pub rule: Option<Arc<str>>,
    /// What the request's log line adds: failing fields, the body if `--log-bodies`.
    pub(crate) log: LogExtras,
    /// The route that served it, for the metrics and the log line: after a method override
    /// (`_method`, `X-HTTP-Method-Override`) the one Laravel routes to, as the handler does.
    pub(crate) route: &'static str,
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

/// Serves one request from a connection: check its framing, read the body within its
/// time and size, [`process`] it, wait, answer, count it.
pub(crate) async fn handle(
    state: Arc<AppState>,
    conn: Arc<ConnControl>,
    req: Request<Incoming>,
) -> Response<Body> {
    let started = Instant::now();
    let (mut parts, body) = req.into_parts();
    if conn.is_secure() {
        parts.extensions.insert(Secure);
    }
    let method_label = router::method_label(&parts.method);
    let method = parts.method.clone();
    // Asked once: the level is read through `tracing`'s dispatcher, about 80 instructions.
    let logged = logging();
    let target = logged.then(|| journal::recorded_target(&parts.uri));
    // Kept for the log line only, and only when it will be written.
    let session = logged
        .then(|| crate::http::header(&parts.headers, &SESSION_HEADER))
        .flatten()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let count = |route: &'static str, status: u16, rule: Option<&str>, extras: &LogExtras| {
        let seconds = started.elapsed().as_secs_f64();
        let rule = rule.unwrap_or("default");
        state
            .metrics
            .request(route, method_label, status, rule, seconds);
        if logged {
            let target = target.as_deref().unwrap_or_default();
            log_request(
                &method,
                target,
                status,
                seconds,
                session.as_deref(),
                rule,
                route,
                extras,
            );
        }
    };
    let limits = state.limits();
    let read = match body::check_framing(parts.version, &parts.headers) {
        Ok(()) => tokio::time::timeout(
            limits.body_timeout,
            body::read(&parts.headers, body, limits.max_body_bytes, &state.inflight),
        )
        .await
        .unwrap_or(Err(BodyError::TimedOut)),
        Err(e) => Err(e),
    };
    let (bytes, request_held) = match read {
        Ok(read) => read,
        Err(e) => {
            let response = body_error(&state, &parts, e);
            count(
                router::label(&parts.method, parts.uri.path()),
                response.status().as_u16(),
                None,
                &LogExtras::default(),
            );
            return response;
        }
    };
    let outcome = process(&state, parts, bytes);
    let route = outcome.route;
    drop(request_held);
    state.wait(outcome.delay_ms).await;
    match outcome.answer {
        Answer::Respond(mut response) => {
            // The answer holds its bytes from the in-flight budget until it is sent.
            let len = u32::try_from(response.body().len()).unwrap_or(u32::MAX);
            if len > 0 {
                match Arc::clone(&state.inflight).try_acquire_many_owned(len) {
                    Ok(permit) => response.body_mut().hold(permit),
                    Err(_) => response = busy(),
                }
            }
            count(
                route,
                response.status().as_u16(),
                outcome.rule.as_deref(),
                &outcome.log,
            );
            response
        }
        Answer::Drop { reset, hold_ms } => {
            state.wait(hold_ms).await;
            count(route, 0, outcome.rule.as_deref(), &outcome.log);
            conn.kill(reset);
            // The connection task drops the connection, and this future with it.
            std::future::pending().await
        }
    }
}

/// How the request was handled, before rendering: what the journal and the connection need.
struct Handled {
    /// The response; `None` when a fault answers nothing.
    reply: Option<Reply>,
    /// The scripted fault, if one answered.
    fault: Option<Fault>,
    /// Whether a route or a rule served the request (the others are "unmatched").
    routed: bool,
    /// What the journal keeps of the body.
    journal_body: RecordedBody,
    /// The failing attributes of a 422 (gathered only for the log line).
    failed: String,
}

impl Handled {
    /// Answered by a route; the journal keeps the bytes of the input it gave.
    fn answered(reply: Reply, input: &Array, body_len: usize) -> Self {
        Handled {
            reply: Some(reply),
            fault: None,
            routed: true,
            journal_body: journal_body(input, body_len),
            failed: String::new(),
        }
    }

    /// Answered without a route (404, 405).
    fn unrouted(reply: Reply, input: &Array, body_len: usize) -> Self {
        Handled {
            routed: false,
            ..Handled::answered(reply, input, body_len)
        }
    }
}

/// Runs one request with its whole body through the mock: session, admin or rules, route,
/// handler, journal. Synchronous and never blocking (delays are returned, not slept).
pub(crate) fn process(state: &AppState, parts: Parts, bytes: Bytes) -> Outcome {
    // The server refuses an oversized body while reading it; a body handed in whole (the
    // in-process `Mock`) gets the same answer here.
    if bytes.len() > state.limits().max_body_bytes {
        let response = body_error(state, &parts, BodyError::TooLarge { drained: true });
        return Outcome {
            answer: Answer::Respond(response),
            delay_ms: 0,
            rule: None,
            log: LogExtras::default(),
            route: router::label(&parts.method, parts.uri.path()),
        };
    }
    let session = match session_of(state, &parts) {
        Ok(session) => session,
        Err(e) => {
            let route = router::label(&parts.method, parts.uri.path());
            return respond(reply::admin(Err(e), Default::default()), &[], route);
        }
    };
    let current = session.state();
    let negotiation = negotiation(&parts, current.settings().strict_accept);
    let locale = current.settings().locale;
    if router::is_admin(parts.uri.path()) {
        let allowed = admin::access::check(&parts, &state.admin, state.bound);
        let result = allowed.and_then(|()| match router::route(&parts.method, parts.uri.path()) {
            Ok(Route::Admin(route)) => admin::handle(
                &AdminContext {
                    session: &session,
                    schemas: state.config.load().schemas(),
                    query: parts.uri.query(),
                    body: &bytes,
                    metrics: &|| state.metrics_text(),
                    last_reload: state.last_reload.lock().clone(),
                    events: state.sessions.events(),
                    stream_dropped: &state.stream_dropped,
                    shutdown: &state.shutdown,
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
        });
        return respond(reply::admin(result, locale), &[], "admin");
    }

    let logged = logging();
    let request = input::read(&parts.method, &parts.headers, parts.uri.query(), &bytes);
    // Routed once, on the method Laravel routes by (an override's); an override that is no
    // method is Laravel's 404, answered before routing.
    let route = match &request.method {
        Ok(method) => router::route(method, router::path_info(parts.uri.path())),
        Err(_) => Err(RouteError::NotFound),
    };
    let route_label = router::label_of(&route);
    let decision = current.rules().has_rules().then(|| {
        let body = php::array_to_json(request.raw());
        current.rules().evaluate(&RequestView {
            method: &parts.method,
            path: parts.uri.path(),
            headers: &parts.headers,
            body: Some(&body),
        })
    });
    let decision = decision.flatten();
    let mut diagnostics = request.diagnostics.clone();
    let scripted = |reply: Option<Reply>, fault: Option<Fault>| Handled {
        reply,
        fault,
        routed: true,
        journal_body: journal_body(request.raw(), bytes.len()),
        failed: String::new(),
    };
    let mut handled = match decision.as_ref().map(|d| &d.respond.action) {
        Some(Action::Errors(bag)) => {
            let mut handled = scripted(Some(reply::rule_errors(bag, locale)), None);
            if logged {
                handled.failed = failed_fields(bag.attributes());
            }
            handled
        }
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
        ),
        Some(Action::Fault(Fault::MalformedJson)) => {
            scripted(Some(reply::malformed_json()), Some(Fault::MalformedJson))
        }
        Some(Action::Fault(fault)) => scripted(None, Some(*fault)),
        Some(Action::Default) | None => default_behaviour(
            state,
            &current,
            &parts,
            request,
            route,
            &negotiation,
            &mut diagnostics,
            bytes.len(),
        ),
    };
    let mut log = LogExtras::default();
    if logged {
        log.fields = std::mem::take(&mut handled.failed);
        log.fault = handled.fault.map(|f| f.name());
        log.delay_ms = decision.as_ref().map_or(0, |d| d.delay_ms);
    }
    let recorded = Recorded {
        response: handled
            .reply
            .as_ref()
            .and_then(Reply::json_body)
            .map(|body| &body[..]),
        delay_ms: decision.as_ref().map_or(0, |d| d.delay_ms),
        status: handled.reply.as_ref().map(Reply::status),
        decision: decision.as_ref(),
        fault: handled.fault,
        routed: handled.routed,
        body: handled.journal_body,
    };
    let entry = record::entry(&parts, &bytes, recorded);
    if logged && state.config.load().log_bodies() {
        // The journal's view of the body: redacted as the admin API shows it.
        log.body = Some(entry.body_json());
    }
    session.journal().record(entry);
    if let Some(fault) = handled.fault {
        state.metrics.fault(fault.name());
    }
    let delay_ms = decision.as_ref().map_or(0, |d| d.delay_ms);
    let answer = match (handled.reply, handled.fault) {
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
        (None, fault) => Answer::Drop {
            reset: fault == Some(Fault::ConnectionReset),
            hold_ms: 0,
        },
    };
    Outcome {
        answer,
        delay_ms,
        rule: decision.map(|d| d.label),
        log,
        route: route_label,
    }
}

fn respond(reply: Reply, diagnostics: &[String], route: &'static str) -> Outcome {
    Outcome {
        answer: Answer::Respond(reply.into_response(diagnostics)),
        delay_ms: 0,
        rule: None,
        log: LogExtras::default(),
        route,
    }
}

fn negotiation(parts: &Parts, redirect_validation: bool) -> Negotiation {
    Negotiation {
        expects_json: expects_json(&parts.headers),
        redirect_validation,
        previous: None,
    }
}

/// Laravel's `url()->previous()` for this request (see [`crate::http::previous_url`]);
/// with `build` false, only whether working it out fails.
fn previous(parts: &Parts, build: bool) -> Result<Vec<u8>, BadHost> {
    // Both headers in one pass: this runs for every failed validation.
    let (mut host, mut referer) = (None, None);
    for (name, value) in &parts.headers {
        if *name == header::HOST && host.is_none() {
            host = Some(value);
        } else if *name == header::REFERER && referer.is_none() {
            referer = Some(value);
        }
    }
    // Its bytes, as PHP reads them (beyond ASCII too; a repeated one, its lines joined).
    let referer =
        referer.map(|first| crate::http::all_lines(&parts.headers, &header::REFERER, first));
    let host = match host {
        // Bytes beyond ASCII are characters Symfony refuses in a host.
        Some(value) => Some(value.to_str().map_err(|_| BadHost)?),
        None => parts.uri.authority().map(|a| a.as_str()),
    };
    crate::http::previous_url(
        referer.as_deref(),
        host,
        parts.extensions.get::<Secure>().is_some(),
        router::base_url(parts.uri.path()),
        build,
    )
}

fn session_of(state: &AppState, parts: &Parts) -> Result<Arc<Session>, AdminError> {
    let id = crate::http::header(&parts.headers, &SESSION_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    state
        .sessions
        .get(id)
        .map_err(|e| AdminError::BadRequest(e.to_string()))
}

/// The mock's default behaviour: answer the route (found on the method Laravel routes by)
/// with the vendor handler. Also says whether a route served the request, and what the
/// journal records of the body (the input the handler validated, passwords redacted).
#[allow(clippy::too_many_arguments)]
fn default_behaviour(
    state: &AppState,
    current: &SessionState,
    parts: &Parts,
    request: LaravelRequest,
    route: Result<Route, RouteError>,
    negotiation: &Negotiation,
    diagnostics: &mut Vec<String>,
    body_len: usize,
) -> Handled {
    let locale = current.settings().locale;
    let Ok(method) = &request.method else {
        diagnostics
            .push("the method override (_method or X-HTTP-Method-Override) is not a method".into());
        let reply = reply::api_error(ApiError::BadMethodOverride, negotiation, locale);
        return Handled::unrouted(reply, request.raw(), body_len);
    };
    if !negotiation.expects_json {
        diagnostics.push(if negotiation.redirect_validation {
            "no Accept: application/json: like Laravel, a validation failure is a 302 and an error an HTML page (--lenient-accept answers JSON)"
        } else {
            "no Accept: application/json; the real API would answer a validation failure with a 302 redirect"
        }.into());
    }
    let endpoint = match route {
        Ok(Route::Api(endpoint)) => endpoint,
        Ok(Route::Options { allowed }) => {
            return Handled::answered(reply::options(allowed), request.raw(), body_len);
        }
        // `/__admin` is answered before rules and routing; a method override cannot reach it.
        Ok(Route::Admin(_)) | Err(RouteError::NotFound) => {
            let path = laravel_path(router::path_info(parts.uri.path())).to_owned();
            let reply = reply::api_error(ApiError::NotFound { path }, negotiation, locale);
            return Handled::unrouted(reply, request.raw(), body_len);
        }
        Err(RouteError::MethodNotAllowed { allowed }) => {
            let error = ApiError::MethodNotAllowed {
                method: method.clone(),
                path: laravel_path(router::path_info(parts.uri.path())).to_owned(),
                allowed,
            };
            let reply = reply::api_error(error, negotiation, locale);
            return Handled::unrouted(reply, request.raw(), body_len);
        }
    };
    let config = state.config.load();
    let ctx = RequestContext {
        state: current,
        schemas: config.schemas(),
        not_utf8: request.not_utf8,
    };
    let result = match api::handle(&ctx, endpoint, &request.input) {
        Err(ApiError::Validation(bag))
            if request.not_utf8 && bag.attributes().any(php::has_replacement) =>
        {
            Err(ApiError::NotUtf8Errors(bag))
        }
        result => result,
    };
    let failed = match &result {
        Err(ApiError::Validation(bag) | ApiError::NotUtf8Errors(bag)) if logging() => {
            failed_fields(bag.attributes())
        }
        _ => String::new(),
    };
    // A failed validation works out where it would redirect, JSON client or not.
    let failed_validation;
    let negotiation = if let Err(ApiError::Validation(_) | ApiError::NotUtf8Errors(_)) = &result {
        let previous = previous(parts, negotiation.redirects_validation());
        if previous.is_err() {
            diagnostics.push(
                "the Host header has characters Symfony refuses: working out the redirect target of the failed validation made Laravel answer 404".into(),
            );
        }
        failed_validation = Negotiation {
            previous: Some(previous),
            ..*negotiation
        };
        &failed_validation
    } else {
        negotiation
    };
    let mut handled = Handled::answered(
        reply::vendor(result, negotiation, locale),
        &request.input,
        body_len,
    );
    if handled.journal_body == RecordedBody::Input {
        // A route's entry shows the input it validated: after Laravel's middleware.
        handled.journal_body = RecordedBody::Normalised;
    }
    Handled { failed, ..handled }
}

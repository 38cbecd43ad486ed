//! Answers to requests the pipeline refuses before processing: a body that could not be
//! read, an answer that does not fit the in-flight budget.

use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};
use serde_json::Value;

use super::record::{Recorded, record};
use super::{AppState, negotiation, session_of};
use crate::api::ApiError;
use crate::http::body::BodyError;
use crate::http::reply::{self, Body};
use crate::journal::RecordedBody;
use crate::router;

/// The answer when an answer's bytes do not fit the in-flight budget.
pub(super) fn busy() -> Response<Body> {
    reply::Reply::json(
        StatusCode::SERVICE_UNAVAILABLE,
        "{\n    \"message\": \"Service Unavailable\"\n}",
    )
    .header(header::RETRY_AFTER, HeaderValue::from_static("1"))
    .into_response(&["--max-inflight-bytes is in use by other answers".to_owned()])
}

/// The answer to a body that could not be read: 413 (over the limit) or 400 (broken off).
pub(super) fn body_error(state: &AppState, parts: &Parts, error: BodyError) -> Response<Body> {
    let negotiation = negotiation(parts, state.config.load().settings().strict_accept);
    let (reply, diagnostic) = match error {
        BodyError::TooLarge { .. } => {
            let reply =
                reply::api_error(ApiError::PayloadTooLarge, &negotiation, Default::default());
            (
                reply,
                format!(
                    "body is over --max-body-bytes ({})",
                    state.limits().max_body_bytes
                ),
            )
        }
        BodyError::Broken => (
            reply::exception(StatusCode::BAD_REQUEST, "Bad Request", &negotiation),
            "the request body broke off".to_owned(),
        ),
        BodyError::TimedOut => (
            reply::exception(StatusCode::REQUEST_TIMEOUT, "Request Timeout", &negotiation),
            format!(
                "the body did not arrive within --body-timeout-ms ({} ms)",
                state.limits().body_timeout.as_millis()
            ),
        ),
        BodyError::Busy => (
            reply::exception(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                &negotiation,
            )
            .header(header::RETRY_AFTER, HeaderValue::from_static("1")),
            "--max-inflight-bytes is in use by other requests".to_owned(),
        ),
        BodyError::NoHost => (
            reply::exception(StatusCode::BAD_REQUEST, "Bad Request", &negotiation),
            "an HTTP/1.1 request needs exactly one Host header".to_owned(),
        ),
        BodyError::UnsupportedCoding => (
            reply::exception(StatusCode::NOT_IMPLEMENTED, "Not Implemented", &negotiation),
            "only the chunked transfer coding is supported".to_owned(),
        ),
    };
    // Only a fully read body leaves the connection usable.
    let reply = match error {
        BodyError::TooLarge { drained: true } => reply,
        _ => reply.header(header::CONNECTION, HeaderValue::from_static("close")),
    };
    if let (false, Ok(session)) = (router::is_admin(parts.uri.path()), session_of(state, parts)) {
        record(
            &session,
            parts,
            &[],
            Recorded {
                response: reply.json_body().map(|body| &body[..]),
                delay_ms: 0,
                status: Some(reply.status()),
                decision: None,
                fault: None,
                routed: true,
                body: RecordedBody::Json(Value::String(format!("<{diagnostic}: not kept>"))),
            },
        );
    }
    reply.into_response(&[diagnostic])
}

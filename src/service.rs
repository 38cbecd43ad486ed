//! The request pipeline: read the body within its bound, route, dispatch to a handler, and
//! turn the outcome into a response. Never fails: every outcome is a response.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};

use crate::admin;
use crate::api::{self, RequestContext};
use crate::error::ApiError;
use crate::reply::{Body, Reply, header_value};
use crate::router::{self, Route, RouteError, laravel_path};
use crate::state::AppState;

/// How much of an oversized body is read and thrown away so the connection stays usable;
/// past this the connection is closed after the 413.
const DRAIN_LIMIT: usize = 64 << 20;

/// Serves one request.
pub async fn handle(state: Arc<AppState>, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let mut diagnostics = Vec::new();
    let reply = match read_body(&parts, body, state.config.max_body_bytes).await {
        Ok(bytes) => dispatch(&state, &parts, &bytes, &mut diagnostics),
        Err(BodyError::TooLarge { drained }) => {
            diagnostics.push(format!(
                "body is over --max-body-bytes ({})",
                state.config.max_body_bytes
            ));
            let reply = ApiError::PayloadTooLarge.into_reply();
            if drained {
                reply
            } else {
                reply.header(header::CONNECTION, HeaderValue::from_static("close"))
            }
        }
        Err(BodyError::Broken) => Reply::message(StatusCode::BAD_REQUEST, "Bad Request")
            .header(header::CONNECTION, HeaderValue::from_static("close")),
    };
    reply.into_response(&diagnostics)
}

fn dispatch(state: &AppState, parts: &Parts, body: &[u8], diagnostics: &mut Vec<String>) -> Reply {
    let route = match router::route(&parts.method, parts.uri.path()) {
        Ok(route) => route,
        Err(e) => return route_error(e, parts).into_reply(),
    };
    let settings = &state.config.settings;
    match route {
        Route::AdminHealth => admin::health(),
        Route::Options { allowed } => {
            let list = allowed
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            Reply::empty(StatusCode::OK).header(header::ALLOW, header_value(&list))
        }
        Route::UserCreate => {
            let input = api::parse_input(&parts.headers, body, diagnostics);
            let ctx = RequestContext {
                headers: &parts.headers,
                settings,
                diagnostics,
            };
            api::users::create(state, &ctx, &input).unwrap_or_else(ApiError::into_reply)
        }
    }
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

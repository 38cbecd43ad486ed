//! The one place a journal entry is built: what the journal keeps of a request and of how
//! it was answered. Admin calls are not journaled.

use std::sync::Arc;

use bytes::Bytes;
use hyper::StatusCode;
use hyper::http::request::Parts;
use serde_json::Value;

use crate::clock::wall_millis;
use crate::journal::{self, Entry, MAX_RECORDED_BODY, RecordedBody};
use crate::php::Array;
use crate::scenario::{Decision, Fault};
use crate::session::Session;

/// What the journal keeps of how a request was answered ([`record`]).
pub(super) struct Recorded<'a> {
    pub response: Option<Bytes>,
    pub delay_ms: u64,
    pub status: Option<StatusCode>,
    pub decision: Option<&'a Decision>,
    pub fault: Option<Fault>,
    pub routed: bool,
    pub body: RecordedBody,
}

/// What the journal records of a body: the input it gave, passwords redacted; a note for a
/// body that gave no input; nothing for no body.
pub(super) fn journal_body(mut input: Array, body_len: usize) -> RecordedBody {
    if !input.is_empty() {
        journal::redact_input(&mut input);
        RecordedBody::Input(input)
    } else if body_len > 0 {
        RecordedBody::Json(Value::String(format!(
            "<{body_len} bytes that gave no input: not kept>"
        )))
    } else {
        RecordedBody::Json(Value::Null)
    }
}

/// The one place a journal entry is built. Admin calls are not journaled.
pub(super) fn record(session: &Session, parts: &Parts, body_len: usize, recorded: Recorded<'_>) {
    let body = if body_len > MAX_RECORDED_BODY {
        RecordedBody::Json(Value::String(format!(
            "<{body_len} bytes, over {MAX_RECORDED_BODY}: not kept>"
        )))
    } else {
        recorded.body
    };
    session.journal().record(Entry {
        target: journal::recorded_target(&parts.uri),
        method: parts.method.clone(),
        headers: journal::RecordedHeaders::new(&parts.headers),
        body,
        status: recorded.status.map(|s| s.as_u16()),
        response: recorded
            .response
            .filter(|body| body.len() <= MAX_RECORDED_BODY),
        delay_ms: recorded.delay_ms,
        rule: recorded.decision.map(|d| Arc::clone(&d.label)),
        fault: recorded.fault.map(|f| f.name()),
        routed: recorded.routed || recorded.decision.is_some(),
        at_ms: wall_millis(),
    });
}

//! The one place a journal entry is built: what the journal keeps of a request and of how
//! it was answered. Admin calls are not journaled.

use std::sync::Arc;

use hyper::StatusCode;
use hyper::http::request::Parts;
use serde_json::Value;

use crate::clock::wall_millis;
use crate::journal::{Entry, Exchange, MAX_RECORDED_BODY, RecordedBody};
use crate::php::Array;
use crate::scenario::{Decision, Fault};
use crate::session::Session;

/// What the journal keeps of how a request was answered ([`entry`]).
pub(super) struct Recorded<'a> {
    /// The answer's body, when it is JSON.
    pub response: Option<&'a [u8]>,
    pub delay_ms: u64,
    pub status: Option<StatusCode>,
    pub decision: Option<&'a Decision>,
    pub fault: Option<Fault>,
    pub routed: bool,
    pub body: RecordedBody,
}

/// What the journal records of a body: the input it gave (kept as the request's bytes,
/// read again and redacted when viewed); a note for a body that gave no input; nothing for
/// no body.
pub(super) fn journal_body(input: &Array, body_len: usize) -> RecordedBody {
    if !input.is_empty() {
        RecordedBody::Input
    } else if body_len > 0 {
        RecordedBody::Json(Value::String(format!(
            "<{body_len} bytes that gave no input: not kept>"
        )))
    } else {
        RecordedBody::Json(Value::Null)
    }
}

/// The one place a journal entry is built. Admin calls are not journaled.
pub(super) fn entry(parts: &Parts, body: &[u8], recorded: Recorded<'_>) -> Entry {
    let (body, view) = match recorded.body {
        _ if body.len() > MAX_RECORDED_BODY => (
            &[][..],
            RecordedBody::Json(Value::String(format!(
                "<{} bytes, over {MAX_RECORDED_BODY}: not kept>",
                body.len()
            ))),
        ),
        kept @ (RecordedBody::Input | RecordedBody::Normalised) => (body, kept),
        note @ RecordedBody::Json(_) => (&[][..], note),
    };
    let answer = recorded
        .response
        .filter(|answer| answer.len() <= MAX_RECORDED_BODY);
    Entry {
        method: parts.method.clone(),
        exchange: Exchange::new(&parts.uri, &parts.headers, body, answer),
        body: view,
        status: recorded.status.map(|s| s.as_u16()),
        delay_ms: recorded.delay_ms,
        rule: recorded.decision.map(|d| Arc::clone(&d.label)),
        fault: recorded.fault.map(|f| f.name()),
        routed: recorded.routed || recorded.decision.is_some(),
        at_ms: wall_millis(),
    }
}

/// Builds the entry ([`entry`]) and records it in the session's journal.
pub(super) fn record(session: &Session, parts: &Parts, body: &[u8], recorded: Recorded<'_>) {
    session.journal().record(entry(parts, body, recorded));
}

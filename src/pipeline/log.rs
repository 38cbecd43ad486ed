//! The request's log line: what was asked and answered, never a secret.

use serde_json::Value;

/// What only `process` knows for a request's log line. Gathered only when the line will be
/// written.
#[derive(Debug, Default)]
pub(crate) struct LogExtras {
    /// The failing attributes of a 422, comma-separated ([`failed_fields`]).
    pub(super) fields: String,
    /// The body as the journal keeps it (`--log-bodies`).
    pub(super) body: Option<Value>,
    /// The fault that answered.
    pub(super) fault: Option<&'static str>,
    /// The rule's delay.
    pub(super) delay_ms: u64,
}

/// Writes a request's log line: what was asked and answered, never a secret (the target's
/// secret query values and the body are redacted as the journal redacts them).
#[allow(clippy::too_many_arguments)]
pub(super) fn log_request(
    method: &hyper::Method,
    target: &str,
    status: u16,
    seconds: f64,
    session: Option<&str>,
    rule: &str,
    route: &str,
    extras: &LogExtras,
) {
    let micros = (seconds * 1e6).round();
    let latency_ms = micros / 1e3;
    let fields = extras.fields.as_str();
    let body = extras.body.as_ref().map(|b| b.to_string());
    let written = crate::logging::text_request_line(|line| {
        line.plain("method", method.as_str());
        line.plain("path", target);
        line.number("status", u64::from(status));
        // `as`: a latency is finite and positive, far below u64::MAX microseconds.
        line.millis("latency_ms", micros as u64);
        line.str("session", session.unwrap_or("default"));
        line.str("rule", rule);
        line.str("route", route);
        if !fields.is_empty() {
            line.str("fields", fields);
        }
        if let Some(fault) = extras.fault {
            line.str("fault", fault);
        }
        if extras.delay_ms > 0 {
            line.number("delay_ms", extras.delay_ms);
        }
        if let Some(body) = &body {
            line.str("body", body);
        }
    });
    if written {
        return;
    }
    // The JSON format (and tests' subscribers): the same fields as an event.
    tracing::info!(
        target: "request",
        method = %method,
        path = %target,
        status,
        latency_ms,
        session = session.unwrap_or("default"),
        rule,
        route,
        fields = (!fields.is_empty()).then_some(fields),
        fault = extras.fault,
        delay_ms = (extras.delay_ms > 0).then_some(extras.delay_ms),
        body = body.as_deref(),
        "request"
    );
}

/// The failing attributes of a 422 as the log line shows them: `login,password`.
pub(super) fn failed_fields<'a>(attributes: impl Iterator<Item = &'a str> + Clone) -> String {
    // Sized first: grown from empty, the text was copied four or five times on a usual 422
    // (about 1,200 instructions in all, benches/instr.py).
    let len = attributes.clone().map(|a| a.len() + 1).sum();
    let mut fields = String::with_capacity(len);
    for (i, attribute) in attributes.enumerate() {
        if i > 0 {
            fields.push(',');
        }
        fields.push_str(attribute);
    }
    fields
}

/// Whether request log lines are written (the level allows them).
pub(super) fn logging() -> bool {
    tracing::enabled!(target: "request", tracing::Level::INFO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_fields_are_joined_with_commas() {
        assert_eq!(failed_fields([].into_iter()), "");
        assert_eq!(failed_fields(["login"].into_iter()), "login");
        let fields = failed_fields(["login", "billing_properties.0.type", "status"].into_iter());
        assert_eq!(fields, "login,billing_properties.0.type,status");
        assert!(fields.capacity() <= fields.len() + 1);
    }
}

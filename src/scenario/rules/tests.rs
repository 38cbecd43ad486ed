use super::super::file::parse;
use crate::validation::Schemas;

/// The error a one-rule scenario is refused with.
fn refused(rule: &str) -> String {
    let schemas = Schemas::embedded().expect("embedded schemas");
    let doc = format!(r#"{{"rules": [{rule}]}}"#);
    match parse("t.json", &doc, Some("t"), &schemas) {
        Ok(_) => panic!("{rule} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_response_is_one_kind_and_its_options_need_that_kind() {
    for (rule, expected) in [
        (
            r#"{"respond": {"status": 500, "fault": "timeout"}}"#,
            "t.json: rules[0].respond: status and fault cannot be combined: use one of errors, status, fault",
        ),
        (
            r#"{"respond": {"fault": "connection_reset", "hold_ms": 5}}"#,
            "t.json: rules[0].respond.hold_ms: only applies with fault timeout",
        ),
        (
            r#"{"respond": {"errors": {"a": "m"}, "headers": {"X": "1"}}}"#,
            "t.json: rules[0].respond.headers: only applies with status",
        ),
        (
            r#"{"respond": {}}"#,
            "t.json: rules[0].respond: expected one of errors, status, fault, or delay_ms alone",
        ),
    ] {
        assert_eq!(refused(rule), expected, "{rule}");
    }
}

#[test]
fn statuses_headers_and_delays_are_checked_where_they_are_written() {
    for (rule, expected) in [
        (
            r#"{"respond": {"status": 1000}}"#,
            "t.json: rules[0].respond.status: expected an integer from 200 to 599, found 1000",
        ),
        (
            r#"{"respond": {"status": 500, "headers": {"Bad Name": "1"}}}"#,
            "t.json: rules[0].respond.headers.Bad Name: not a valid header name",
        ),
        (
            r#"{"respond": {"status": 500, "headers": {"X": "a\nb"}}}"#,
            "t.json: rules[0].respond.headers.X: not a valid header value",
        ),
        (
            r#"{"respond": {"delay_ms": {"min": 5, "max": 1}}}"#,
            "t.json: rules[0].respond.delay_ms: min (5) is greater than max (1)",
        ),
        (
            r#"{"respond": {"delay_ms": {"min": 5}}}"#,
            "t.json: rules[0].respond.delay_ms: expected both min and max",
        ),
        (
            r#"{"respond": {"errors": {"login": ["ok", 3]}}}"#,
            "t.json: rules[0].respond.errors.login[1]: expected a string, found a number",
        ),
        (
            r#"{"match": {"headers": {"X": 1}}, "respond": {"status": 500}}"#,
            "t.json: rules[0].match.headers.X: expected a string or one operator of regex, exists, contains, found a number",
        ),
    ] {
        assert_eq!(refused(rule), expected, "{rule}");
    }
}

#[test]
fn answers_that_would_break_http_are_refused() {
    for status in [100, 101, 103, 199] {
        assert_eq!(
            refused(&format!(r#"{{"respond": {{"status": {status}}}}}"#)),
            format!(
                "t.json: rules[0].respond.status: expected an integer from 200 to 599, found {status}"
            )
        );
    }
    for name in [
        "Content-Length",
        "Transfer-Encoding",
        "Connection",
        "Keep-Alive",
        "Upgrade",
        "TE",
        "Trailer",
        "Proxy-Connection",
    ] {
        let rule = format!(r#"{{"respond": {{"status": 200, "headers": {{"{name}": "1"}}}}}}"#);
        assert_eq!(
            refused(&rule),
            format!(
                "t.json: rules[0].respond.headers.{name}: {name} frames the message and is set by the server; remove it (refused: content-length, transfer-encoding, connection, keep-alive, upgrade, te, trailer, proxy-connection)"
            )
        );
    }
    assert_eq!(
        refused(r#"{"respond": {"status": 204, "body": {"a": 1}}}"#),
        "t.json: rules[0].respond.body: a 204 answer has no body"
    );
}

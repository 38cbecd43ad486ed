//! Golden cases recorded from real Laravel (tools/record_golden.py): the reference Laravel 10
//! application's HTTP answers, and Laravel's own validator's answers to hundreds of request
//! bodies, query strings, forms and method overrides. Each replays through the mock with no PHP
//! on the machine; a case names the Laravel behaviour it covers.

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Method, Request, StatusCode};
use serde_json::Value;
use vms_billing_mock::{Answer, Clock, Config, Mock, Timestamp};

pub(crate) const HTTP: &str = include_str!("../golden/http.json");
pub(crate) const VALIDATION: &str = include_str!("../golden/validation.json");

pub(crate) fn frozen_mock() -> Mock {
    let mut config = Config::default();
    config.set_clock(Clock::Frozen(
        Timestamp::parse_rfc3339("2023-05-02T10:18:50Z").expect("an instant"),
    ));
    config.set_max_sessions(100_000);
    Mock::new(config)
}

/// A recorded header value's bytes: the recorder (Python's `http.client`) sends and reads
/// header values as Latin-1, one character per byte, so `"\u{e9}"` is the byte 0xE9.
fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).expect("a recorded header is Latin-1"))
        .collect()
}

/// Header bytes as the recorder reads them (see [`latin1_bytes`]).
fn latin1_text(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The recorded request, sent through the mock; its status, headers and body.
pub(crate) async fn replay(
    mock: &Mock,
    request: &Value,
    session: Option<&str>,
) -> (StatusCode, hyper::HeaderMap, Bytes) {
    let body = match (request.get("pad"), request["body_b64"].as_str()) {
        (Some(pad), _) => {
            let n = pad.as_u64().expect("a size") as usize;
            Bytes::from(format!("{{\"login\":\"{}\"}}", "x".repeat(n)))
        }
        (None, Some(b64)) => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64 body"),
        ),
        (None, None) => Bytes::new(),
    };
    let mut builder = Request::builder()
        .method(Method::from_bytes(request["method"].as_str().unwrap().as_bytes()).unwrap())
        .uri(request["path"].as_str().unwrap());
    for (name, value) in request["headers"].as_object().unwrap() {
        let value = latin1_bytes(value.as_str().unwrap());
        builder = builder.header(
            name.as_str(),
            hyper::header::HeaderValue::from_bytes(&value).unwrap(),
        );
    }
    if let Some(session) = session {
        builder = builder.header("x-mock-session", session);
    }
    let request = builder.body(body).unwrap();
    let head = request.method() == Method::HEAD;
    let outcome = mock.process(request);
    let Answer::Respond(response) = outcome.answer else {
        panic!("the mock dropped the connection");
    };
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    // On the wire a HEAD answer has no body: hyper leaves it out, as the server recorded.
    (
        parts.status,
        parts.headers,
        if head { Bytes::new() } else { body },
    )
}

#[tokio::test]
async fn the_reference_laravel_apps_answers_byte_for_byte() {
    let golden: Value = serde_json::from_str(HTTP).unwrap();
    let mock = frozen_mock();
    let mut checked = 0;
    for case in golden["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let (status, headers, body) = replay(&mock, &case["request"], None).await;
        if case.get("known_difference").is_some() {
            continue;
        }
        let expect = &case["expect"];
        assert_eq!(
            status.as_u16() as u64,
            expect["status"].as_u64().unwrap(),
            "{name}"
        );
        for (header, value) in expect["headers"].as_object().unwrap() {
            let got = headers
                .get(header.as_str())
                .map(|v| latin1_text(v.as_bytes()));
            let got = got.map(|v| {
                if header == "content-type" {
                    v.to_lowercase()
                } else {
                    v
                }
            });
            assert_eq!(got.as_deref(), value.as_str(), "{name}: {header}");
        }
        if let Some(b64) = expect["body_b64"].as_str() {
            let want = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            assert_eq!(
                String::from_utf8_lossy(&body),
                String::from_utf8_lossy(&want),
                "{name}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 60, "{checked} cases");
}

#[tokio::test]
async fn laravels_validator_answers_for_every_recorded_request() {
    let golden: Value = serde_json::from_str(VALIDATION).unwrap();
    let mock = frozen_mock();
    let cases = golden["cases"].as_array().unwrap();
    assert!(cases.len() >= 300, "{} cases", cases.len());
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let session = format!("golden-{i}");
        for login in case["users"].as_array().unwrap() {
            let create = serde_json::json!({"login": login, "password": "p", "type": "b2c", "status": "active"});
            let request = serde_json::json!({
                "method": "POST", "path": "/__admin/users",
                "headers": {"content-type": "application/json"},
                "body_b64": base64::engine::general_purpose::STANDARD.encode(create.to_string()),
            });
            let (status, _, _) = replay(&mock, &request, Some(&session)).await;
            assert_eq!(status, StatusCode::CREATED, "seeding {login}");
        }
        let (status, _, body) = replay(&mock, &case["request"], Some(&session)).await;
        if let Some(problem) = differs(&case["expect"], status, &body) {
            failures.push(format!(
                "{} ({}): {problem}",
                case["name"].as_str().unwrap(),
                case["cause"]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// What differs between Laravel's recorded answer and the mock's, if anything.
fn differs(expect: &Value, status: StatusCode, body: &[u8]) -> Option<String> {
    let want = expect["status"].as_u64().unwrap();
    let success = |s: u64| s == 200 || s == 204;
    if want != status.as_u16() as u64 && !(success(want) && success(status.as_u16() as u64)) {
        return Some(format!(
            "status {} instead of {want}: {}",
            status,
            String::from_utf8_lossy(body)
        ));
    }
    let got: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if want == 422 {
        let errors: Vec<(String, Value)> = got["errors"]
            .as_object()
            .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let expected: Vec<(String, Value)> = expect["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|pair| (pair[0].as_str().unwrap().to_owned(), pair[1].clone()))
            .collect();
        if errors != expected {
            return Some(format!("errors {errors:?}\n    Laravel {expected:?}"));
        }
        if got["message"] != expect["message"] {
            return Some(format!(
                "message {} instead of {}",
                got["message"], expect["message"]
            ));
        }
    }
    if let Some(stored) = expect.get("stored") {
        for field in ["login", "type", "status"] {
            if got[field] != stored[field] {
                return Some(format!(
                    "stored {field} {} instead of {}",
                    got[field], stored[field]
                ));
            }
        }
    }
    None
}

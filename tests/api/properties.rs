//! Properties over random requests (proptest): whatever a client sends to a vendor route,
//! the mock never answers 5xx, and every 422 is Laravel's well-formed envelope.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Method, Request, StatusCode};
use proptest::prelude::*;
use serde_json::Value;
use vms_billing_mock::{Answer, Config, Mock};

use crate::helpers::USERS;

/// JSON values biased toward what the create rules look at.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        "[ a-z@.\\t\u{a0}\u{feff}é]{0,12}".prop_map(Value::String),
        "\\PC{0,300}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("value".to_owned()),
                    Just("billing_id".to_owned()),
                    "[a-z0-9._*]{0,6}",
                ],
                inner,
                0..5
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A create-shaped body: some of the vendor's fields, with random values.
fn create_body() -> impl Strategy<Value = Value> {
    const FIELDS: [&str; 7] = [
        "login",
        "password",
        "type",
        "status",
        "billing_info",
        "billing_properties",
        "_method",
    ];
    prop::collection::vec((prop::sample::select(&FIELDS[..]), json_value()), 0..8).prop_map(
        |pairs| Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()),
    )
}

fn content_type() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            "application/json",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "text/plain",
            "application/vnd.api+json",
        ][..],
    )
}

fn method() -> impl Strategy<Value = Method> {
    prop::sample::select(&[Method::POST, Method::PATCH, Method::DELETE, Method::PUT][..])
}

fn path() -> impl Strategy<Value = &'static str> {
    prop::sample::select(
        &[
            USERS,
            "/api/v1/billing/user/manage/licenses",
            "/api/v1/billing/user/manage/licenses/check",
            "/api/v1/billing/user/manage/cameras",
            "/api/v1/billing/user/manage/intercoms",
        ][..],
    )
}

/// Runs a request through the mock and returns status and body.
fn answer(mock: &Mock, request: Request<Bytes>) -> (StatusCode, Bytes) {
    match mock.process(request).answer {
        Answer::Respond(response) => {
            let status = response.status();
            let body = futures_body(response.into_body());
            (status, body)
        }
        Answer::Drop { .. } => panic!("the default scenario never drops a connection"),
    }
}

fn futures_body(body: vms_billing_mock::Body) -> Bytes {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    runtime
        .block_on(body.collect())
        .map(|c| c.to_bytes())
        .unwrap_or_default()
}

/// Checks Laravel's 422 envelope: `message` is the first message plus the count of the
/// others, `errors` maps attributes to non-empty lists of strings.
fn assert_well_formed_422(body: &[u8]) {
    let json: Value = serde_json::from_slice(body).expect("a 422 is JSON");
    let message = json["message"].as_str().expect("message is a string");
    let errors = json["errors"].as_object().expect("errors is an object");
    assert!(!errors.is_empty());
    let all: Vec<&str> = errors
        .values()
        .flat_map(|list| {
            let list = list.as_array().expect("a list of messages");
            assert!(!list.is_empty());
            list.iter().map(|m| m.as_str().expect("a message"))
        })
        .collect();
    let expected = match all.len() - 1 {
        0 => all[0].to_owned(),
        1 => format!("{} (and 1 more error)", all[0]),
        n => format!("{} (and {n} more errors)", all[0]),
    };
    assert_eq!(message, expected);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_never_get_a_server_error(
        body in create_body(),
        raw in prop::collection::vec(any::<u8>(), 0..200),
        as_raw in any::<bool>(),
        content_type in content_type(),
        method in method(),
        path in path(),
        accept_json in any::<bool>(),
    ) {
        let mock = Mock::new(Config::default());
        let bytes = if as_raw {
            Bytes::from(raw)
        } else if content_type.contains("json") {
            Bytes::from(body.to_string())
        } else {
            let form: Vec<(String, String)> = body
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect();
            Bytes::from(
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(form)
                    .finish(),
            )
        };
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1")
            .header("content-type", content_type);
        if accept_json {
            request = request.header("accept", "application/json");
        }
        let (status, body) = answer(&mock, request.body(bytes).expect("a request"));
        prop_assert!(!status.is_server_error(), "{status}: {}", String::from_utf8_lossy(&body));
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            assert_well_formed_422(&body);
        }
    }
}

/// Header bytes a client can send: visible ASCII, space, tab and every byte beyond ASCII.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![
            0x20u8..=0x7e,
            0x80u8..=0xff,
            Just(b'\t'),
            Just(b'/'),
            Just(b'?')
        ],
        0..40,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Headers are read as their bytes (a Referer's go into `Location`): whatever they hold,
    /// a failed create is Laravel's 302, 422, 404 (a refused override or host) or 405.
    #[test]
    fn any_header_bytes_give_a_laravel_answer(
        referer in header_bytes(),
        accept in header_bytes(),
        content_type_tail in header_bytes(),
        method_override in prop::option::of(header_bytes()),
    ) {
        let mock = Mock::new(Config::default());
        let value = |bytes: &[u8]| hyper::header::HeaderValue::from_bytes(bytes).expect("header bytes");
        let mut content_type = b"application/json; ".to_vec();
        content_type.extend_from_slice(&content_type_tail);
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(USERS)
            .header("host", "billing.test")
            .header("referer", value(&referer))
            .header("accept", value(&accept))
            .header("content-type", value(&content_type));
        if let Some(name) = &method_override {
            request = request.header("x-http-method-override", value(name));
        }
        let mock_request = request.body(Bytes::from_static(b"{}")).expect("a request");
        let (status, _) = answer(&mock, mock_request);
        prop_assert!(
            matches!(status.as_u16(), 302 | 404 | 405 | 422),
            "{status} for referer {referer:?}, accept {accept:?}, override {method_override:?}"
        );
    }
}

//! Raw bytes through the whole request pipeline: input reading (JSON, forms, multipart,
//! query strings, method override), normalisation, validation, the store and rendering.
//!
//! The first byte picks the route, method, content type and `Accept`; up to the first NUL
//! the rest is the query string, after it the body.
#![no_main]

use std::sync::OnceLock;

use bytes::Bytes;
use hyper::Request;
use libfuzzer_sys::fuzz_target;
use vms_billing_mock::{Config, Mock};

const PATHS: [&str; 6] = [
    "/api/v1/billing/user/manage",
    "/api/v1/billing/user/manage/licenses",
    "/api/v1/billing/user/manage/licenses/check",
    "/api/v1/billing/user/manage/cameras",
    "/api/v1/billing/user/manage/intercoms",
    "/api/v1/billing/user/manage/%2e%2e",
];
const METHODS: [&str; 4] = ["POST", "PATCH", "DELETE", "PUT"];
const TYPES: [&str; 4] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=b",
    "text/plain",
];

fn mock() -> &'static Mock {
    static MOCK: OnceLock<Mock> = OnceLock::new();
    MOCK.get_or_init(|| {
        let mut config = Config::default();
        // The journal holds the last entry only: each input's entry is viewed below.
        config.set_journal_capacity(1);
        Mock::new(config)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (query, body) = match rest.iter().position(|b| *b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&[][..], rest),
    };
    let query: String = query
        .iter()
        .map(|b| if b.is_ascii_graphic() && *b != b'#' { *b as char } else { '_' })
        .collect();
    let path = PATHS[usize::from(pick) % PATHS.len()];
    let uri = if query.is_empty() { path.to_owned() } else { format!("{path}?{query}") };
    let mut request = Request::builder()
        .method(METHODS[usize::from(pick >> 3) % METHODS.len()])
        .uri(uri)
        .header("host", "127.0.0.1")
        .header("content-type", TYPES[usize::from(pick >> 5) % TYPES.len()]);
    if pick & 4 == 0 {
        request = request.header("accept", "application/json");
    }
    let Ok(request) = request.body(Bytes::copy_from_slice(body)) else {
        return;
    };
    let outcome = mock().process(request);
    if let vms_billing_mock::Answer::Respond(response) = outcome.answer {
        // A 500 is only for input Laravel itself could not validate in time.
        assert!(
            response.status() != 500
                || response.headers().get("x-mock-diagnostic").is_some_and(|d| d
                    .to_str()
                    .is_ok_and(|d| d.starts_with("input too large") || d.starts_with("user store full"))),
            "an unexplained 500"
        );
    }
    // The journal reads the recorded body again when viewed: that must never fail either.
    let view = Request::builder()
        .method("GET")
        .uri("/__admin/requests")
        .header("host", "127.0.0.1")
        .body(Bytes::new())
        .expect("a fixed request");
    match mock().process(view).answer {
        vms_billing_mock::Answer::Respond(response) => {
            assert_eq!(response.status(), 200, "the journal view failed");
        }
        _ => panic!("the journal view answered nothing"),
    }
});

//! The response self-check: every vendor answer the mock renders by default matches the
//! response schemas in `schemas/responses/` (which the OpenAPI document publishes), over
//! the recorded Laravel cases and the whole lifecycle.

use base64::Engine as _;
use hyper::StatusCode;
use serde_json::{Value, json};

use crate::golden::{HTTP, VALIDATION, frozen_mock, replay};

fn schema(name: &str) -> jsonschema::Validator {
    let path = format!(
        "{}/schemas/responses/{name}.schema.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    jsonschema::validator_for(&doc).expect("a valid response schema")
}

struct Checker {
    user: jsonschema::Validator,
    error: jsonschema::Validator,
    check: jsonschema::Validator,
    checked: usize,
}

impl Checker {
    fn new() -> Self {
        Checker {
            user: schema("user"),
            error: schema("validation-error"),
            check: schema("licenses-check"),
            checked: 0,
        }
    }

    /// Checks one default answer: its status decides which schema its body must match.
    fn check(
        &mut self,
        what: &str,
        path: &str,
        status: StatusCode,
        headers: &hyper::HeaderMap,
        body: &[u8],
    ) {
        let json_answer = headers
            .get("content-type")
            .is_some_and(|v| v == "application/json");
        let validator = match status {
            StatusCode::NO_CONTENT => {
                assert!(body.is_empty(), "{what}: a 204 with a body");
                self.checked += 1;
                return;
            }
            StatusCode::UNPROCESSABLE_ENTITY => &self.error,
            StatusCode::OK if !json_answer => return, // OPTIONS: Laravel's empty text/html
            StatusCode::OK if path.contains("/licenses/check") => &self.check,
            StatusCode::OK => &self.user,
            // 302, 404, 405, 413: Laravel's own pages and messages, not the API's schemas.
            _ => return,
        };
        let json: Value =
            serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{what} ({status}): {errors:?}\n{json}");
        self.checked += 1;
    }
}

fn request(method: &str, path: &str, body: &Value) -> Value {
    json!({
        "method": method, "path": path,
        "headers": {"content-type": "application/json", "accept": "application/json"},
        "body_b64": base64::engine::general_purpose::STANDARD.encode(body.to_string()),
    })
}

#[tokio::test]
async fn every_default_vendor_answer_matches_the_published_response_schemas() {
    let mut checker = Checker::new();
    let mock = frozen_mock();
    for golden in [VALIDATION, HTTP] {
        let golden: Value = serde_json::from_str(golden).unwrap();
        for (i, case) in golden["cases"].as_array().unwrap().iter().enumerate() {
            let session = format!("schemas-{i}");
            let request = &case["request"];
            let (status, headers, body) = replay(&mock, request, Some(&session)).await;
            let path = request["path"].as_str().unwrap_or_default();
            checker.check(
                case["name"].as_str().unwrap_or("case"),
                path,
                status,
                &headers,
                &body,
            );
        }
    }
    // The whole lifecycle, every endpoint's success.
    let manage = "/api/v1/billing/user/manage";
    let steps = [
        (
            "POST",
            manage.to_owned(),
            json!({"login": "life@x.com", "password": "p", "type": "b2c", "status": "active",
            "billing_properties": [{"type": "phone", "value": "1"}]}),
            StatusCode::OK,
        ),
        (
            "PATCH",
            manage.to_owned(),
            json!({"login": "life@x.com", "status": "blocked", "permissions_to_attach": ["ptz"]}),
            StatusCode::OK,
        ),
        (
            "POST",
            format!("{manage}/licenses"),
            json!({"login": "life@x.com", "analytic_l1": 2}),
            StatusCode::NO_CONTENT,
        ),
        (
            "POST",
            format!("{manage}/licenses/check"),
            json!({"login": "life@x.com", "analytic_l1": 5, "analytic_l3": 1}),
            StatusCode::OK,
        ),
        (
            "POST",
            format!("{manage}/cameras"),
            json!({"login": "life@x.com", "camera_ids": [1]}),
            StatusCode::NO_CONTENT,
        ),
        (
            "POST",
            format!("{manage}/intercoms"),
            json!({"login": "life@x.com", "sync": [{"intercom_id": 1, "flat": 2}]}),
            StatusCode::NO_CONTENT,
        ),
        (
            "DELETE",
            manage.to_owned(),
            json!({"login": "life@x.com"}),
            StatusCode::NO_CONTENT,
        ),
        (
            "PATCH",
            manage.to_owned(),
            json!({"login": "life@x.com"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (method, path, body, expected) in steps {
        let (status, headers, answer) =
            replay(&mock, &request(method, &path, &body), Some("life")).await;
        assert_eq!(status, expected, "{method} {path}");
        checker.check(
            &format!("{method} {path}"),
            &path,
            status,
            &headers,
            &answer,
        );
    }
    assert!(
        checker.checked >= 700,
        "only {} answers checked",
        checker.checked
    );
}

//! Everything outside validation: routing, body limits, bodies that are not JSON objects,
//! the Accept header, and inputs that must never make the mock fail. Expected bytes are the
//! reference Laravel 10 application's answers to the same requests.

use hyper::{Method, StatusCode};
use serde_json::json;
use vms_billing_mock::Locale;

use crate::helpers::*;

const REQUIRED_4: &str = r#"{"message":"The login field is required. (and 3 more errors)","errors":{"login":["The login field is required."],"password":["The password field is required."],"type":["The type field is required."],"status":["The status field is required."]}}"#;

#[tokio::test]
async fn unknown_route_is_404_with_laravel_message() {
    let server = TestServer::start().await;
    let answer = server
        .send(Method::GET, "/api/v1/foo", JSON_HEADERS, "")
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.text(),
        "{\n    \"message\": \"The route api/v1/foo could not be found.\"\n}"
    );
    assert_eq!(answer.header("content-type"), Some("application/json"));
    // A browser (no Accept naming JSON) gets Laravel's HTML error page.
    let answer = server.send(Method::GET, "/api/v1/foo", &[], "").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    assert!(
        answer.text().contains("<title>Not Found</title>"),
        "{}",
        answer.text()
    );
    let answer = server
        .send(
            Method::POST,
            "/api/v1/billing/user/manage/nope/?x=1",
            JSON_HEADERS,
            "{}",
        )
        .await;
    assert_eq!(
        answer.text(),
        "{\n    \"message\": \"The route api/v1/billing/user/manage/nope could not be found.\"\n}"
    );
}

#[tokio::test]
async fn wrong_method_is_405_with_allow_header() {
    let server = TestServer::start().await;
    for method in [Method::GET, Method::PUT, Method::HEAD] {
        let answer = server
            .send(
                method.clone(),
                "/api/v1/billing/user/manage/licenses/check",
                JSON_HEADERS,
                "",
            )
            .await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.header("allow"), Some("POST"));
        if method == Method::GET {
            assert_eq!(
                answer.text(),
                "{\n    \"message\": \"The GET method is not supported for route api/v1/billing/user/manage/licenses/check. Supported methods: POST.\"\n}"
            );
        }
        let answer = server.send(method.clone(), USERS, JSON_HEADERS, "").await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(answer.header("allow"), Some("POST, PATCH, DELETE"));
        if method != Method::HEAD {
            assert_eq!(
                answer.text(),
                format!(
                    "{{\n    \"message\": \"The {method} method is not supported for route api/v1/billing/user/manage. Supported methods: POST, PATCH, DELETE.\"\n}}"
                )
            );
        }
    }
}

#[tokio::test]
async fn options_lists_the_methods_like_laravel() {
    let server = TestServer::start().await;
    let answer = server.send(Method::OPTIONS, USERS, &[], "").await;
    assert_eq!(answer.status, StatusCode::OK);
    // Laravel's automatic OPTIONS answer joins the methods without spaces.
    assert_eq!(answer.header("allow"), Some("POST,PATCH,DELETE"));
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=UTF-8")
    );
    assert_eq!(answer.text(), "");
    let answer = server
        .send(
            Method::OPTIONS,
            "/api/v1/billing/user/manage/cameras",
            &[],
            "",
        )
        .await;
    assert_eq!(answer.header("allow"), Some("POST"));
}

#[tokio::test]
async fn trailing_slash_and_query_string_reach_the_route() {
    let server = TestServer::start().await;
    let answer = server
        .post("/api/v1/billing/user/manage/?debug=1", &user("slash@x.com"))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn body_over_the_limit_is_413_and_the_connection_survives() {
    let server = TestServer::with(|c| c.set_max_body_bytes(1024)).await;
    let mut client = server.connect().await;
    let big = json!({"login": "x".repeat(2000)}).to_string();
    let answer = client.send(Method::POST, USERS, JSON_HEADERS, big).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Laravel's PostTooLargeException has no message.
    assert_eq!(answer.text(), "{\n    \"message\": \"\"\n}");
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some("body is over --max-body-bytes (1024)")
    );
    assert_eq!(answer.header("connection"), None);
    // Same connection, next request.
    let answer = client.post(USERS, &user("after@x.com")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    let mut body = user("big@x.com");
    body["billing_info"] = json!({"pad": "p".repeat((1 << 20) - 200)});
    let answer = client.post(USERS, &body).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "{}",
        &answer.text()[..100.min(answer.text().len())]
    );
    body["billing_info"] = json!({"pad": "p".repeat(1 << 20)});
    body["login"] = json!("big2@x.com");
    assert_eq!(
        client.post(USERS, &body).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        client.post(USERS, &user("big3@x.com")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn malformed_json_is_empty_input_with_a_diagnostic_naming_line_and_column() {
    let server = TestServer::start().await;
    let answer = server
        .send(
            Method::POST,
            USERS,
            JSON_HEADERS,
            "{\n  \"login\": \"a\",\n  oops\n}",
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.text(), REQUIRED_4);
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some(
            "body is not valid JSON: key must be a string at line 3 column 3; treated as empty input"
        )
    );
}

#[tokio::test]
async fn non_object_json_is_empty_input() {
    let server = TestServer::start().await;
    for (body, kind) in [
        ("[1,2]", "an array"),
        ("\"x\"", "a string"),
        ("5", "a number"),
        ("null", "null"),
        ("true", "a boolean"),
    ] {
        let answer = server.send(Method::POST, USERS, JSON_HEADERS, body).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(answer.text(), REQUIRED_4);
        assert_eq!(
            answer.header("x-mock-diagnostic"),
            Some(format!("JSON body is {kind}, not an object; treated as empty input").as_str())
        );
    }
}

#[tokio::test]
async fn non_json_content_type_is_empty_input() {
    let server = TestServer::start().await;
    let body = user("form@x.com").to_string();
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "text/plain"),
                ("accept", "application/json"),
            ],
            body.clone(),
        )
        .await;
    assert_eq!(answer.text(), REQUIRED_4);
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some("Content-Type is text/plain, which Laravel does not read: the body was ignored")
    );
    let answer = server
        .send(Method::POST, USERS, &[("accept", "application/json")], body)
        .await;
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some("Content-Type is missing, which Laravel does not read: the body was ignored")
    );
    // A charset parameter or a +json type is still JSON.
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("accept", "application/json"),
            ],
            user("cs@x.com").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

/// PHP keeps form and query bytes that are not UTF-8. A value Laravel must then store, or
/// a 422 it must JSON-encode with such a field name, is a 500 (the reference app's answers
/// are in tests/golden/http.json); the mock stores nothing, as MySQL refuses the row.
#[tokio::test]
async fn form_bytes_that_are_not_utf8_are_a_500_where_laravel_must_store_or_encode_them() {
    let server = TestServer::start().await;
    let form = |accept: bool| {
        let mut headers = vec![("content-type", "application/x-www-form-urlencoded")];
        if accept {
            headers.push(("accept", "application/json"));
        }
        headers
    };
    let server_error = "{\n    \"message\": \"Server Error\"\n}";
    for body in [
        "login=a%FF&password=p&type=t&status=s",
        "login=a&password=p&type=t&status=s&billing_info[billing_id]=%E2%82",
        "login=a&password=p&type=t&status=s&billing_properties[0][type]=x&billing_properties[0][value]=%FF",
    ] {
        let answer = server.send(Method::POST, USERS, &form(true), body).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(answer.text(), server_error);
        let diagnostic = answer.header("x-mock-diagnostic").unwrap_or_default();
        assert!(
            diagnostic.contains("the database refuses it"),
            "{diagnostic}"
        );
    }
    let users = server.admin(Method::GET, "/users", None).await;
    assert_eq!(users.json(), serde_json::json!({"users": []}));

    // A password is hashed, never stored as text: the create stands, with the first id.
    let answer = server
        .send(
            Method::POST,
            USERS,
            &form(true),
            "login=a&password=%FF&type=t&status=s",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["id"], 1);

    // A failed field named by such bytes: JSON cannot say it, a redirect can.
    let body = "login=b&password=p&type=t&status=s&billing_properties[%FF][type]=";
    let answer = server.send(Method::POST, USERS, &form(true), body).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.text(), server_error);
    let answer = server.send(Method::POST, USERS, &form(false), body).await;
    assert_eq!(answer.status, StatusCode::FOUND);

    // Such a login is nobody's, not even the user whose login is U+FFFD itself, and PHP's
    // trim() (not Laravel's Unicode one) cleans it.
    let answer = server.create_user(&user("a\u{FFFD}")).await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = server
        .send(Method::PATCH, USERS, &form(true), "login=a%FF&status=x")
        .await;
    answer.assert_422(serde_json::json!({"login": ["The selected login is invalid."]}));
    let long_type = format!(
        "login=c&password=p&status=s&type=%C2%A0{}%FF",
        "a".repeat(254)
    );
    let answer = server
        .send(Method::POST, USERS, &form(true), long_type)
        .await;
    answer.assert_422(serde_json::json!({
        "type": ["The type field must not be greater than 255 characters."]
    }));
}

/// `1e400` decodes to INF; in `billing_info` it passes validation (`array`), so the create
/// stands, as Laravel's validator and ../shared/oracle answer (README, Known differences:
/// the reference app's `array` cast refuses it).
#[tokio::test]
async fn a_number_beyond_a_double_in_billing_info_passes_as_laravels_validator_says() {
    let server = TestServer::start().await;
    let body = r#"{"login":"a","password":"p","type":"t","status":"s","billing_info":{"billing_extra":[1e400]}}"#;
    let answer = server.send(Method::POST, USERS, JSON_HEADERS, body).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["id"], 1);
}

#[tokio::test]
async fn missing_accept_is_served_json_with_a_warning_when_lenient() {
    let server = TestServer::with(|c| c.set_strict_accept(false)).await;
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[("content-type", "application/json")],
            user("na@x.com").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some(
            "no Accept: application/json; the real API would answer a validation failure with a 302 redirect"
        )
    );
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.text(), REQUIRED_4);
}

#[tokio::test]
async fn clients_not_asking_for_json_are_redirected_like_laravel_by_default() {
    let server = TestServer::start().await;
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "application/json"),
                ("referer", "https://billing.example/form"),
            ],
            "{}",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(
        answer.header("location"),
        Some("https://billing.example/form")
    );
    assert_eq!(
        answer.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(
        answer
            .text()
            .contains("Redirecting to <a href=\"https://billing.example/form\">")
    );
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[("content-type", "application/json")],
            "{}",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FOUND);
    // Without a Referer, Laravel's url()->previous() is the request's root, made absolute.
    assert_eq!(
        answer.header("location"),
        Some(format!("http://{}", server.addr).as_str())
    );
    assert_eq!(
        answer.header("x-mock-diagnostic"),
        Some(
            "no Accept: application/json: like Laravel, a validation failure is a 302 and an error an HTML page (--lenient-accept answers JSON)"
        )
    );
    // Asking for JSON, or an AJAX request, still gets the 422.
    let answer = server.send(Method::POST, USERS, JSON_HEADERS, "{}").await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "application/json"),
                ("x-requested-with", "XMLHttpRequest"),
            ],
            "{}",
        )
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Success is not affected.
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[("content-type", "application/json")],
            user("ok@x.com").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_host_laravel_refuses_turns_a_failed_validation_into_its_404() {
    let server = TestServer::start().await;
    let bad_host = [
        ("host", "bad_host!"),
        ("content-type", "application/json"),
        ("accept", "application/json"),
    ];
    // Laravel's FormRequest works out the redirect target even for a JSON client, and
    // Symfony refuses the host while doing so.
    let answer = server.send(Method::POST, USERS, &bad_host, "{}").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(
        answer.text(),
        "{\n    \"message\": \"Bad hostname provided.\"\n}"
    );
    assert!(
        answer
            .header("x-mock-diagnostic")
            .is_some_and(|d| d.contains("the Host header has characters Symfony refuses")),
        "{:?}",
        answer.header("x-mock-diagnostic")
    );
    // A success never reads the host.
    let answer = server
        .send(
            Method::POST,
            USERS,
            &bad_host,
            user("host@x.com").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn hostile_inputs_never_cause_a_server_error() {
    let server = TestServer::with(|c| c.set_locale(Locale::En)).await;
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_obj = format!(
        "{{\"login\":{}1{}}}",
        "{\"a\":".repeat(120),
        "}".repeat(120)
    );
    // Laravel answers 15,000 such elements with a 422 (in 14.5 s on the CI machine) ...
    let many = json!({"billing_properties": vec![json!(1); 15_000]}).to_string();
    let bodies: Vec<(Vec<u8>, StatusCode)> = vec![
        (deep.into_bytes(), StatusCode::UNPROCESSABLE_ENTITY),
        (deep_obj.into_bytes(), StatusCode::UNPROCESSABLE_ENTITY),
        (many.into_bytes(), StatusCode::UNPROCESSABLE_ENTITY),
        (vec![0xff, 0xfe, 0x00, 0x7b], StatusCode::UNPROCESSABLE_ENTITY),
        (b"{\"login\": \"\xff\"}".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        (b"{\"login\": 1e999999}".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        (b"{\"login\": \"\\ud800\"}".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        (b"\xEF\xBB\xBF{}".to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        // Duplicate keys: the last one wins, as in PHP's json_decode.
        (b"{\"login\":\"a\",\"login\":\"dup@x.com\",\"password\":\"p\",\"type\":\"t\",\"status\":\"s\"}".to_vec(), StatusCode::OK),
    ];
    let mut client = server.connect().await;
    for (body, expected) in bodies {
        let answer = client.send(Method::POST, USERS, JSON_HEADERS, body).await;
        let text = answer.text();
        assert_eq!(answer.status, expected, "{}", &text[..text.len().min(200)]);
        if expected == StatusCode::OK {
            assert_eq!(answer.json()["login"], "dup@x.com");
        }
    }
    // ... and runs into PHP's 30 s max_execution_time on 20,000 and more: 500 Server Error,
    // which the mock answers at once and without building the 60 MB bag.
    for elements in [20_000, 340_000] {
        let too_many = json!({"billing_properties": vec![json!(1); elements]}).to_string();
        let answer = client
            .send(Method::POST, USERS, JSON_HEADERS, too_many)
            .await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.text(), "{\n    \"message\": \"Server Error\"\n}");
    }
    let health = client.send(Method::GET, "/__admin/health", &[], "").await;
    assert_eq!(health.text(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn health_answers_ok() {
    let server = TestServer::start().await;
    let answer = server.send(Method::GET, "/__admin/health", &[], "").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), r#"{"status":"ok"}"#);
    assert_eq!(answer.header("content-type"), Some("application/json"));
}

/// The status line as the client reads it, for one request sent on its own connection.
async fn status_line(server: &TestServer, request: &str) -> String {
    let head = head_of(server, request).await;
    head.split("\r\n").next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn status_lines_carry_symfonys_reason_phrases() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "odd", "rules": [{"match": {"path": "/api/v1/odd"}, "respond": {"status": 299}}]
    })))
    .await;
    let post = |path: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\naccept: application/json\r\nconnection: close\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    // Guzzle's exception for this answer reads "resulted in a `422 Unprocessable Content`
    // response", as against the vendor.
    assert_eq!(
        status_line(&server, &post(USERS, "{}")).await,
        "HTTP/1.1 422 Unprocessable Content"
    );
    let big = format!("{{\"login\":\"{}\"}}", "x".repeat(1 << 20));
    assert_eq!(
        status_line(&server, &post(USERS, &big)).await,
        "HTTP/1.1 413 Content Too Large"
    );
    // A code with no name: Symfony's text for it.
    assert_eq!(
        status_line(&server, &post("/api/v1/odd", "")).await,
        "HTTP/1.1 299 unknown status"
    );
    // The others are hyper's, the same words as Symfony's.
    let created = post(USERS, &user("reason@x.com").to_string());
    assert_eq!(status_line(&server, &created).await, "HTTP/1.1 200 OK");
}

/// The answer's head (status line and headers) to one request sent on its own connection.
async fn head_of(server: &TestServer, request: &str) -> String {
    let answer = server.raw(request).await.unwrap();
    let text = String::from_utf8_lossy(&answer).into_owned();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_repeated_header_counts_as_php_sees_it_with_its_lines_joined() {
    let server = TestServer::start().await;
    let failed_create = |extra: &str| {
        format!(
            "POST {USERS} HTTP/1.1\r\nhost: billing.test\r\nconnection: close\r\n\
             content-type: application/json\r\n{extra}content-length: 2\r\n\r\n{{}}"
        )
    };
    // `XMLHttpRequest, x` is not `XMLHttpRequest`: no AJAX request, so the browser's 302.
    let head = head_of(
        &server,
        &failed_create("x-requested-with: XMLHttpRequest\r\nx-requested-with: x\r\n"),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 302 Found\r\n"), "{head}");
    // `text/html;q=0.1, application/json`: JSON is preferred across the two lines.
    let head = head_of(
        &server,
        &failed_create("accept: text/html;q=0.1\r\naccept: application/json\r\n"),
    )
    .await;
    assert!(
        head.starts_with("HTTP/1.1 422 Unprocessable Content\r\n"),
        "{head}"
    );
    // Two Referers are one text, made absolute as one.
    let head = head_of(&server, &failed_create("referer: /a\r\nreferer: /b\r\n")).await;
    assert!(
        head.contains("\r\nlocation: http://billing.test/a, /b\r\n"),
        "{head}"
    );
}

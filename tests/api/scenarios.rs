//! Scenario rules: every match operator, counters, respond kinds, and each shipped scenario.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

fn rules(rules: Value) -> Value {
    json!({"name": "t", "rules": rules})
}

#[tokio::test]
async fn documented_example_scenario_reproduces_the_vendor_response() {
    let server = TestServer::with_scenario(shipped("documented-example")).await;
    let answer = server.create_user(&vendor_example()).await;
    assert_eq!(answer.text(), VENDOR_RESPONSE);
    assert_eq!(answer.header("x-mock-rule"), None);
}

#[tokio::test]
async fn duplicate_login_scenario_seeds_a_taken_login() {
    let server = TestServer::with_scenario(shipped("duplicate-login")).await;
    server
        .create_user(&user("TAKEN@mail.com"))
        .await
        .assert_422(json!({"login": ["The login has already been taken."]}));
    // The seed took id 1.
    assert_eq!(
        server.create_user(&user("new@mail.com")).await.json()["id"],
        2
    );
}

#[tokio::test]
async fn validation_on_demand_scenario_fails_matching_logins_only() {
    let server = TestServer::with_scenario(shipped("validation-on-demand")).await;
    let answer = server.create_user(&user("invalid-1@mail.com")).await;
    assert_eq!(
        answer.text(),
        r#"{"message":"The login field must be a valid email address.","errors":{"login":["The login field must be a valid email address."]}}"#
    );
    assert_eq!(answer.header("x-mock-rule"), Some("invalid login"));
    let answer = server.create_user(&user("blocked-1@mail.com")).await;
    assert_eq!(
        answer.text(),
        r#"{"message":"The selected status is invalid. (and 1 more error)","errors":{"status":["The selected status is invalid."],"login":["The login has already been taken."]}}"#
    );
    assert_eq!(
        server.create_user(&user("fine@mail.com")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn server_error_scenario_answers_500_everywhere_under_the_api() {
    let server = TestServer::with_scenario(shipped("server-error")).await;
    let answer = server.create_user(&vendor_example()).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(answer.text(), r#"{"message":"Server Error"}"#);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("x-mock-rule"), Some("outage"));
    // The admin API is never shadowed.
    assert_eq!(
        server.admin(Method::GET, "/health", None).await.status,
        StatusCode::OK
    );
}

#[tokio::test(start_paused = true)]
async fn slow_backend_scenario_delays_the_normal_answer() {
    let server = TestServer::with_scenario(shipped("slow-backend")).await;
    let started = tokio::time::Instant::now();
    let answer = server.create_user(&user("slow@mail.com")).await;
    let waited = started.elapsed();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("x-mock-rule"), Some("slow"));
    assert!(
        waited >= std::time::Duration::from_millis(800),
        "{waited:?}"
    );
    assert!(
        waited <= std::time::Duration::from_millis(1600),
        "{waited:?}"
    );
}

#[tokio::test]
async fn flaky_connection_scenario_resets_every_third_request() {
    let server = TestServer::with_scenario(shipped("flaky-connection")).await;
    let mut outcomes = Vec::new();
    for i in 0..6 {
        let mut client = server.connect().await;
        let result = client
            .try_send(
                Method::POST,
                USERS,
                JSON_HEADERS,
                user(&format!("f{i}@x.com")).to_string(),
            )
            .await;
        outcomes.push(result.map(|a| a.status.as_u16()).ok());
    }
    assert_eq!(
        outcomes,
        [Some(200), Some(200), None, Some(200), Some(200), None]
    );
}

#[tokio::test]
async fn rate_limited_scenario_throttles_the_first_two_requests() {
    let server = TestServer::with_scenario(shipped("rate-limited")).await;
    for _ in 0..2 {
        let answer = server.create_user(&user("r@x.com")).await;
        assert_eq!(answer.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(answer.header("retry-after"), Some("1"));
        assert_eq!(answer.header("x-ratelimit-remaining"), Some("0"));
        assert_eq!(answer.text(), r#"{"message":"Too Many Attempts."}"#);
    }
    assert_eq!(
        server.create_user(&user("r@x.com")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn upsert_scenario_updates_the_existing_user() {
    let server = TestServer::with_scenario(shipped("upsert")).await;
    let mut body = user("EXISTING@mail.com");
    body["status"] = json!("blocked");
    let answer = server.create_user(&body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let updated = answer.json();
    assert_eq!(
        (
            updated["id"].clone(),
            updated["login"].clone(),
            updated["status"].clone()
        ),
        (json!(1), json!("existing@mail.com"), json!("blocked"))
    );
    assert_eq!(
        server.create_user(&user("other@mail.com")).await.json()["id"],
        2
    );
}

#[tokio::test]
async fn match_by_method_path_and_headers_with_operators() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"name": "h-eq", "match": {"method": "post", "headers": {"X-Tenant": "acme"}}, "respond": {"status": 201}},
        {"name": "h-regex", "match": {"headers": {"x-tenant": {"regex": "^beta-\\d+$"}}}, "respond": {"status": 202}},
        {"name": "h-contains", "match": {"headers": {"user-agent": {"contains": "curl"}}}, "respond": {"status": 203}},
        {"name": "h-absent", "match": {"path": "/api/v1/billing/user/manage/", "headers": {"authorization": {"exists": false}, "x-probe": {"exists": true}}}, "respond": {"status": 204}},
        {"name": "p-regex", "match": {"path": {"regex": "/other$"}}, "respond": {"status": 418}}
    ]))))
    .await;
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let mut h = JSON_HEADERS.to_vec();
        h.extend(headers);
        h
    };
    let s = |a: Answer| {
        (
            a.status.as_u16(),
            a.header("x-mock-rule").map(str::to_owned),
        )
    };
    assert_eq!(
        s(server
            .send(Method::POST, USERS, &post(vec![("x-tenant", "acme")]), "{}")
            .await),
        (201, Some("h-eq".into()))
    );
    assert_eq!(
        s(server
            .send(Method::GET, USERS, &post(vec![("x-tenant", "beta-42")]), "")
            .await),
        (202, Some("h-regex".into()))
    );
    assert_eq!(
        s(server
            .send(
                Method::POST,
                USERS,
                &post(vec![("user-agent", "curl/8.1")]),
                "{}"
            )
            .await),
        (203, Some("h-contains".into()))
    );
    assert_eq!(
        s(server
            .send(Method::POST, USERS, &post(vec![("x-probe", "1")]), "{}")
            .await),
        (204, Some("h-absent".into()))
    );
    assert_eq!(
        s(server
            .send(
                Method::POST,
                USERS,
                &post(vec![("x-probe", "1"), ("authorization", "Bearer x")]),
                "{}"
            )
            .await)
        .0,
        422
    );
    assert_eq!(
        s(server.send(Method::GET, "/api/other", &[], "").await),
        (418, Some("p-regex".into()))
    );
    assert_eq!(
        s(server.send(Method::GET, "/api/none", &[], "").await),
        (404, None)
    );
}

#[tokio::test]
async fn match_by_body_subset_with_literal_regex_exists_and_contains() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"name": "literal", "match": {"body": {"login": "lit@x.com", "billing_info": {"billing_id": "7"}}}, "respond": {"status": 201}},
        {"name": "regex", "match": {"body": {"login": {"regex": "^re-"}}}, "respond": {"status": 202}},
        {"name": "exists", "match": {"body": {"promo": {"exists": true}}}, "respond": {"status": 203}},
        {"name": "contains", "match": {"body": {"tags": {"contains": "vip"}, "status": {"contains": "act"}}}, "respond": {"status": 205}},
        {"name": "absent", "match": {"body": {"status": {"exists": false}}}, "respond": {"status": 206}}
    ]))))
    .await;
    let code = |body: Value| {
        let server = &server;
        async move { server.create_user(&body).await.status.as_u16() }
    };
    assert_eq!(code(json!({"login": "lit@x.com", "billing_info": {"billing_id": "7", "x": 1}, "status": "a"})).await, 201);
    assert_eq!(
        code(json!({"login": "lit@x.com", "billing_info": {"billing_id": "8"}, "status": "a"}))
            .await,
        422
    );
    assert_eq!(code(json!({"login": "re-1", "status": "a"})).await, 202);
    assert_eq!(
        code(json!({"login": "x", "promo": null, "status": "a"})).await,
        203
    );
    assert_eq!(
        code(json!({"login": "x", "tags": ["a", "vip"], "status": "inactive"})).await,
        205
    );
    assert_eq!(code(json!({"login": "x"})).await, 206);
    assert_eq!(code(json!({"login": "x", "status": "a"})).await, 422);
}

#[tokio::test]
async fn times_limits_how_often_a_rule_answers() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"match": {"body": {"login": "outage@mail.com"}}, "times": 2, "respond": {"status": 500, "body": {"message": "Server Error"}}}
    ]))))
    .await;
    let codes: Vec<u16> = futures_in_order(&server, 4, |_| user("outage@mail.com")).await;
    assert_eq!(codes, [500, 500, 200, 422]);
}

async fn futures_in_order(
    server: &TestServer,
    n: usize,
    body: impl Fn(usize) -> Value,
) -> Vec<u16> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(server.create_user(&body(i)).await.status.as_u16());
    }
    out
}

#[tokio::test]
async fn nth_answers_only_the_nth_matching_request() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"name": "third", "match": {"method": "POST", "nth": 3}, "respond": {"status": 503}}
    ]))))
    .await;
    // A GET does not count towards the POST rule's nth.
    server.send(Method::GET, "/nope", &[], "").await;
    let codes = futures_in_order(&server, 5, |i| user(&format!("n{i}@x.com"))).await;
    assert_eq!(codes, [200, 200, 503, 200, 200]);
}

#[tokio::test]
async fn every_answers_each_kth_matching_request() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"match": {"every": 2}, "respond": {"status": 502}}
    ]))))
    .await;
    let codes = futures_in_order(&server, 6, |i| user(&format!("e{i}@x.com"))).await;
    assert_eq!(codes, [200, 502, 200, 502, 200, 502]);
}

#[tokio::test]
async fn seeded_probability_gives_the_same_sequence_every_time() {
    let doc =
        rules(json!([{"match": {"probability": 0.5, "seed": 7}, "respond": {"status": 503}}]));
    let mut runs = Vec::new();
    for _ in 0..2 {
        let server = TestServer::with_scenario(scenario(&doc)).await;
        runs.push(futures_in_order(&server, 40, |i| user(&format!("p{i}@x.com"))).await);
    }
    assert_eq!(runs[0], runs[1]);
    let failures = runs[0].iter().filter(|c| **c == 503).count();
    assert!(
        (8..=32).contains(&failures),
        "a fair coin, seeded: {failures} of 40"
    );
    // A reset restarts the sequence.
    let server = TestServer::with_scenario(scenario(&doc)).await;
    let first = futures_in_order(&server, 10, |i| user(&format!("q{i}@x.com"))).await;
    server.admin(Method::POST, "/reset", None).await;
    let again = futures_in_order(&server, 10, |i| user(&format!("q{i}@x.com"))).await;
    assert_eq!(first, again);
    assert_eq!(first, runs[0][..10]);
}

#[tokio::test]
async fn errors_rule_uses_the_laravel_envelope_and_session_locale() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "ru-errors", "settings": {"locale": "ru"},
        "rules": [{"respond": {"errors": {"login": "Такое значение поля login уже существует.", "type": ["a", "b"]}}}]
    })))
    .await;
    let answer = server.create_user(&user("x@x.com")).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    answer.assert_laravel_json(
        r#"{"message":"Такое значение поля login уже существует. (и ещё 2 ошибки)","errors":{"login":["Такое значение поля login уже существует."],"type":["a","b"]}}"#,
    );
    assert_eq!(answer.header("x-mock-rule"), Some("0"));
}

#[tokio::test]
async fn status_rule_without_body_uses_laravel_defaults() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"match": {"nth": 1}, "respond": {"status": 503}},
        {"match": {"nth": 2}, "respond": {"status": 202}}
    ]))))
    .await;
    // As Laravel's exception handler renders it: pretty-printed.
    let a = server.create_user(&user("a@x.com")).await;
    assert_eq!(
        (a.status.as_u16(), a.text()),
        (503, "{\n    \"message\": \"Service Unavailable\"\n}")
    );
    let a = server.create_user(&user("a@x.com")).await;
    assert_eq!((a.status.as_u16(), a.text()), (202, ""));
}

#[tokio::test(start_paused = true)]
async fn delay_adds_to_any_answer_and_a_delayed_request_does_not_block_others() {
    let server = std::sync::Arc::new(
        TestServer::with_scenario(scenario(&rules(json!([
            {"name": "slow 500", "match": {"body": {"login": "slow@x.com"}}, "respond": {"status": 500, "delay_ms": 1500}}
        ]))))
        .await,
    );
    let slow = {
        let server = std::sync::Arc::clone(&server);
        tokio::spawn(async move {
            let started = tokio::time::Instant::now();
            let answer = server.create_user(&user("slow@x.com")).await;
            (answer.status.as_u16(), started.elapsed())
        })
    };
    tokio::task::yield_now().await;
    let started = tokio::time::Instant::now();
    assert_eq!(server.create_user(&user("fast@x.com")).await.status, 200);
    assert!(started.elapsed() < std::time::Duration::from_millis(1500));
    let (status, waited) = slow.await.unwrap();
    assert_eq!(status, 500);
    assert!(
        waited >= std::time::Duration::from_millis(1500),
        "{waited:?}"
    );
}

#[tokio::test]
async fn first_matching_rule_wins_and_unmatched_requests_get_default_behaviour() {
    let server = TestServer::with_scenario(scenario(&rules(json!([
        {"name": "a", "match": {"body": {"login": "x@x.com"}}, "respond": {"status": 501}},
        {"name": "b", "match": {"body": {"login": "x@x.com"}}, "respond": {"status": 502}}
    ]))))
    .await;
    assert_eq!(
        server
            .create_user(&user("x@x.com"))
            .await
            .header("x-mock-rule"),
        Some("a")
    );
    let answer = server.create_user(&user("y@x.com")).await;
    assert_eq!(
        (answer.status.as_u16(), answer.header("x-mock-rule")),
        (200, None)
    );
}

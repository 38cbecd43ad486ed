//! The `/__admin` surface: users, reset, scenarios, journal, counts, and its errors.

use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn users_can_be_listed_fetched_created_and_deleted() {
    let server = TestServer::with(|c| {
        c.set_clock(vms_billing_mock::Clock::Frozen(
            vms_billing_mock::Timestamp::from_unix_seconds(0),
        ))
    })
    .await;
    server.create_user(&vendor_example()).await;
    let list = server.admin(Method::GET, "/users", None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(
        list.text(),
        r#"{"users":[{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"1970-01-01T00:00:00.000000Z","updated_at":"1970-01-01T00:00:00.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}],"billing_info":{"billing_id":"123123123","billing_extra":[]},"permissions":[],"licenses":{"analytic_l1":null,"analytic_l2":null,"analytic_l3":null},"cameras":{"camera_ids":[],"camera_external_ids":[],"public_group_external_ids":[],"private_group_external_ids":[]},"intercoms":[]}]}"#
    );
    assert!(!list.text().contains("qweasdzxc"));
    let one = server
        .admin(Method::GET, "/users/TEST%40mail.com", None)
        .await;
    assert_eq!(one.json()["id"], 1);
    let missing = server.admin(Method::GET, "/users/nobody", None).await;
    assert_eq!(
        (missing.status, missing.text()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no user with login \"nobody\""}"#
        )
    );

    let created = server
        .admin(Method::POST, "/users", Some(&user("admin-made@x.com")))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.json()["id"], 2);
    assert_eq!(created.json()["billing_info"], Value::Null);
    // Same validation as the API.
    server
        .admin(Method::POST, "/users", Some(&json!({"login": "x"})))
        .await
        .assert_422(json!({"password": ["The password field is required."], "type": ["The type field is required."], "status": ["The status field is required."]}));
    let bad = server
        .send(Method::POST, "/__admin/users", JSON_HEADERS, "[1]")
        .await;
    assert_eq!(
        (bad.status, bad.text()),
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"body must be a JSON object: a user create body"}"#
        )
    );

    let deleted = server
        .admin(Method::DELETE, "/users/admin-made@x.com", None)
        .await;
    assert_eq!(
        (deleted.status, deleted.text()),
        (StatusCode::NO_CONTENT, "")
    );
    assert_eq!(
        server
            .admin(Method::DELETE, "/users/admin-made@x.com", None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.admin(Method::GET, "/users", None).await.json()["users"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The login is free again, with a new id.
    assert_eq!(
        server.create_user(&user("admin-made@x.com")).await.json()["id"],
        3
    );
}

#[tokio::test]
async fn reset_restores_seed_users_ids_journal_and_counters() {
    let server = TestServer::with_scenario(shipped("duplicate-login")).await;
    server.create_user(&user("a@x.com")).await;
    server.create_user(&user("b@x.com")).await;
    let reset = server.admin(Method::POST, "/reset", None).await;
    assert_eq!(reset.text(), r#"{"status":"reset","users":1}"#);
    let users = server.admin(Method::GET, "/users", None).await.json();
    assert_eq!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["login"].clone())
            .collect::<Vec<_>>(),
        [json!("taken@mail.com")]
    );
    assert_eq!(
        server.admin(Method::GET, "/requests", None).await.text(),
        r#"{"requests":[],"evicted":0}"#
    );
    assert_eq!(server.create_user(&user("a@x.com")).await.json()["id"], 2);
}

#[tokio::test]
async fn scenarios_can_be_listed_shown_switched_and_replaced() {
    let server = TestServer::with(|c| {
        c.add_scenario(shipped("server-error")).unwrap();
        c.add_scenario(shipped("duplicate-login")).unwrap();
    })
    .await;
    let list = server.admin(Method::GET, "/scenarios", None).await.json();
    assert_eq!(list["active"], "default");
    assert_eq!(
        list["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["default", "server-error", "duplicate-login"]
    );
    assert_eq!(list["scenarios"][2]["users"], 1);
    assert_eq!(
        server.admin(Method::GET, "/scenario", None).await.json()["name"],
        "default"
    );

    let switched = server
        .admin(Method::POST, "/scenarios/server-error/activate", None)
        .await;
    assert_eq!(switched.text(), r#"{"active":"server-error","users":0}"#);
    assert_eq!(
        server.create_user(&user("a@x.com")).await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        server.admin(Method::GET, "/scenario", None).await.json()["name"],
        "server-error"
    );
    let missing = server
        .admin(Method::POST, "/scenarios/nope/activate", None)
        .await;
    assert_eq!(
        (missing.status, missing.text()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no scenario named \"nope\"; loaded: default, server-error, duplicate-login"}"#
        )
    );

    let custom = json!({"name": "custom", "users": [{"login": "seed@x.com", "password": "p", "type": "b2b", "status": "active"}],
                        "rules": [{"match": {"body": {"login": "teapot@x.com"}}, "respond": {"status": 418}}]});
    let put = server.admin(Method::PUT, "/scenario", Some(&custom)).await;
    assert_eq!(
        (put.status, put.text()),
        (StatusCode::OK, r#"{"active":"custom","users":1}"#)
    );
    // The scenario as loaded, with the seed user's password redacted.
    let mut shown = custom.clone();
    shown["users"][0]["password"] = json!("***");
    assert_eq!(
        server.admin(Method::GET, "/scenario", None).await.json(),
        shown
    );
    assert_eq!(
        server
            .create_user(&user("teapot@x.com"))
            .await
            .status
            .as_u16(),
        418
    );
    assert_eq!(server.create_user(&user("a@x.com")).await.json()["id"], 2);
}

#[tokio::test]
async fn an_invalid_scenario_is_refused_and_the_old_one_stays_active() {
    let server = TestServer::with_scenario(shipped("rate-limited")).await;
    let cases = [
        (
            json!({"name": "x", "rules": [{"respond": {"fault": "reset"}}]}),
            "scenario: rules[0].respond.fault: unknown fault \"reset\", expected one of connection_reset, empty_response, malformed_json, timeout",
        ),
        (
            json!({"name": "x", "rulez": []}),
            "scenario: rulez: unknown key \"rulez\", expected one of name, description, settings, users, rules",
        ),
        (
            json!({"rules": []}),
            "scenario: name: required: every scenario needs a name",
        ),
        (
            json!({"name": "x", "users": [{"login": "a", "password": "p", "type": "t"}]}),
            "scenario: users[0].status: The status field is required.",
        ),
        (
            json!({"name": "x", "rules": [{"match": {"body": {"login": {"regex": "("}}}, "respond": {"status": 500}}]}),
            "scenario: rules[0].match.body.login.regex: invalid regex: error: unclosed group",
        ),
    ];
    for (doc, message) in cases {
        let answer = server.admin(Method::PUT, "/scenario", Some(&doc)).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.json()["error"], message);
    }
    let not_json = server
        .send(Method::PUT, "/__admin/scenario", JSON_HEADERS, "{")
        .await;
    assert_eq!(
        not_json.json()["error"],
        "body is not valid JSON: EOF while parsing an object at line 1 column 1"
    );
    assert_eq!(
        server.admin(Method::GET, "/scenarios", None).await.json()["active"],
        "rate-limited"
    );
    assert_eq!(
        server.create_user(&user("a@x.com")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn journal_records_requests_with_passwords_redacted_at_any_depth() {
    let server = TestServer::start().await;
    let body = json!({"login": "j@x.com", "password": "top-secret", "type": "b2c", "status": "active",
                      "billing_info": {"nested": [{"password": "also-secret", "password_confirmation": "x"}]}});
    let mut headers = JSON_HEADERS.to_vec();
    headers.push(("authorization", "Bearer token-123"));
    server
        .send(Method::POST, USERS, &headers, body.to_string())
        .await;
    server
        .send(
            Method::POST,
            USERS,
            JSON_HEADERS,
            "not json, password=hunter2",
        )
        .await;
    let journal = server.admin(Method::GET, "/requests", None).await;
    let text = journal.text();
    for secret in ["top-secret", "also-secret", "hunter2", "token-123"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let j = journal.json();
    assert_eq!(j["evicted"], 0);
    let first = &j["requests"][0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], USERS);
    assert_eq!(first["status"], 200);
    assert_eq!(first["rule"], "default");
    assert_eq!(first["body"]["password"], "***");
    assert_eq!(
        first["body"]["billing_info"]["nested"][0],
        json!({"password": "***", "password_confirmation": "***"})
    );
    assert_eq!(first["headers"]["authorization"], "***");
    assert_eq!(first["headers"]["content-type"], "application/json");
    // The answer as the client got it: the vendor's `can_update_password` flag is a name
    // with `password` in it, but a boolean holds no secret.
    assert_eq!(first["response"]["login"], "j@x.com");
    assert_eq!(first["response"]["can_update_password"], false);
    assert_eq!(first["at"].as_str().unwrap().len(), 24);
    assert_eq!(
        j["requests"][1]["body"],
        "<26 bytes that gave no input: not kept>"
    );
    assert_eq!(j["requests"][1]["status"], 422);
    // Admin calls are not journaled.
    assert_eq!(j["requests"].as_array().unwrap().len(), 2);
}
#[tokio::test]
async fn the_journal_shows_each_body_as_laravel_read_it_whatever_its_encoding() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "one-rule",
        "rules": [{"match": {"body": {"login": {"regex": "ruled"}}}, "respond": {"status": 503}}]
    })))
    .await;
    const FORM: &[(&str, &str)] = &[
        ("content-type", "application/x-www-form-urlencoded"),
        ("accept", "application/json"),
    ];
    // A form body, the query string filling what it lacks: a route shows the input it
    // validated, trimmed by Laravel's middleware.
    let created = server
        .send(
            Method::POST,
            &format!("{USERS}?status=%20active%20&login=ignored"),
            FORM,
            "login=+f%40x.com+&password=hunter2&type=t&billing_info[billing_id]=1&billing_info[db_password]=hunter2",
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    // A rule answers before the middleware: the input as sent.
    let ruled = server
        .send(
            Method::POST,
            USERS,
            JSON_HEADERS,
            r#"{"login":" ruled@x.com ","password":"hunter2"}"#,
        )
        .await;
    assert_eq!(ruled.status, StatusCode::SERVICE_UNAVAILABLE);
    // Input from the query string alone, no body; a multipart body.
    let from_query = server
        .send(
            Method::DELETE,
            &format!("{USERS}?login=q%40x.com&token=t0k3n"),
            JSON_HEADERS,
            "",
        )
        .await;
    assert_eq!(from_query.status, StatusCode::UNPROCESSABLE_ENTITY);
    let multipart = "--B\r\nContent-Disposition: form-data; name=\"login\"\r\n\r\nm@x.com\r\n--B\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nhunter2\r\n--B--\r\n";
    let parted = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "multipart/form-data; boundary=B"),
                ("accept", "application/json"),
            ],
            multipart,
        )
        .await;
    assert_eq!(parted.status, StatusCode::UNPROCESSABLE_ENTITY);

    let journal = server.admin(Method::GET, "/requests", None).await;
    assert!(!journal.text().contains("hunter2"), "{}", journal.text());
    assert!(!journal.text().contains("t0k3n"), "{}", journal.text());
    let bodies: Vec<Value> = journal.json()["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["body"].clone())
        .collect();
    assert_eq!(
        bodies,
        [
            json!({"login": "f@x.com", "password": "***", "type": "t",
                   "billing_info": {"billing_id": "1", "db_password": "***"}, "status": "active"}),
            json!({"login": " ruled@x.com ", "password": "***"}),
            json!({"login": "q@x.com", "token": "***"}),
            json!({"login": "m@x.com", "password": "***"}),
        ]
    );
}

#[tokio::test]
async fn journal_filters_and_clears() {
    let server = TestServer::start().await;
    server.create_user(&user("a@x.com")).await;
    server.create_user(&user("a@x.com")).await;
    server.send(Method::GET, "/api/nothing", &[], "").await;
    let get = |q: &'static str| {
        let server = &server;
        async move {
            server
                .admin(Method::GET, &format!("/requests{q}"), None)
                .await
                .json()
        }
    };
    let statuses = |v: Value| {
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(get("").await), [200, 422, 404]);
    assert_eq!(statuses(get("?method=post").await), [200, 422]);
    assert_eq!(statuses(get("?path=/api/nothing/").await), [404]);
    assert_eq!(statuses(get("?status=422").await), [422]);
    assert_eq!(statuses(get("?limit=2").await), [422, 404]);
    assert_eq!(statuses(get("?method=POST&limit=1").await), [422]);
    let bad = server.admin(Method::GET, "/requests?stauts=1", None).await;
    assert_eq!(
        bad.json()["error"],
        "query: unknown filter \"stauts\", expected one of method, path, status, rule, limit"
    );
    assert_eq!(statuses(get("?rule=default").await), [200, 422, 404]);
    assert!(statuses(get("?rule=slow").await).is_empty());
    let bad = server
        .admin(Method::GET, "/requests?status=abc", None)
        .await;
    assert_eq!(
        (bad.status, bad.json()["error"].clone()),
        (
            StatusCode::BAD_REQUEST,
            json!("query: status=\"abc\" is not a status code")
        )
    );
    let unmatched = server
        .admin(Method::GET, "/requests/unmatched", None)
        .await
        .json();
    assert_eq!(
        unmatched["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["path"].clone())
            .collect::<Vec<_>>(),
        [json!("/api/nothing")]
    );
    let cleared = server.admin(Method::DELETE, "/requests", None).await;
    assert_eq!(cleared.status, StatusCode::NO_CONTENT);
    assert_eq!(get("").await, json!({"requests": [], "evicted": 0}));
}

#[tokio::test]
async fn journal_is_bounded_and_counts_evictions() {
    let server = TestServer::with(|c| c.set_journal_capacity(3)).await;
    for i in 0..10 {
        server.create_user(&user(&format!("e{i}@x.com"))).await;
    }
    let j = server.admin(Method::GET, "/requests", None).await.json();
    assert_eq!(j["evicted"], 7);
    assert_eq!(
        j["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["body"]["login"].clone())
            .collect::<Vec<_>>(),
        [json!("e7@x.com"), json!("e8@x.com"), json!("e9@x.com")]
    );
}

#[tokio::test]
async fn requests_can_be_counted_by_matcher() {
    let server = TestServer::start().await;
    server.create_user(&user("a@x.com")).await;
    server.create_user(&user("b@x.com")).await;
    server.create_user(&user("a@x.com")).await;
    let count = |m: Value| {
        let server = &server;
        async move {
            server
                .admin(Method::POST, "/requests/count", Some(&json!({"match": m})))
                .await
        }
    };
    assert_eq!(
        count(json!({"method": "POST", "path": USERS})).await.text(),
        r#"{"count":3}"#
    );
    assert_eq!(
        count(json!({"body": {"login": "a@x.com"}})).await.text(),
        r#"{"count":2}"#
    );
    assert_eq!(
        count(
            json!({"body": {"login": {"regex": "^b"}}, "headers": {"accept": "application/json"}})
        )
        .await
        .text(),
        r#"{"count":1}"#
    );
    assert_eq!(
        count(json!({"body": {"password": "***"}})).await.text(),
        r#"{"count":3}"#
    );
    let bad = count(json!({"nth": 1})).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        bad.json()["error"],
        "body: match.nth: unknown key \"nth\", expected one of method, path, headers, body"
    );
    let bad = server
        .admin(
            Method::POST,
            "/requests/count",
            Some(&json!({"matches": {}})),
        )
        .await;
    assert_eq!(bad.json()["error"], "body: expected only the key \"match\"");
}

#[tokio::test]
async fn admin_routing_errors_are_plain_json() {
    let server = TestServer::start().await;
    let answer = server.admin(Method::GET, "/nope", None).await;
    assert_eq!(
        (answer.status, answer.text()),
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"no admin endpoint GET /__admin/nope"}"#
        )
    );
    let answer = server.admin(Method::DELETE, "/reset", None).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header("allow"), Some("POST"));
    assert_eq!(
        answer.text(),
        r#"{"error":"DELETE is not allowed on /__admin/reset; allowed: POST"}"#
    );
}

//! The 200 path of `POST /api/v1/billing/user/manage`.

use hyper::StatusCode;
use serde_json::json;
use vms_billing_mock::{Clock, Timestamp};

use crate::helpers::*;

fn frozen() -> Clock {
    Clock::Frozen(Timestamp::parse_rfc3339("2023-05-02T10:18:50Z").unwrap())
}

#[tokio::test]
async fn vendor_example_gets_the_vendor_documented_response_byte_for_byte() {
    let server = TestServer::with(|c| c.set_clock(frozen())).await;
    let answer = server.create_user(&vendor_example()).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.text(), VENDOR_RESPONSE);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.header("cache-control"), Some("no-cache, private"));
    assert_eq!(answer.header("x-mock-diagnostic"), None);
    assert_eq!(
        answer.header("content-length"),
        Some(VENDOR_RESPONSE.len().to_string().as_str())
    );
}

#[tokio::test]
async fn vendor_curl_body_succeeds_and_ignores_unknown_properties_field() {
    let server = TestServer::with(|c| c.set_clock(frozen())).await;
    let curl = json!({"login": "string", "password": "string", "type": "string", "billing_info": [],
                      "properties": "string", "status": "string"});
    let answer = server.create_user(&curl).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.text(),
        r#"{"id":1,"login":"string","name":null,"type":"string","status":"string","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[]}"#
    );
}

#[tokio::test]
async fn strings_are_trimmed_before_validation_and_storage_but_passwords_are_not() {
    let server = TestServer::start().await;
    let body = json!({"login": "  padded@mail.com\t", "password": "  keep me  ", "type": " b2c ",
                      "status": "\nactive ", "billing_properties": [{"type": " phone ", "value": " +7 "}]});
    let answer = server.create_user(&body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let user = answer.json();
    assert_eq!(user["login"], "padded@mail.com");
    assert_eq!(user["type"], "b2c");
    assert_eq!(user["status"], "active");
    assert_eq!(
        user["billing_properties"],
        json!([{"type": "phone", "value": "+7"}])
    );
    // The trimmed login is the one that is taken.
    server
        .create_user(&user_with_login("padded@mail.com"))
        .await
        .assert_422(json!({"login": ["The login has already been taken."]}));
}

fn user_with_login(login: &str) -> serde_json::Value {
    user(login)
}

#[tokio::test]
async fn ids_start_at_one_increase_and_are_not_consumed_by_failures() {
    let server = TestServer::start().await;
    assert_eq!(server.create_user(&user("a@x.com")).await.json()["id"], 1);
    server.create_user(&json!({})).await.assert_422(json!({
        "login": ["The login field is required."], "password": ["The password field is required."],
        "type": ["The type field is required."], "status": ["The status field is required."]}));
    server
        .create_user(&user("A@X.COM"))
        .await
        .assert_422(json!({"login": ["The login has already been taken."]}));
    assert_eq!(server.create_user(&user("b@x.com")).await.json()["id"], 2);
}

#[tokio::test]
async fn id_start_is_configurable() {
    let server = TestServer::with(|c| c.set_id_start(1000)).await;
    assert_eq!(
        server.create_user(&user("a@x.com")).await.json()["id"],
        1000
    );
    assert_eq!(
        server.create_user(&user("b@x.com")).await.json()["id"],
        1001
    );
}

#[tokio::test]
async fn timestamps_use_the_real_clock_in_laravel_format_by_default() {
    let server = TestServer::start().await;
    let user = server.create_user(&user("t@x.com")).await.json();
    let created = user["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 27, "{created}");
    assert!(created.ends_with(".000000Z"), "{created}");
    assert_eq!(user["updated_at"], user["created_at"]);
    let parsed = Timestamp::parse_rfc3339(created).unwrap();
    let now = Clock::System.now();
    assert!(
        (now.unix_seconds() - parsed.unix_seconds()).abs() < 300,
        "{created} is not now"
    );
}

#[tokio::test]
async fn billing_properties_given_as_an_object_are_walked_by_their_values() {
    let server = TestServer::start().await;
    let mut body = user("obj@x.com");
    body["billing_properties"] = json!({"first": {"type": "phone", "value": "1"}, "second": {"type": "email", "value": "2"}});
    let answer = server.create_user(&body).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.json()["billing_properties"],
        json!([{"type": "phone", "value": "1"}, {"type": "email", "value": "2"}])
    );
}

#[tokio::test]
async fn password_and_billing_info_are_never_returned() {
    let server = TestServer::start().await;
    let mut body = vendor_example();
    body["password"] = json!("Sup3r-S3cret!");
    let answer = server.create_user(&body).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.text().contains("Sup3r-S3cret!"));
    let keys: Vec<String> = answer.json().as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys,
        [
            "id",
            "login",
            "name",
            "type",
            "status",
            "created_at",
            "updated_at",
            "deleted_at",
            "can_update_password",
            "billing_properties"
        ]
    );
    // A failing request that carries the password does not echo it either.
    let mut bad = body.clone();
    bad["login"] = json!(42);
    let answer = server.create_user(&bad).await;
    assert!(!answer.text().contains("Sup3r-S3cret!"));
}

#[tokio::test]
async fn keep_alive_serves_many_requests_on_one_connection() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    for i in 0..20 {
        let answer = client.post(USERS, &user(&format!("k{i}@x.com"))).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.json()["id"], i + 1);
    }
}

//! `X-Mock-Session`: isolated state per session, bounded with LRU eviction.

use std::sync::Arc;

use hyper::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_suites_in_two_sessions_never_see_each_other() {
    let server = Arc::new(TestServer::start().await);
    let mut suites = Vec::new();
    for session in ["suite-a", "suite-b"] {
        let server = Arc::clone(&server);
        suites.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..50 {
                // The same logins in both sessions: no clash.
                let answer = server
                    .create_in(session, &user(&format!("u{i}@x.com")))
                    .await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
                ids.push(answer.json()["id"].as_u64().unwrap());
            }
            ids
        }));
    }
    for suite in suites {
        assert_eq!(suite.await.unwrap(), (1..=50).collect::<Vec<u64>>());
    }
    for session in ["suite-a", "suite-b"] {
        let users = server
            .admin_in(Some(session), Method::GET, "/users", None)
            .await
            .json();
        assert_eq!(users["users"].as_array().unwrap().len(), 50);
        let journal = server
            .admin_in(Some(session), Method::GET, "/requests", None)
            .await
            .json();
        assert_eq!(journal["requests"].as_array().unwrap().len(), 50);
    }
    // The default session saw none of it.
    assert_eq!(
        server.admin(Method::GET, "/users", None).await.text(),
        r#"{"users":[]}"#
    );
}

#[tokio::test]
async fn a_new_session_starts_from_the_startup_scenario_not_another_sessions_changes() {
    let server = TestServer::with_scenario(shipped("duplicate-login")).await;
    server
        .admin_in(
            Some("one"),
            Method::POST,
            "/scenarios/default/activate",
            None,
        )
        .await;
    assert_eq!(
        server
            .create_in("one", &user("taken@mail.com"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        server
            .create_in("two", &user("taken@mail.com"))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let active = server
        .admin_in(Some("two"), Method::GET, "/scenarios", None)
        .await
        .json()["active"]
        .clone();
    assert_eq!(active, json!("duplicate-login"));
    // A scenario replaced in one session is not seen by another.
    server
        .admin_in(
            Some("one"),
            Method::PUT,
            "/scenario",
            Some(&json!({"name": "mine", "rules": [{"respond": {"status": 503}}]})),
        )
        .await;
    assert_eq!(
        server
            .create_in("one", &user("z@x.com"))
            .await
            .status
            .as_u16(),
        503
    );
    assert_eq!(
        server
            .create_in("three", &user("z@x.com"))
            .await
            .status
            .as_u16(),
        200
    );
    assert_eq!(
        server.create_user(&user("z@x.com")).await.status.as_u16(),
        200
    );
}

#[tokio::test]
async fn sessions_are_bounded_and_the_least_recently_used_is_evicted() {
    let server = TestServer::with(|c| c.set_max_sessions(2)).await;
    server.create_in("s1", &user("a@x.com")).await;
    server.create_in("s2", &user("a@x.com")).await;
    // Touch s1 so that s2 is the least recently used.
    server.create_in("s1", &user("b@x.com")).await;
    server.create_in("s3", &user("a@x.com")).await;
    let count = |s: &'static str| {
        let server = &server;
        async move {
            server
                .admin_in(Some(s), Method::GET, "/users", None)
                .await
                .json()["users"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("s1").await, 2);
    assert_eq!(count("s3").await, 1);
    // s2 was evicted: it comes back empty (and evicts another in turn).
    assert_eq!(count("s2").await, 0);
}

#[tokio::test]
async fn a_malformed_session_id_is_refused() {
    let server = TestServer::start().await;
    let mut headers = JSON_HEADERS.to_vec();
    headers.push(("x-mock-session", "has space"));
    let answer = server
        .send(Method::POST, USERS, &headers, user("a@x.com").to_string())
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        answer.text(),
        r#"{"error":"X-Mock-Session must be 1 to 128 characters of letters, digits and -_.:@"}"#
    );
}

#[tokio::test]
async fn named_sessions_have_their_own_smaller_journal_bound() {
    let server = TestServer::with(|c| {
        c.set_journal_capacity(5);
        c.set_session_journal_capacity(2);
    })
    .await;
    for i in 0..4 {
        server
            .create_in("small", &user(&format!("j{i}@x.com")))
            .await;
        server.create_user(&user(&format!("j{i}@x.com"))).await;
    }
    let named = server
        .admin_in(Some("small"), Method::GET, "/requests", None)
        .await
        .json();
    assert_eq!(
        (
            named["requests"].as_array().unwrap().len(),
            named["evicted"].clone()
        ),
        (2, json!(2))
    );
    let default = server.admin(Method::GET, "/requests", None).await.json();
    assert_eq!(
        (
            default["requests"].as_array().unwrap().len(),
            default["evicted"].clone()
        ),
        (4, json!(0))
    );
}

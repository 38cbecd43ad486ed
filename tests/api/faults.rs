//! Transport faults as the client sees them, and shutdown with requests held open.

use std::io::ErrorKind;
use std::time::Duration;

use hyper::{Method, StatusCode};
use serde_json::json;

use crate::helpers::*;

fn fault_server(respond: serde_json::Value) -> vms_billing_mock::Scenario {
    scenario(
        &json!({"name": "fault", "rules": [{"name": "f", "match": {"body": {"login": "boom@x.com"}}, "respond": respond}]}),
    )
}

/// Sends a raw create for `login` and reads until the server closes: the bytes, or the error.
async fn raw_create(server: &TestServer, login: &str) -> Result<Vec<u8>, std::io::Error> {
    let body = user(login).to_string();
    let request = format!(
        "POST {USERS} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\naccept: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    server.raw(&request).await
}

#[tokio::test]
async fn connection_reset_fault_resets_without_answering() {
    let server =
        TestServer::with_scenario(fault_server(json!({"fault": "connection_reset"}))).await;
    let err = raw_create(&server, "boom@x.com").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    // Other requests are unaffected.
    let ok = raw_create(&server, "fine@x.com").await.unwrap();
    assert!(ok.starts_with(b"HTTP/1.1 200 OK\r\n"));
}

#[tokio::test]
async fn empty_response_fault_closes_cleanly_without_a_byte() {
    let server = TestServer::with_scenario(fault_server(json!({"fault": "empty_response"}))).await;
    assert_eq!(
        raw_create(&server, "boom@x.com").await.unwrap(),
        Vec::<u8>::new()
    );
}

#[tokio::test]
async fn malformed_json_fault_sends_a_cut_off_200() {
    let server = TestServer::with_scenario(fault_server(json!({"fault": "malformed_json"}))).await;
    let answer = server.create_user(&user("boom@x.com")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.header("content-type"), Some("application/json"));
    assert_eq!(answer.text(), &VENDOR_RESPONSE[..VENDOR_RESPONSE.len() / 2]);
    assert!(serde_json::from_slice::<serde_json::Value>(&answer.body).is_err());
    assert_eq!(answer.header("x-mock-rule"), Some("f"));
}

#[tokio::test(start_paused = true)]
async fn timeout_fault_holds_then_closes_without_answering() {
    let server =
        TestServer::with_scenario(fault_server(json!({"fault": "timeout", "hold_ms": 5000}))).await;
    let started = tokio::time::Instant::now();
    let out = raw_create(&server, "boom@x.com").await.unwrap();
    assert_eq!(out, Vec::<u8>::new());
    assert!(
        started.elapsed() >= Duration::from_millis(5000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn held_requests_do_not_block_others_or_shutdown() {
    let server =
        TestServer::with_scenario(fault_server(json!({"fault": "timeout", "hold_ms": 600000})))
            .await;
    let addr = server.addr;
    let held = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        client
            .try_send(
                Method::POST,
                USERS,
                JSON_HEADERS,
                user("boom@x.com").to_string(),
            )
            .await
    });
    // While one request is held for ten minutes, others are served.
    for i in 0..5 {
        assert_eq!(
            server
                .create_user(&user(&format!("ok{i}@x.com")))
                .await
                .status,
            StatusCode::OK
        );
    }
    assert!(!held.is_finished());
    // Shutdown does not wait the ten minutes: the held request is dropped unanswered.
    tokio::time::timeout(Duration::from_secs(60), server.stop())
        .await
        .expect("shutdown completes long before the hold expires");
    let outcome = tokio::time::timeout(Duration::from_secs(60), held)
        .await
        .expect("client sees the close")
        .unwrap();
    assert!(
        outcome.is_err(),
        "the held request got an answer: {outcome:?}"
    );
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_delayed_request_finish() {
    let server = TestServer::with_scenario(scenario(
        &json!({"name": "d", "rules": [{"respond": {"delay_ms": 300}}]}),
    ))
    .await;
    let addr = server.addr;
    let in_flight = tokio::spawn(async move {
        let mut client = Client::connect(addr).await;
        client.post(USERS, &user("inflight@x.com")).await
    });
    // Wait until the server has the request (its journal entry is written before the delay).
    let mut arrived = false;
    for _ in 0..2000 {
        let journal = server.admin(Method::GET, "/requests", None).await.json();
        if journal["requests"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(arrived);
    server.stop().await;
    let answer = in_flight.await.unwrap();
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

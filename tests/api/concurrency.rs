//! Parallel creates: ids stay unique and gapless, a login is created once.

use std::collections::BTreeSet;
use std::sync::Arc;

use hyper::StatusCode;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundreds_of_parallel_creates_get_unique_gapless_ids() {
    let server = Arc::new(TestServer::start().await);
    let mut tasks = Vec::new();
    for i in 0..400 {
        let server = Arc::clone(&server);
        tasks.push(tokio::spawn(async move {
            let answer = server.create_user(&user(&format!("p{i}@x.com"))).await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
            answer.json()["id"].as_u64().unwrap()
        }));
    }
    let mut ids = BTreeSet::new();
    for t in tasks {
        assert!(ids.insert(t.await.unwrap()), "duplicate id");
    }
    assert_eq!(ids, (1..=400).collect::<BTreeSet<u64>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_of_one_login_yield_exactly_one_success() {
    let server = Arc::new(TestServer::start().await);
    let mut tasks = Vec::new();
    for i in 0..300 {
        let server = Arc::clone(&server);
        // Same login, different case: the unique rule is case-insensitive.
        let login = if i % 2 == 0 {
            "race@x.com"
        } else {
            "RACE@x.com"
        };
        tasks.push(tokio::spawn(async move {
            server.create_user(&user(login)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let answer = t.await.unwrap();
        match answer.status {
            StatusCode::OK => {
                ok += 1;
                assert_eq!(answer.json()["id"], 1);
            }
            StatusCode::UNPROCESSABLE_ENTITY => assert_eq!(
                answer.text(),
                r#"{"message":"The login has already been taken.","errors":{"login":["The login has already been taken."]}}"#
            ),
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(
        server.create_user(&user("next@x.com")).await.json()["id"],
        2
    );
}

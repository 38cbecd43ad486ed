//! A sidecar nobody can knock over: time, connection, memory and exposure bounds under
//! hostile clients, checked on real sockets.

use std::time::{Duration, Instant};

use hyper::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use vms_billing_mock::{Config, Limits};

use crate::helpers::*;

/// A server with these limits (the rest default).
async fn limited(adjust: impl FnOnce(&mut Limits)) -> TestServer {
    TestServer::with(|c: &mut Config| {
        let mut limits = Limits::default();
        adjust(&mut limits);
        c.set_limits(limits);
    })
    .await
}

/// Everything the server sends until it closes the connection (or `wait` passes).
async fn read_until_closed(stream: &mut TcpStream, wait: Duration) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (out, true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (out, false),
        }
    }
}

/// The value of one sample in the metrics exposition.
async fn metric(server: &TestServer, name: &str) -> f64 {
    let answer = server.send(Method::GET, "/__admin/metrics", &[], "").await;
    assert_eq!(answer.status, StatusCode::OK);
    answer
        .text()
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{}", answer.text()))
        .trim()
        .parse()
        .expect("a number")
}

/// Polls a metric until it has the wanted value (the server updates it asynchronously).
async fn metric_becomes(server: &TestServer, name: &str, wanted: f64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let value = metric(server, name).await;
        if value == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} stayed {value}, wanted {wanted}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_the_connection_closed() {
    let server = limited(|l| l.body_timeout = Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/v1/billing/user/manage HTTP/1.1\r\nhost: x\r\naccept: application/json\r\n\
              content-type: application/json\r\ncontent-length: 100\r\n\r\n{\"login\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{text}"
    );
    assert!(text.contains("connection: close\r\n"), "{text}");
    assert!(
        text.ends_with("{\n    \"message\": \"Request Timeout\"\n}"),
        "{text}"
    );
    assert!(closed, "the connection stays open");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let server = limited(|l| l.header_timeout = Duration::from_millis(300)).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"POST /api/v1/billing/user/manage HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(closed, "a slow-headers client keeps its connection");
    // The scrape's own connection is the only one left.
    metric_becomes(&server, "vms_mock_open_connections", 1.0).await;
}

#[tokio::test]
async fn the_connection_cap_refuses_politely_and_recovers() {
    let server = limited(|l| l.max_connections = 2).await;
    // Two clients hold both slots (keep-alive, mid-request: headers not finished).
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(b"GET /__admin/health HTTP/1.1\r\n")
            .await
            .unwrap();
        held.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(b"GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let (answer, closed) = read_until_closed(&mut third, Duration::from_secs(5)).await;
    assert_eq!(
        String::from_utf8_lossy(&answer),
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         cache-control: no-cache, private\r\nretry-after: 1\r\nconnection: close\r\n\
         content-length: 33\r\n\r\n{\"message\":\"Service Unavailable\"}"
    );
    assert!(closed);
    drop(held);
    // Slots free up as the held connections close; then the mock serves again.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        s.write_all(
            b"GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n",
        )
        .await
        .unwrap();
        let (answer, _) = read_until_closed(&mut s, Duration::from_secs(5)).await;
        if answer.starts_with(b"HTTP/1.1 200 OK\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        metric(&server, "vms_mock_refused_connections_total").await,
        1.0
    );
}

#[tokio::test]
async fn a_client_that_never_reads_its_answer_is_dropped() {
    let server = limited(|l| l.idle_timeout = Duration::from_millis(300)).await;
    // About 10 MB of journal, more than loopback's socket buffers hold.
    let padding = "p".repeat(50_000);
    let mut client = server.connect().await;
    for i in 0..200 {
        let answer = client
            .send(
                Method::POST,
                USERS,
                &[
                    ("content-type", "application/json"),
                    ("x-padding", &padding),
                ],
                user(&format!("r{i}@x.com")).to_string(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    drop(client);
    // A client with a small receive window asks for it all and never reads.
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /__admin/requests HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    // The server writes what fits, stalls, and gives up after the idle timeout: only the
    // scrape's own connection stays open.
    tokio::time::sleep(Duration::from_millis(500)).await;
    metric_becomes(&server, "vms_mock_open_connections", 1.0).await;
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(closed);
    assert!(answer.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(
        answer.len() < 9_000_000,
        "the whole answer arrived: {}",
        answer.len()
    );
}

#[tokio::test]
async fn a_client_gone_during_a_delay_leaves_nothing_behind() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "slow", "rules": [{"respond": {"delay_ms": 5000}}]
    })))
    .await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let body = user("gone@x.com").to_string();
    let request = format!(
        "POST {USERS} HTTP/1.1\r\nhost: x\r\naccept: application/json\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
    // Well before the 5 s delay ends, the connection and its request are gone.
    let started = Instant::now();
    // The scrape's own connection is the only one left.
    metric_becomes(&server, "vms_mock_open_connections", 1.0).await;
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn framing_errors_get_their_http_status() {
    let server = TestServer::start().await;
    let cases: [(&[u8], &str); 4] = [
        (
            b"GET /__admin/health HTTP/1.1\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ),
        (
            b"GET /__admin/health HTTP/1.1\r\nhost: a\r\nhost: b\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ),
        (
            b"POST /api/v1/billing/user/manage HTTP/1.1\r\nhost: x\r\n\
              transfer-encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "HTTP/1.1 501 Not Implemented\r\n",
        ),
        (
            b"POST /api/v1/billing/user/manage HTTP/1.1\r\nhost: x\r\n\
              expect: 100-continue\r\ncontent-length: 5000000\r\n\r\n",
            "HTTP/1.1 413 Content Too Large\r\n",
        ),
    ];
    for (request, status_line) in cases {
        let mut stream = TcpStream::connect(server.addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
        let text = String::from_utf8_lossy(&answer);
        // Nothing before the final answer: no `100 Continue` for a body over the limit.
        assert!(text.starts_with(status_line), "{text}");
        assert!(text.contains("connection: close\r\n"), "{text}");
        assert!(closed);
    }
    // HTTP/1.0 has no Host requirement.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /__admin/health HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(answer.starts_with(b"HTTP/1.0 200 OK\r\n"));
}

#[tokio::test]
async fn journal_bytes_stay_under_their_budget() {
    let server = limited(|l| l.journal_bytes = 256 * 1024).await;
    let big = "x".repeat(40_000);
    let mut client = server.connect().await;
    for i in 0..60 {
        let answer = client
            .send(
                Method::POST,
                USERS,
                &[
                    ("content-type", "application/json"),
                    ("accept", "application/json"),
                    ("x-padding", &big),
                ],
                user(&format!("j{i}@x.com")).to_string(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let bytes = metric(&server, "vms_mock_journal_bytes").await;
    assert!(bytes <= 256.0 * 1024.0, "journal holds {bytes} bytes");
    assert!(bytes > 128.0 * 1024.0, "journal holds only {bytes} bytes");
    let listed = server.admin(Method::GET, "/requests", None).await.json();
    let kept = listed["requests"].as_array().unwrap().len() as u64;
    assert_eq!(kept + listed["evicted"].as_u64().unwrap(), 60);
    assert!(kept < 10, "{kept} entries of 40 kB kept in 256 kB");
    assert!(metric(&server, "vms_mock_journal_evictions_total").await >= 50.0);
}

#[tokio::test]
async fn users_are_bounded_in_bytes_across_sessions() {
    let server = TestServer::with(|c| {
        c.set_limits(Limits {
            max_store_bytes: 2 << 20,
            ..Limits::default()
        })
    })
    .await;
    let info = json!({"notes": "n".repeat(300_000)});
    let mut stored = 0;
    let mut full = None;
    for i in 0..20 {
        let mut body = user(&format!("big{i}@x.com"));
        body["billing_info"] = info.clone();
        let answer = server.create_in(&format!("s{}", i % 3), &body).await;
        match answer.status {
            StatusCode::OK => stored += 1,
            _ => {
                full = Some(answer);
                break;
            }
        }
    }
    let full = full.expect("the budget refuses at some point");
    assert_eq!(
        (stored, full.status),
        (6, StatusCode::INTERNAL_SERVER_ERROR)
    );
    assert_eq!(full.text(), "{\n    \"message\": \"Server Error\"\n}");
    assert_eq!(
        full.header("x-mock-diagnostic"),
        Some(
            "user store full (2097152 bytes); raise --max-store-bytes, reset, or use fewer sessions"
        )
    );
    // A reset gives the session's bytes back.
    let reset = server
        .admin_in(Some("s0"), Method::POST, "/reset", None)
        .await;
    assert_eq!(reset.status, StatusCode::OK);
    let mut body = user("again@x.com");
    body["billing_info"] = info;
    assert_eq!(server.create_in("s0", &body).await.status, StatusCode::OK);
}

#[tokio::test]
async fn cross_site_admin_writes_and_foreign_hosts_are_refused() {
    let server = TestServer::start().await;
    // What a web page can send without a preflight: a text/plain POST.
    let answer = server
        .send(
            Method::POST,
            "/__admin/scenarios/server-error/activate",
            &[("content-type", "text/plain")],
            "x",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.text(),
        r#"{"error":"admin requests that change state need Content-Type: application/json or an X-Mock-Admin header (a web page cannot send either cross-site)"}"#
    );
    let answer = server
        .send(Method::POST, "/__admin/reset", &[("x-mock-admin", "1")], "")
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // A page from another origin, even with JSON (which it could only send preflighted).
    let answer = server
        .send(
            Method::POST,
            "/__admin/reset",
            &[
                ("content-type", "application/json"),
                ("origin", "http://evil.example"),
            ],
            "",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // DNS rebinding: a foreign name in Host.
    let answer = server
        .send(
            Method::GET,
            "/__admin/requests",
            &[("host", "rebound.evil.example:8080")],
            "",
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(
        answer.text(),
        r#"{"error":"admin requests for Host \"rebound.evil.example\" are refused: only loopback names and the bound address are served; start with --admin-host rebound.evil.example or --admin-token TOKEN"}"#
    );
    // Vendor routes stay open to any Host, as the vendor's are.
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("host", "billing.example"),
                ("content-type", "application/json"),
                ("accept", "application/json"),
            ],
            user("open@x.com").to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn the_admin_token_is_required_when_set() {
    let server = TestServer::with(|c| c.set_admin_token(Some("s3cr3t".into()))).await;
    let answer = server.admin(Method::GET, "/users", None).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.header("www-authenticate"),
        Some("Bearer realm=\"vms-billing-mock admin\"")
    );
    let answer = server
        .send(
            Method::GET,
            "/__admin/users",
            &[("authorization", "Bearer s3cr3t"), ("host", "mock.ci:8080")],
            "",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = server
        .send(
            Method::POST,
            "/__admin/reset",
            &[("x-mock-admin-token", "s3cr3t")],
            "",
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // Health stays open for probes.
    let answer = server.send(Method::GET, "/__admin/health", &[], "").await;
    assert_eq!(answer.text(), r#"{"status":"ok"}"#);
}

#[tokio::test]
async fn no_password_in_any_admin_view_or_journal_entry() {
    const SECRET: &str = "Pa55-w0rd-visible";
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "secrets",
        "users": [{"login": "seed@x.com", "password": SECRET, "type": "t", "status": "s",
                   "billing_info": {"billing_id": "1", "billing_extra": {"api_password": SECRET}}}],
        "rules": [{"match": {"body": {"password": SECRET}}, "respond": {"delay_ms": 1}}]
    })))
    .await;
    let mut body = user("body@x.com");
    body["password"] = json!(SECRET);
    body["billing_info"] =
        json!({"billing_id": "2", "nested": {"db_password": SECRET, "token": SECRET}});
    let answer = server
        .send(
            Method::POST,
            &format!("{USERS}?password={SECRET}&access_token={SECRET}"),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("authorization", &format!("Bearer {SECRET}")),
                ("proxy-authorization", &format!("Basic {SECRET}")),
                ("cookie", &format!("session={SECRET}")),
                ("x-api-key", SECRET),
            ],
            body.to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(!answer.text().contains(SECRET));
    let form = format!("login=form%40x.com&password={SECRET}&type=t&status=s");
    let answer = server
        .send(
            Method::POST,
            USERS,
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("accept", "application/json"),
            ],
            form,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    for path in [
        "/requests",
        "/requests/unmatched",
        "/users",
        "/users/seed@x.com",
        "/users/body@x.com",
        "/scenario",
        "/scenarios",
        "/metrics",
    ] {
        let answer = server.admin(Method::GET, path, None).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        assert!(!answer.text().contains(SECRET), "{path}: {}", answer.text());
    }
    let journal = server.admin(Method::GET, "/requests", None).await.json();
    let first = &journal["requests"][0];
    assert_eq!(first["query"], "password=***&access_token=***");
    for header in [
        "authorization",
        "proxy-authorization",
        "cookie",
        "x-api-key",
    ] {
        assert_eq!(first["headers"][header], "***", "{header}");
    }
    assert_eq!(first["body"]["password"], "***");
    assert_eq!(
        first["body"]["billing_info"]["nested"]["db_password"],
        "***"
    );
}

#[tokio::test]
async fn scenarios_uploaded_at_run_time_cannot_break_http_either() {
    let server = TestServer::start().await;
    for (rule, problem) in [
        (
            json!({"respond": {"status": 101}}),
            "rules[0].respond.status: expected an integer from 200 to 599, found 101",
        ),
        (
            json!({"respond": {"status": 200, "headers": {"Transfer-Encoding": "chunked"}}}),
            "rules[0].respond.headers.Transfer-Encoding: Transfer-Encoding frames the message and is set by the server; remove it (refused: content-length, transfer-encoding, connection, keep-alive, upgrade, te, trailer, proxy-connection)",
        ),
    ] {
        let answer = server
            .admin(
                Method::PUT,
                "/scenario",
                Some(&json!({"name": "broken", "rules": [rule]})),
            )
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.json()["error"], format!("scenario: {problem}"));
    }
    // A rule's own Content-Type replaces the default one.
    let answer = server
        .admin(
            Method::PUT,
            "/scenario",
            Some(&json!({"name": "xml", "rules": [{"respond": {"status": 200,
                "headers": {"Content-Type": "application/xml"}, "body": "<a/>"}}]})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = server.create_user(&user("x@x.com")).await;
    assert_eq!(
        answer
            .headers
            .get_all("content-type")
            .iter()
            .collect::<Vec<_>>(),
        ["application/xml"]
    );
}

#[tokio::test]
async fn bodies_in_flight_are_bounded_in_bytes_and_headers_in_size() {
    let server = limited(|l| l.max_inflight_bytes = 16 * 1024).await;
    // A body over what is free in flight: 503, try again in a second.
    let big = json!({"login": "x".repeat(20_000)}).to_string();
    let answer = server.send(Method::POST, USERS, JSON_HEADERS, big).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(
        answer.text(),
        "{\n    \"message\": \"Service Unavailable\"\n}"
    );
    // An answer over it too.
    let mut client = server.connect().await;
    for i in 0..100 {
        let answer = client.post(USERS, &user(&format!("f{i}@x.com"))).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let answer = server.admin(Method::GET, "/requests", None).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    // Small answers still flow.
    assert_eq!(
        client.post(USERS, &user("last@x.com")).await.status,
        StatusCode::OK
    );
    // A head over --max-header-bytes (64 KiB by default) is refused by hyper with 431.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: {}\r\n\r\n",
        "b".repeat(70_000)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(5)).await;
    assert!(
        answer.starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

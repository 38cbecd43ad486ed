//! What the mock lets you see: JSON log lines, the Prometheus metrics, the live request
//! stream, and reloads of its files by `--watch` and by SIGHUP.

use std::process::Stdio;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::*;

const BIN: &str = env!("CARGO_BIN_EXE_vms-billing-mock");

/// The binary with `args`, its address once listening, and its stderr.
async fn start(args: &[&str]) -> (tokio::process::Child, std::net::SocketAddr) {
    let mut child = tokio::process::Command::new(BIN)
        .args(["--port", "0"])
        .args(args)
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap();
    (child, addr)
}

fn sigterm_and_wait(child: &mut tokio::process::Child, signal: &str) {
    let pid = child.id().unwrap().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([signal, &pid])
            .status()
            .unwrap()
            .success()
    );
}

#[tokio::test]
async fn json_log_lines_carry_the_request_and_never_a_password() {
    const SECRET: &str = "Sup3r-s3cret-pw";
    let (mut child, addr) = start(&["--log-format", "json", "--log-bodies"]).await;
    let mut client = Client::connect(addr).await;
    let mut body = user("log@x.com");
    body["password"] = json!(SECRET);
    let answer = client
        .send(
            Method::POST,
            &format!("{USERS}?password={SECRET}"),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("authorization", &format!("Bearer {SECRET}")),
                ("x-mock-session", "logs"),
            ],
            body.to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let invalid = json!({"login": 5, "password": SECRET});
    let answer = client
        .send(Method::POST, USERS, JSON_HEADERS, invalid.to_string())
        .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Laravel routes this POST as the update: the line names that route.
    let update = json!({"login": "log@x.com", "password": SECRET});
    let answer = client
        .send(
            Method::POST,
            &format!("{USERS}?_method=PATCH"),
            &[
                ("content-type", "application/json"),
                ("accept", "application/json"),
                ("x-mock-session", "logs"),
            ],
            update.to_string(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    drop(client);
    sigterm_and_wait(&mut child, "-TERM");
    let status = child.wait().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    assert!(!stderr.contains(SECRET), "a secret in the log:\n{stderr}");
    let lines: Vec<Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 3, "{stderr}");
    let created = requests[0];
    assert_eq!(created["level"], "INFO");
    assert_eq!(created["method"], "POST");
    assert_eq!(created["path"], format!("{USERS}?password=***"));
    assert_eq!(created["status"], 200);
    assert_eq!(created["session"], "logs");
    assert_eq!(created["rule"], "default");
    assert_eq!(created["route"], "user_create");
    assert!(created["latency_ms"].as_f64().unwrap() >= 0.0);
    assert!(created.get("fields").is_none());
    let logged_body: Value = serde_json::from_str(created["body"].as_str().unwrap()).unwrap();
    assert_eq!(logged_body["password"], "***");
    let refused = requests[1];
    assert_eq!(refused["status"], 422);
    assert_eq!(refused["fields"], "login,type,status");
    let updated = requests[2];
    assert_eq!(updated["method"], "POST");
    assert_eq!(updated["path"], format!("{USERS}?_method=PATCH"));
    assert_eq!(updated["route"], "user_update");
    assert_eq!(updated["status"], 200);
    assert!(lines.iter().any(|l| l["message"] == "listening"));
    assert!(lines.iter().any(|l| l["message"] == "stopped"));
}

#[tokio::test]
async fn without_log_bodies_no_body_is_logged() {
    let (mut child, addr) = start(&["--log-format", "json"]).await;
    let mut client = Client::connect(addr).await;
    assert_eq!(
        client.post(USERS, &user("nobody@x.com")).await.status,
        StatusCode::OK
    );
    drop(client);
    sigterm_and_wait(&mut child, "-TERM");
    child.wait().await.unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .await
        .unwrap();
    let request: Value = stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["message"] == "request")
        .unwrap();
    assert!(request.get("body").is_none(), "{request}");
    assert!(!stderr.contains("nobody@x.com"));
}

/// The exposition, parsed by a real Prometheus text parser.
async fn scrape(server: &TestServer) -> prometheus_parse::Scrape {
    let answer = server.send(Method::GET, "/__admin/metrics", &[], "").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    let lines = answer.text().lines().map(|l| Ok(l.to_owned()));
    prometheus_parse::Scrape::parse(lines).expect("a valid exposition")
}

fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => v,
            _ => f64::NAN,
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn metrics_parse_and_move_as_requests_arrive() {
    let server = TestServer::with_scenario(scenario(&json!({
        "name": "faulty",
        "rules": [{"name": "drop", "match": {"body": {"login": "drop@x.com"}},
                   "respond": {"fault": "connection_reset"}}]
    })))
    .await;
    let before = scrape(&server).await;
    assert_eq!(value(&before, "vms_mock_users", &[]), 0.0);
    let mut client = server.connect().await;
    for i in 0..3 {
        assert_eq!(
            client
                .post(USERS, &user(&format!("m{i}@x.com")))
                .await
                .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        client.post(USERS, &json!({})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let dropped = server.connect().await;
    let mut dropped = dropped;
    let _ = dropped
        .try_send(
            Method::POST,
            USERS,
            JSON_HEADERS,
            user("drop@x.com").to_string(),
        )
        .await;
    let after = scrape(&server).await;
    let created = [
        ("route", "user_create"),
        ("method", "POST"),
        ("status", "200"),
        ("rule", "default"),
    ];
    assert_eq!(value(&after, "vms_mock_requests_total", &created), 3.0);
    assert_eq!(
        value(
            &after,
            "vms_mock_requests_total",
            &[("status", "422"), ("route", "user_create")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "vms_mock_requests_total",
            &[("status", "0"), ("rule", "drop")]
        ),
        1.0
    );
    assert_eq!(
        value(
            &after,
            "vms_mock_faults_total",
            &[("fault", "connection_reset")]
        ),
        1.0
    );
    assert_eq!(value(&after, "vms_mock_users", &[]), 3.0);
    assert!(value(&after, "vms_mock_store_bytes", &[]) > 0.0);
    assert_eq!(value(&after, "vms_mock_journal_entries", &[]), 5.0);
    assert!(value(&after, "vms_mock_journal_bytes", &[]) > 0.0);
    assert!(value(&after, "vms_mock_open_connections", &[]) >= 1.0);
    let latency_count = value(
        &after,
        "vms_mock_request_duration_seconds_count",
        &[("route", "user_create")],
    );
    assert_eq!(latency_count, 5.0);
    for name in [
        "vms_mock_refused_connections_total",
        "vms_mock_journal_evictions_total",
        "vms_mock_sessions",
        "vms_mock_stream_dropped_events_total",
    ] {
        assert!(
            after.samples.iter().any(|s| s.metric == name),
            "{name} missing"
        );
    }
}

/// Opens the live stream; returns the response body to read events from.
#[tokio::test]
async fn a_method_override_is_counted_under_the_route_laravel_served() {
    let server = TestServer::start().await;
    let mut client = server.connect().await;
    assert_eq!(
        client.post(USERS, &user("over@x.com")).await.status,
        StatusCode::OK
    );
    let override_to = |method: &str| format!("{USERS}?_method={method}");
    let answer = client
        .post(
            &override_to("PATCH"),
            &json!({"login": "over@x.com", "status": "blocked"}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let answer = client
        .post(&override_to("DELETE"), &json!({"login": "over@x.com"}))
        .await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT);
    // Not a method at all: Laravel's 404.
    let answer = client.post(&override_to("PAT%20CH"), &json!({})).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let after = scrape(&server).await;
    let posted = |route: &'static str, status: &'static str| {
        value(
            &after,
            "vms_mock_requests_total",
            &[("route", route), ("method", "POST"), ("status", status)],
        )
    };
    assert_eq!(posted("user_create", "200"), 1.0);
    assert_eq!(posted("user_update", "200"), 1.0);
    assert_eq!(posted("user_delete", "204"), 1.0);
    assert_eq!(posted("unmatched", "404"), 1.0);
    assert_eq!(
        value(
            &after,
            "vms_mock_request_duration_seconds_count",
            &[("route", "user_create")]
        ),
        1.0
    );
}

async fn subscribe(addr: std::net::SocketAddr, query: &str) -> hyper::body::Incoming {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    tokio::spawn(conn);
    let request = hyper::Request::get(format!("/__admin/requests/stream{query}"))
        .header("host", "127.0.0.1")
        .body(Empty::<Bytes>::new())
        .unwrap();
    let response = sender.send_request(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    response.into_body()
}

/// The next `event: request`'s data, skipping comments.
async fn next_event(body: &mut hyper::body::Incoming, pending: &mut String) -> (String, Value) {
    loop {
        if let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            let kind = event
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or("comment")
                .to_owned();
            if kind == "comment" {
                continue;
            }
            let data = event
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap();
            return (kind, serde_json::from_str(data).unwrap());
        }
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("the stream stays open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            pending.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
}

#[tokio::test]
async fn the_live_stream_sends_entries_as_they_happen_filtered() {
    let server = TestServer::start().await;
    let mut all = subscribe(server.addr, "").await;
    let mut only_422 = subscribe(server.addr, "?status=422&session=qa").await;
    let mut pending_all = String::new();
    let mut pending_422 = String::new();
    assert_eq!(
        server.create_user(&user("s1@x.com")).await.status,
        StatusCode::OK
    );
    let refused = server.create_in("qa", &json!({"login": "x"})).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let (kind, first) = next_event(&mut all, &mut pending_all).await;
    assert_eq!(kind, "request");
    assert_eq!(first["status"], 200);
    assert_eq!(first["session"], "default");
    assert_eq!(first["body"]["password"], "***");
    assert_eq!(first["response"]["login"], "s1@x.com");
    let (_, second) = next_event(&mut all, &mut pending_all).await;
    assert_eq!(
        (second["status"].as_u64(), second["session"].as_str()),
        (Some(422), Some("qa"))
    );
    // The filtered subscriber got only the 422 of session qa.
    let (_, filtered) = next_event(&mut only_422, &mut pending_422).await;
    assert_eq!(filtered["session"], "qa");
    assert_eq!(
        filtered["response"]["errors"]["password"][0],
        "The password field is required."
    );
    assert!(
        tokio::time::timeout(
            Duration::from_millis(300),
            next_event(&mut only_422, &mut pending_422)
        )
        .await
        .is_err(),
        "an unfiltered event reached the filtered subscriber"
    );
}

#[tokio::test]
async fn a_slow_subscriber_loses_events_and_slows_nothing() {
    let server = TestServer::start().await;
    // A subscriber that does not read while thousands of requests (16 MB of events, more
    // than loopback's socket buffers) are recorded.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stream = socket.connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /__admin/requests/stream HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut client = server.connect().await;
    let padding = "p".repeat(8000);
    // Were the mock to wait for the subscriber, this loop would hang once the socket filled.
    for i in 0..2000 {
        let answer = client
            .send(
                Method::POST,
                USERS,
                &[
                    ("content-type", "application/json"),
                    ("accept", "application/json"),
                    ("x-padding", &padding),
                ],
                json!({"login": i}).to_string(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // Now it reads: it gets what was still buffered, then the news of what it missed.
    let mut seen = String::new();
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(20);
    while !seen.contains("event: lagged") {
        assert!(Instant::now() < deadline, "no lagged event");
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the stream keeps sending")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let scrape = scrape(&server).await;
    assert!(value(&scrape, "vms_mock_stream_dropped_events_total", &[]) > 0.0);
}

/// Writes `text` to `path` through a temporary file and a rename, as editors do.
fn replace(path: &std::path::Path, text: &str) {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Polls `check` (a health/scenario probe) until it holds.
async fn eventually(
    addr: std::net::SocketAddr,
    path: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut client = Client::connect(addr).await;
        let answer = client
            .send(Method::GET, path, &[("accept", "application/json")], "")
            .await;
        let json = answer.json();
        if check(&json) {
            return json;
        }
        assert!(Instant::now() < deadline, "never: {json}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn create_type(addr: std::net::SocketAddr, login: &str, kind: &str) -> StatusCode {
    let mut client = Client::connect(addr).await;
    let body = json!({"login": login, "password": "p", "type": kind, "status": "active"});
    client.post(USERS, &body).await.status
}

/// A folder of the shipped schemas and one scenario, for a server to reload from.
fn files() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let schemas = dir.path().join("schemas");
    let scenarios = dir.path().join("scenarios");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::create_dir_all(&scenarios).unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    std::fs::copy(
        shipped.join("user-create.schema.json"),
        schemas.join("user-create.schema.json"),
    )
    .unwrap();
    std::fs::write(
        scenarios.join("qa.json"),
        r#"{"name": "qa", "description": "first"}"#,
    )
    .unwrap();
    (dir, schemas, scenarios)
}

fn tightened_create_schema(schemas: &std::path::Path) -> String {
    let text = std::fs::read_to_string(schemas.join("user-create.schema.json")).unwrap();
    let mut schema: Value = serde_json::from_str(&text).unwrap();
    schema["properties"]["type"]["enum"] = json!(["b2b", "b2c"]);
    schema.to_string()
}

async fn reloads_both_kinds_of_file(trigger: impl Fn(&mut tokio::process::Child), watch: bool) {
    let (_dir, schemas, scenarios) = files();
    let (s, c) = (schemas.to_str().unwrap(), scenarios.to_str().unwrap());
    let mut args = vec!["--schemas", s, "--scenarios", c, "--active", "qa"];
    if watch {
        args.push("--watch");
    }
    let (mut child, addr) = start(&args).await;
    assert_eq!(
        create_type(addr, "kept@x.com", "anything").await,
        StatusCode::OK
    );

    // A scenario changes: the new description is in force, users are kept (the default).
    replace(
        &scenarios.join("qa.json"),
        r#"{"name": "qa", "description": "second"}"#,
    );
    trigger(&mut child);
    eventually(addr, "/__admin/scenario", |s| s["description"] == "second").await;
    let health = eventually(addr, "/__admin/health", |h| h["reload"]["ok"] == true).await;
    assert_eq!(health["status"], "ok");
    eventually(addr, "/__admin/users", |u| {
        u["users"][0]["login"] == "kept@x.com"
    })
    .await;

    // A schema tightens: the new rule answers.
    replace(
        &schemas.join("user-create.schema.json"),
        &tightened_create_schema(&schemas),
    );
    trigger(&mut child);
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut n = 0;
    while create_type(addr, &format!("t{n}@x.com"), "other").await
        != StatusCode::UNPROCESSABLE_ENTITY
    {
        assert!(
            Instant::now() < deadline,
            "the tightened schema never applied"
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A broken scenario: reported, and the previous files stay in force.
    replace(
        &scenarios.join("qa.json"),
        r#"{"name": "qa", "rules": [{"respond": {"fault": "oops"}}]}"#,
    );
    trigger(&mut child);
    let health = eventually(addr, "/__admin/health", |h| h["reload"]["ok"] == false).await;
    let error = health["reload"]["error"].as_str().unwrap();
    assert!(error.contains("qa.json: rules[0].respond.fault"), "{error}");
    let scenario = eventually(addr, "/__admin/scenario", |_| true).await;
    assert_eq!(scenario["description"], "second");

    // A broken schema: reported, and the tightened one still answers.
    replace(
        &scenarios.join("qa.json"),
        r#"{"name": "qa", "description": "third"}"#,
    );
    replace(
        &schemas.join("user-create.schema.json"),
        r#"{"type": "object", "properties": {"login": {"type": "strin"}}}"#,
    );
    trigger(&mut child);
    let health = eventually(addr, "/__admin/health", |h| {
        h["reload"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("user-create.schema.json"))
    })
    .await;
    assert_eq!(health["reload"]["ok"], false);
    assert_eq!(
        create_type(addr, "still@x.com", "other").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    child.start_kill().unwrap();
}

#[tokio::test]
async fn watch_reloads_changed_schema_and_scenario_files() {
    // The watcher notices on its own.
    reloads_both_kinds_of_file(|_| {}, true).await;
}

#[tokio::test]
async fn sighup_reloads_schema_and_scenario_files() {
    reloads_both_kinds_of_file(|child| sigterm_and_wait(child, "-HUP"), false).await;
}

#[tokio::test]
async fn reload_state_reset_restarts_every_session() {
    let (_dir, schemas, scenarios) = files();
    let (s, c) = (schemas.to_str().unwrap(), scenarios.to_str().unwrap());
    let (mut child, addr) =
        start(&["--schemas", s, "--scenarios", c, "--reload-state", "reset"]).await;
    assert_eq!(create_type(addr, "gone@x.com", "t").await, StatusCode::OK);
    sigterm_and_wait(&mut child, "-HUP");
    eventually(addr, "/__admin/health", |h| h["reload"]["ok"] == true).await;
    eventually(addr, "/__admin/users", |u| u["users"] == json!([])).await;
    child.start_kill().unwrap();
}

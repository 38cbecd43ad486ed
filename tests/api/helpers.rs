//! A mock server started through the library on port 0, and a minimal HTTP/1.1 client.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use vms_billing_mock::{Config, Scenario, Schemas, Server};

pub const USERS: &str = "/api/v1/billing/user/manage";

/// The vendor's documented request body.
pub fn vendor_example() -> Value {
    serde_json::json!({
        "login": "test@mail.com",
        "password": "qweasdzxc",
        "type": "type_value",
        "billing_info": {"billing_id": "123123123", "billing_extra": []},
        "status": "active",
        "billing_properties": [{"type": "phone", "value": "+80283289362"}]
    })
}

/// The vendor's documented 200 body, byte for byte (keys in the documented order).
pub const VENDOR_RESPONSE: &str = r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;

/// A minimal valid create body for `login`.
pub fn user(login: &str) -> Value {
    serde_json::json!({"login": login, "password": "secret", "type": "b2c", "status": "active"})
}

pub struct TestServer {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<()>>,
}

/// Loads a scenario document the way the server loads files.
pub fn scenario(doc: &Value) -> Scenario {
    let schemas = Schemas::embedded().unwrap();
    Scenario::from_json("test", &doc.to_string(), &schemas).expect("valid scenario")
}

/// Loads a shipped scenario file from `scenarios/`.
pub fn shipped(name: &str) -> Scenario {
    let schemas = Schemas::embedded().unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.json"));
    Scenario::from_file(&path, &schemas).expect("shipped scenario loads")
}

impl TestServer {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn with(adjust: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::default();
        config.set_port(0);
        adjust(&mut config);
        Self::with_config(config).await
    }

    pub async fn with_config(mut config: Config) -> Self {
        config.set_port(0);
        let server = Server::bind(config).await.expect("bind port 0");
        let addr = server.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let running = tokio::spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            addr,
            stop: Some(stop),
            running: Some(running),
        }
    }

    /// A server whose active scenario is `scn`.
    pub async fn with_scenario(scn: Scenario) -> Self {
        Self::with(|c| {
            let name = scn.name().to_owned();
            c.add_scenario(scn).expect("a new scenario name");
            c.set_active(&name).expect("the scenario just added");
        })
        .await
    }

    /// Signals shutdown and waits until `run` has returned.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.expect("server task");
        }
    }

    /// An admin call (JSON body if given) in the default session.
    pub async fn admin(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        self.admin_in(None, method, path, body).await
    }

    /// An admin call in a session.
    pub async fn admin_in(
        &self,
        session: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Answer {
        let mut headers: Vec<(&str, &str)> = JSON_HEADERS.to_vec();
        if let Some(s) = session {
            headers.push(("x-mock-session", s));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.send(method, &format!("/__admin{path}"), &headers, body)
            .await
    }

    /// A create in a session.
    pub async fn create_in(&self, session: &str, body: &Value) -> Answer {
        let mut headers: Vec<(&str, &str)> = JSON_HEADERS.to_vec();
        headers.push(("x-mock-session", session));
        self.send(Method::POST, USERS, &headers, body.to_string())
            .await
    }

    pub async fn connect(&self) -> Client {
        Client::connect(self.addr).await
    }

    /// One request on a fresh connection.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        self.connect().await.send(method, path, headers, body).await
    }

    /// `request`'s bytes as sent, on a fresh connection, and every byte the server answers
    /// until it closes (the request should ask for `connection: close`).
    pub async fn raw(&self, request: &str) -> std::io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = TcpStream::connect(self.addr).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok(answer)
    }

    /// POST with the documented JSON headers.
    pub async fn post(&self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, JSON_HEADERS, body.to_string())
            .await
    }

    pub async fn create_user(&self, body: &Value) -> Answer {
        self.post(USERS, body).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub const JSON_HEADERS: &[(&str, &str)] = &[
    ("content-type", "application/json"),
    ("accept", "application/json"),
];

pub struct Client {
    sender: SendRequest<Full<Bytes>>,
    addr: SocketAddr,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Client { sender, addr }
    }

    pub async fn try_send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Result<Answer, hyper::Error> {
        let mut req = Request::builder().method(method).uri(path);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req = req.header("host", self.addr.to_string());
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(body.into())).expect("request");
        self.sender.ready().await?;
        let res = self.sender.send_request(req).await?;
        let status = res.status();
        let headers = res.headers().clone();
        let body = res.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Answer {
        self.try_send(method, path, headers, body)
            .await
            .expect("response")
    }

    pub async fn post(&mut self, path: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, JSON_HEADERS, body.to_string())
            .await
    }
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ascii header"))
    }

    /// Asserts a 422 whose `errors` equal `expected` (as JSON, so key order is checked
    /// separately by [`Answer::error_fields`]) and whose message is the Laravel summary.
    pub fn assert_422(&self, expected_errors: Value) {
        assert_eq!(
            self.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["errors"], expected_errors, "{}", self.text());
        let messages: Vec<&str> = body["errors"]
            .as_object()
            .expect("errors object")
            .values()
            .flat_map(|v| {
                v.as_array()
                    .expect("list")
                    .iter()
                    .map(|m| m.as_str().expect("string"))
            })
            .collect();
        let more = messages.len() - 1;
        let expected_message = match more {
            0 => messages[0].to_owned(),
            1 => format!("{} (and 1 more error)", messages[0]),
            n => format!("{} (and {n} more errors)", messages[0]),
        };
        assert_eq!(body["message"], expected_message);
        assert_eq!(
            body.as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>()),
            Some(vec!["message".to_owned(), "errors".to_owned()])
        );
    }

    /// Asserts a body equal to `expected` as Laravel's `JsonResponse` writes it: the same
    /// JSON, with every non-ASCII character escaped (`json_encode` without flags), so the
    /// bytes are ASCII.
    pub fn assert_laravel_json(&self, expected: &str) {
        let expected: Value = serde_json::from_str(expected).expect("expected JSON");
        assert_eq!(self.json(), expected, "{}", self.text());
        assert!(
            self.text().is_ascii(),
            "not escaped as Laravel does: {}",
            self.text()
        );
    }

    /// The `errors` keys in the order the server sent them.
    pub fn error_fields(&self) -> Vec<String> {
        self.json()["errors"]
            .as_object()
            .expect("errors")
            .keys()
            .cloned()
            .collect()
    }
}

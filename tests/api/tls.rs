//! HTTPS as in the vendor's samples: a generated certificate a real TLS client trusts, your
//! own certificate files, the vendor's cURL sample verbatim, and every feature over TLS.

use std::process::Stdio;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpStream;
use vms_billing_mock::{Clock, Config, StartupError, Timestamp, TlsSource};

use crate::helpers::*;

/// A client that trusts exactly `cert` (PEM).
fn client_trusting(cert: &[u8]) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(cert) {
        roots
            .add(cert.expect("a PEM certificate"))
            .expect("a usable root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// One HTTPS request to `server` by name `localhost`, through hyper's client.
async fn https(
    connector: &tokio_rustls::TlsConnector,
    server: &TestServer,
    request: Request<Full<Bytes>>,
) -> (StatusCode, String) {
    let (status, _, body) = https_with_headers(connector, server, request).await;
    (status, body)
}

/// [`https`], with the answer's headers.
async fn https_with_headers(
    connector: &tokio_rustls::TlsConnector,
    server: &TestServer,
    request: Request<Full<Bytes>>,
) -> (StatusCode, hyper::HeaderMap, String) {
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the handshake succeeds with the generated certificate trusted");
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let response = sender.send_request(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn post(path: &str, body: String) -> Request<Full<Bytes>> {
    Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

#[tokio::test]
async fn a_client_without_accept_is_redirected_to_https_urls_over_https() {
    let dir = tempfile::tempdir().unwrap();
    let cert_out = dir.path().join("mock.pem");
    let server = TestServer::with(|c: &mut Config| {
        c.set_tls(Some(TlsSource::SelfSigned {
            names: vec![],
            cert_out: Some(cert_out.clone()),
        }))
        .unwrap();
    })
    .await;
    let connector = client_trusting(&std::fs::read(&cert_out).unwrap());
    // Laravel builds the target from the request's root: https behind TLS, and the front
    // controller's prefix when the path had one.
    for (path, referer, location) in [
        (USERS, None, "https://localhost"),
        (
            "/index.php/api/v1/billing/user/manage",
            None,
            "https://localhost/index.php",
        ),
        (USERS, Some("/back"), "https://localhost/back"),
    ] {
        let mut request = Request::post(path)
            .header("host", "localhost")
            .header("content-type", "application/json");
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        let request = request.body(Full::new(Bytes::from_static(b"{}"))).unwrap();
        let (status, headers, _) = https_with_headers(&connector, &server, request).await;
        assert_eq!(
            (
                status,
                headers.get("location").and_then(|v| v.to_str().ok())
            ),
            (StatusCode::FOUND, Some(location)),
            "{path} with Referer {referer:?}"
        );
    }
}

#[tokio::test]
async fn https_with_a_generated_certificate_a_real_client_trusts() {
    let dir = tempfile::tempdir().unwrap();
    let cert_out = dir.path().join("mock.pem");
    let server = TestServer::with(|c: &mut Config| {
        c.set_clock(Clock::Frozen(
            Timestamp::parse_rfc3339("2023-05-02T10:18:50Z").unwrap(),
        ));
        c.set_tls(Some(TlsSource::SelfSigned {
            names: vec![],
            cert_out: Some(cert_out.clone()),
        }))
        .unwrap();
        c.add_scenario(scenario(&json!({"name": "reset", "rules": [
            {"match": {"body": {"login": "drop@x.com"}}, "respond": {"fault": "connection_reset"}}
        ]})))
        .unwrap();
        c.set_active("reset").unwrap();
    })
    .await;
    let connector = client_trusting(&std::fs::read(&cert_out).unwrap());
    let (status, body) = https(
        &connector,
        &server,
        post(USERS, vendor_example().to_string()),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, VENDOR_RESPONSE));
    let (status, body) = https(
        &connector,
        &server,
        post(USERS, vendor_example().to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        r#"{"message":"The login has already been taken.","errors":{"login":["The login has already been taken."]}}"#
    );
    // Admin, sessions and faults work over TLS too.
    let mut users = Request::get("/__admin/users")
        .header("host", "localhost")
        .header("x-mock-session", "tls-session")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (status, body) = https(&connector, &server, users).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, r#"{"users":[]}"#));
    users = Request::get("/__admin/users")
        .header("host", "localhost")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let (_, body) = https(&connector, &server, users).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["users"][0]["login"],
        "test@mail.com"
    );
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .unwrap();
    tokio::spawn(conn);
    let dropped = sender
        .send_request(post(USERS, user("drop@x.com").to_string()))
        .await;
    assert!(
        dropped.is_err(),
        "the scripted reset answers nothing over TLS too"
    );
}

#[tokio::test]
async fn https_with_your_own_certificate_files() {
    let dir = tempfile::tempdir().unwrap();
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).unwrap();
    std::fs::write(&key, generated.signing_key.serialize_pem()).unwrap();
    let server = TestServer::with(|c: &mut Config| {
        c.set_tls(Some(TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        }))
        .unwrap();
    })
    .await;
    let connector = client_trusting(generated.cert.pem().as_bytes());
    let (status, _) = https(
        &connector,
        &server,
        post(USERS, user("own@x.com").to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // A key file that holds no key is refused, naming the file.
    std::fs::write(&key, "not a key").unwrap();
    let mut config = Config::default();
    let error = config
        .set_tls(Some(TlsSource::Files {
            cert,
            key: key.clone(),
        }))
        .unwrap_err();
    assert!(matches!(error, StartupError::Tls(_)));
    assert!(
        error
            .to_string()
            .starts_with(&format!("{}: ", key.display())),
        "{error}"
    );
}

#[tokio::test]
async fn the_vendors_curl_sample_works_verbatim_over_https() {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_vms-billing-mock"))
        .args(["--tls", "--port", "0", "--clock", "2023-05-02T10:18:50Z"])
        .env_clear()
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .await
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let port = url.rsplit(':').next().unwrap();
    // The vendor's sample, only `your-domain` replaced.
    let out = tokio::process::Command::new("curl")
        .args([
            "-s",
            "-k",
            "--request",
            "POST",
            "--url",
            &format!("https://localhost:{port}/api/v1/billing/user/manage"),
            "--header",
            "Content-Type: application/json",
            "--header",
            "Accept: application/json",
            "--data",
            "{\n    \"login\": \"string\",\n    \"password\": \"string\",\n    \"type\": \"string\",\n    \"billing_info\": [],\n    \"properties\": \"string\",\n    \"status\": \"string\"\n}",
        ])
        .output()
        .await
        .expect("curl is installed (.ci/run installs it)");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        r#"{"id":1,"login":"string","name":null,"type":"string","status":"string","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[]}"#
    );
    // The health subcommand probes it over TLS.
    let health = tokio::process::Command::new(env!("CARGO_BIN_EXE_vms-billing-mock"))
        .args(["health", "--tls", "--port", port])
        .env_clear()
        .output()
        .await
        .unwrap();
    assert_eq!(health.status.code(), Some(0));
    child.start_kill().unwrap();
}

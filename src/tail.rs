//! `vms-billing-mock tail [URL]`: the live request stream of a running mock, one readable
//! line per request, for watching what an integration sends while it runs.
//!
//! ```text
//! 10:18:50.123  default  POST /api/v1/billing/user/manage  -> 422  errors: login, type
//! 10:18:51.002  test-7   PATCH /api/v1/billing/user/manage  -> 200  rule: slow  +800 ms
//! ```

use std::process::ExitCode;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::net::TcpStream;

use crate::cli::{ServeArgs, TailArgs};
use crate::tls;

/// Follows the stream until it ends or the connection breaks. Returns the exit code.
pub fn run(args: &TailArgs, serve: &ServeArgs) -> ExitCode {
    let base = args
        .url
        .clone()
        .unwrap_or_else(|| format!("http://127.0.0.1:{}", serve.port));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("no runtime: {e}")),
    };
    match runtime.block_on(async { follow(&base, args, serve.admin_token.as_deref()).await }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("{base}: {e}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

type Error = Box<dyn std::error::Error + Send + Sync>;

async fn follow(base: &str, args: &TailArgs, token: Option<&str>) -> Result<(), Error> {
    let uri: hyper::Uri = base.trim_end_matches('/').parse()?;
    let https = uri.scheme_str() == Some("https");
    let host = uri.host().ok_or("the URL has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in [
        ("method", &args.method),
        ("path", &args.path),
        ("status", &args.status),
        ("rule", &args.rule),
        ("session", &args.session),
    ] {
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    let query = query.finish();
    let path = format!(
        "{}/__admin/requests/stream{}{query}",
        uri.path().trim_end_matches('/'),
        if query.is_empty() { "" } else { "?" }
    );
    let mut request = Request::get(path)
        .header(hyper::header::HOST, format!("{host}:{port}"))
        .header(hyper::header::ACCEPT, "text/event-stream");
    if let Some(token) = token {
        request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let request = request.body(Empty::<Bytes>::new())?;
    let tcp = TcpStream::connect((host.as_str(), port)).await?;
    let response = if https {
        let name = rustls::pki_types::ServerName::try_from(host.clone())?;
        let stream = tokio_rustls::TlsConnector::from(tls::trusting_client()?)
            .connect(name, tcp)
            .await?;
        send(TokioIo::new(stream), request).await?
    } else {
        send(TokioIo::new(tcp), request).await?
    };
    if !response.status().is_success() {
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)).into());
    }
    println!("following {base} (Ctrl-C to stop)");
    let mut body = response.into_body();
    let mut pending = String::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame?.into_data() else {
            continue;
        };
        pending.push_str(&String::from_utf8_lossy(&data));
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            if let Some(line) = describe(&event) {
                println!("{line}");
            }
        }
    }
    Ok(())
}

async fn send<T>(
    io: TokioIo<T>,
    request: Request<Empty<Bytes>>,
) -> Result<hyper::Response<hyper::body::Incoming>, Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(conn);
    Ok(sender.send_request(request).await?)
}

/// One Server-Sent Event as a line; `None` for comments.
fn describe(event: &str) -> Option<String> {
    let mut kind = "message";
    let mut data = String::new();
    for line in event.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            kind = v.trim();
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim_start());
        }
    }
    let json: Value = serde_json::from_str(&data).ok()?;
    match kind {
        "request" => Some(request_line(&json)),
        "lagged" => Some(format!(
            "(missed {} requests: this terminal read too slowly)",
            json["missed"]
        )),
        _ => None,
    }
}

fn request_line(e: &Value) -> String {
    let text = |key: &str| e[key].as_str().unwrap_or_default().to_owned();
    let at = text("at");
    let time = at.get(11..23).unwrap_or(&at);
    let mut target = text("path");
    if let Some(q) = e["query"].as_str() {
        target = format!("{target}?{q}");
    }
    let status = e["status"]
        .as_u64()
        .map_or_else(|| "no answer".to_owned(), |s| s.to_string());
    let mut line = format!(
        "{time}  {:<8} {} {target}  -> {status}",
        text("session"),
        text("method")
    );
    if e["rule"] != "default" {
        line.push_str(&format!("  rule: {}", text("rule")));
    }
    if let Some(fault) = e["fault"].as_str() {
        line.push_str(&format!("  fault: {fault}"));
    }
    if let Some(ms) = e["delay_ms"].as_u64().filter(|ms| *ms > 0) {
        line.push_str(&format!("  +{ms} ms"));
    }
    if let Some(errors) = e["response"]["errors"].as_object() {
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        line.push_str(&format!("  errors: {}", fields.join(", ")));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_become_readable_lines() {
        let event = r#"event: request
data: {"method":"POST","path":"/api/v1/billing/user/manage","query":"a=1","status":422,"rule":"default","fault":null,"delay_ms":0,"at":"2023-05-02T10:18:50.123Z","session":"default","response":{"message":"m","errors":{"login":["x"],"type":["y"]}}}

"#;
        assert_eq!(
            describe(event).unwrap(),
            "10:18:50.123  default  POST /api/v1/billing/user/manage?a=1  -> 422  errors: login, type"
        );
        let slow = r#"event: request
data: {"method":"PATCH","path":"/p","query":null,"status":null,"rule":"slow","fault":"timeout","delay_ms":800,"at":"2023-05-02T10:18:51.002Z","session":"test-7","response":null}

"#;
        assert_eq!(
            describe(slow).unwrap(),
            "10:18:51.002  test-7   PATCH /p  -> no answer  rule: slow  fault: timeout  +800 ms"
        );
        assert_eq!(describe(": keep-alive\n\n"), None);
        assert_eq!(
            describe("event: lagged\ndata: {\"missed\":3}\n\n").unwrap(),
            "(missed 3 requests: this terminal read too slowly)"
        );
    }
}

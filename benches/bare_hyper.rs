//! The baseline of `benches/load.sh`: a bare hyper 1.x server that reads the request body
//! and answers the vendor's fixed 200 body. No routing, validation, state or journal: the
//! ceiling the mock is measured against. Same runtime setup as the mock's binary.
//!
//! `cargo run --release --example bare-hyper -- PORT`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

// The same allocator as the mock's binary, so the comparison is about the work done.
#[path = "../src/allocator.rs"]
mod allocator;

#[global_allocator]
static GLOBAL: allocator::MiMalloc = allocator::MiMalloc;

const BODY: &str = r#"{"id":1,"login":"test@mail.com","name":null,"type":"type_value","status":"active","created_at":"2023-05-02T10:18:50.000000Z","updated_at":"2023-05-02T10:18:50.000000Z","deleted_at":null,"can_update_password":false,"billing_properties":[{"type":"phone","value":"+80283289362"}]}"#;

async fn answer(req: Request<hyper::body::Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let _ = req.into_body().collect().await;
    let mut res = Response::new(Full::new(Bytes::from_static(BODY.as_bytes())));
    res.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8081);
    let runtime = vms_billing_mock::runtime().expect("runtime");
    runtime.block_on(async move {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        println!(
            "listening on http://{}",
            listener.local_addr().expect("addr")
        );
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).keep_alive(true);
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service_fn(answer));
            tokio::spawn(async move {
                let _ = conn.await;
            });
        }
    });
}

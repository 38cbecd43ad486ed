//! `vms-billing-mock health`: asks a running mock whether it is ready, for container health
//! checks where no curl exists (a `FROM scratch` image). Exit 0 when `GET /__admin/health`
//! answers 200 within the timeout, 1 otherwise.
//!
//! It connects where `--bind`/`--port` (or their `VMS_MOCK_*` variables) say the server
//! listens (a wildcard bind means loopback), over HTTPS when `--tls` or `--tls-cert` is
//! given, trusting whatever certificate the server shows: it is its own.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::cli::ServeArgs;
use crate::tls;

/// How long the probe waits for the answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// Probes the server the serve flags describe. Returns the process exit code.
pub fn run(serve: &ServeArgs) -> ExitCode {
    let ip = match serve.bind {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    let addr = SocketAddr::new(ip, serve.port);
    let https = serve.tls || serve.tls_cert.is_some();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(&format!("no runtime: {e}")),
    };
    let probe =
        runtime.block_on(async { tokio::time::timeout(PROBE_TIMEOUT, probe(addr, https)).await });
    match probe {
        Ok(Ok(status_line)) if status_line.starts_with("HTTP/1.1 200") => {
            println!("ok: {addr} is healthy");
            ExitCode::SUCCESS
        }
        Ok(Ok(status_line)) => fail(&format!("{addr} answered {status_line}")),
        Ok(Err(e)) => fail(&format!("{addr}: {e}")),
        Err(_) => fail(&format!("{addr}: no answer within {PROBE_TIMEOUT:?}")),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

async fn probe(addr: SocketAddr, https: bool) -> std::io::Result<String> {
    let tcp = TcpStream::connect(addr).await?;
    if !https {
        return ask(tcp).await;
    }
    let config = tls::trusting_client().map_err(std::io::Error::other)?;
    let name = rustls::pki_types::ServerName::IpAddress(addr.ip().into());
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    ask(stream).await
}

/// Sends the health request and returns the status line.
async fn ask(mut stream: impl AsyncRead + AsyncWrite + Unpin) -> std::io::Result<String> {
    stream
        .write_all(b"GET /__admin/health HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 512];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let line = answer.split(|b| *b == b'\r').next().unwrap_or_default();
    Ok(String::from_utf8_lossy(line).into_owned())
}

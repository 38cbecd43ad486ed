//! The accept loop: hyper 1.x HTTP/1.1 connections with keep-alive, watched by a graceful
//! shutdown that drains in-flight requests within a bound.

pub(crate) mod connection;
mod watch;

pub use watch::{FileWatch, Reloader};

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::error::StartupError;
use crate::pipeline::{self, AppState, ConnControl};
use connection::{FaultIo, Transport};
use tokio_rustls::TlsAcceptor;

/// How long shutdown waits for in-flight requests before closing what is left.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Refusals (`503` to a connection over `--max-connections`) in progress at once; beyond
/// this a connection is closed without an answer.
const MAX_REFUSALS: usize = 256;
/// How long a refusal reads what the client sends before closing.
const REFUSAL_TIME: Duration = Duration::from_millis(250);
/// The polite refusal: the client may retry in a second.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncache-control: no-cache, private\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 33\r\n\r\n{\"message\":\"Service Unavailable\"}";

/// Open files the process needs besides its connections (listener, runtime, files).
const SPARE_FILES: u64 = 64;

/// The connection cap the process can keep: raises the open-files limit as far as the system
/// allows, and lowers the cap (with a warning) if even that is too few. Without this, a
/// client holding connections open would make `accept` fail for everyone at `ulimit -n`.
fn fit_open_files(wanted: usize) -> usize {
    let needed = (wanted as u64).saturating_add(SPARE_FILES + MAX_REFUSALS as u64);
    match rlimit::increase_nofile_limit(needed) {
        Ok(allowed) if allowed < needed => {
            let fits = usize::try_from(allowed.saturating_sub(SPARE_FILES + MAX_REFUSALS as u64))
                .unwrap_or(usize::MAX)
                .max(1);
            tracing::warn!(
                "--max-connections {wanted} needs {needed} open files, the system allows {allowed}: serving at most {fits} connections"
            );
            fits
        }
        _ => wanted,
    }
}

/// Answers a connection over the cap with a `503` and closes it. Whatever the client sends is
/// read and thrown away for up to a second: closing a socket with unread data sends a reset,
/// which could destroy the answer before the client reads it.
fn refuse(stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _ = tokio::time::timeout(REFUSAL_TIME, async {
            let mut stream = stream;
            stream.write_all(REFUSAL).await?;
            stream.shutdown().await?;
            let mut buf = [0u8; 4096];
            while stream.read(&mut buf).await? > 0 {}
            Ok::<_, io::Error>(())
        })
        .await;
        drop(permit);
    });
}

/// A bound, not yet serving, mock server.
pub struct Server {
    listener: TcpListener,
    local_addr: SocketAddr,
    state: Arc<AppState>,
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Server {
    /// Binds the configured address (port 0 picks a free one).
    ///
    /// # Errors
    /// [`StartupError::Bind`] when the address is taken or not allowed.
    pub async fn bind(config: Config) -> Result<Self, StartupError> {
        let addr = config.addr();
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartupError::Bind { addr, source })?;
        Self::from_listener(listener, config).map_err(|source| StartupError::Bind { addr, source })
    }

    /// Serves on a listener the caller already bound.
    ///
    /// # Errors
    /// When the OS cannot tell the listener's address.
    pub fn from_listener(listener: TcpListener, config: Config) -> io::Result<Self> {
        let (stopping, stop_rx) = tokio::sync::watch::channel(false);
        Ok(Server {
            local_addr: listener.local_addr()?,
            listener,
            state: Arc::new(AppState::new(config, stop_rx)),
            stopping,
        })
    }

    /// A handle that reloads the server's schema and scenario files while it serves.
    pub fn reloader(&self) -> Reloader {
        Reloader {
            state: Arc::clone(&self.state),
        }
    }

    /// The address actually listened on (with the real port when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then stops accepting, lets in-flight requests
    /// finish (at most 5 s) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server {
            listener,
            state,
            stopping,
            ..
        } = self;
        let limits = state.limits().clone();
        let tls = state
            .tls()
            .map(|t| TlsAcceptor::from(Arc::clone(&t.config)));
        let max_connections = fit_open_files(limits.max_connections);
        let graceful = GracefulShutdown::new();
        let mut builder = http1::Builder::new();
        // hyper starts this timer whenever it waits for a request head, so it also closes a
        // keep-alive connection left idle this long.
        builder
            .timer(TokioTimer::new())
            .keep_alive(true)
            .header_read_timeout(limits.header_timeout)
            .max_header_size(limits.max_header_bytes);
        let slots = Arc::new(Semaphore::new(max_connections));
        let refusals = Arc::new(Semaphore::new(MAX_REFUSALS));
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                state.connection_refused();
                tracing::warn!(
                    max_connections,
                    "connection refused: over --max-connections"
                );
                refuse(stream, &refusals);
                continue;
            };
            let _ = stream.set_nodelay(true);
            let state = Arc::clone(&state);
            let open = state.connection_opened();
            let builder = builder.clone();
            let watcher = graceful.watcher();
            let tls = tls.clone();
            let limits = limits.clone();
            tokio::spawn(async move {
                // The handshake is part of sending the head: the same time bound applies.
                let transport = match tls {
                    None => Transport::Plain(stream),
                    Some(acceptor) => {
                        match tokio::time::timeout(limits.header_timeout, acceptor.accept(stream))
                            .await
                        {
                            Ok(Ok(tls)) => Transport::Tls(Box::new(tls)),
                            // A failed or slow handshake: nothing to answer over.
                            _ => return,
                        }
                    }
                };
                let control = Arc::new(ConnControl::new(matches!(transport, Transport::Tls(_))));
                let svc_control = Arc::clone(&control);
                let svc = service_fn(move |req| {
                    let state = Arc::clone(&state);
                    let control = Arc::clone(&svc_control);
                    async move {
                        Ok::<_, std::convert::Infallible>(
                            pipeline::handle(state, control, req).await,
                        )
                    }
                });
                let io = TokioIo::new(FaultIo::new(
                    transport,
                    Arc::clone(&control),
                    limits.idle_timeout,
                ));
                let conn = watcher.watch(builder.serve_connection(io, svc));
                tokio::select! {
                    // Polled in order: no per-poll random choice on the hot path.
                    biased;
                    // A client that breaks off mid-request is not the mock's problem: hyper
                    // notices the closed socket and the request's future is dropped with it.
                    _ = conn => {}
                    // A scripted fault: dropping the connection closes (or resets) it unanswered.
                    () = control.killed() => {}
                }
                drop(open);
                drop(slot);
            });
        }
        drop(listener);
        tracing::info!(
            open = graceful.count(),
            "shutting down: finishing in-flight requests"
        );
        // Held requests (timeout faults, delays) stop waiting now.
        let _ = stopping.send(true);
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    }
}

//! The accept loop: hyper 1.x HTTP/1.1 connections with keep-alive, watched by a graceful
//! shutdown that drains in-flight requests within a bound.

pub(crate) mod connection;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::error::StartupError;
use crate::pipeline::{self, AppState, ConnControl};
use connection::FaultIo;

/// How long shutdown waits for in-flight requests before closing what is left.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

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
        let graceful = GracefulShutdown::new();
        let mut builder = http1::Builder::new();
        builder.timer(TokioTimer::new()).keep_alive(true);
        tokio::pin!(shutdown);
        loop {
            let stream = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off, keep serving.
                        eprintln!("vms-billing-mock: accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let state = Arc::clone(&state);
            let control = Arc::new(ConnControl::default());
            let svc_control = Arc::clone(&control);
            let svc = service_fn(move |req| {
                let state = Arc::clone(&state);
                let control = Arc::clone(&svc_control);
                async move {
                    Ok::<_, std::convert::Infallible>(pipeline::handle(state, control, req).await)
                }
            });
            let io = TokioIo::new(FaultIo::new(stream, Arc::clone(&control)));
            let conn = graceful.watch(builder.serve_connection(io, svc));
            tokio::spawn(async move {
                tokio::select! {
                    // Polled in order: no per-poll random choice on the hot path.
                    biased;
                    // A client that breaks off mid-request is not the mock's problem.
                    _ = conn => {}
                    // A scripted fault: dropping the connection closes (or resets) it unanswered.
                    () = control.killed() => {}
                }
            });
        }
        drop(listener);
        // Held requests (timeout faults, delays) stop waiting now.
        let _ = stopping.send(true);
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    }
}

//! One client connection: the socket wrapper that can be reset on purpose, and the handle a
//! request uses to drop its connection without answering (scenario faults).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;

/// Shared between a connection's task and the requests it serves.
#[derive(Default)]
pub(crate) struct ConnControl {
    reset: AtomicBool,
    killed: Notify,
}

impl ConnControl {
    /// Asks the connection task to drop the connection now, without answering. With
    /// `reset`, the close is a TCP RST instead of a FIN.
    pub(crate) fn kill(&self, reset: bool) {
        self.reset.store(reset, Ordering::SeqCst);
        self.killed.notify_one();
    }

    /// Completes once [`ConnControl::kill`] was called.
    pub async fn killed(&self) {
        self.killed.notified().await;
    }
}

/// A TCP stream that, when dropped after a `kill(reset: true)`, closes with RST.
pub(crate) struct FaultIo {
    stream: TcpStream,
    control: std::sync::Arc<ConnControl>,
}

impl FaultIo {
    /// Wraps an accepted stream.
    pub(crate) fn new(stream: TcpStream, control: std::sync::Arc<ConnControl>) -> Self {
        FaultIo { stream, control }
    }
}

impl Drop for FaultIo {
    fn drop(&mut self) {
        if self.control.reset.load(Ordering::SeqCst) {
            // Zero linger makes close() send RST: the client sees "connection reset by peer".
            let _ = self.stream.set_zero_linger();
        }
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

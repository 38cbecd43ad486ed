//! One client connection: the socket wrapper that can be reset on purpose when a request
//! asks for it ([`ConnControl`], scenario faults).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::pipeline::ConnControl;

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
        if self.control.wants_reset() {
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

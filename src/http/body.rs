//! Reading a request body within its bound.
//!
//! Over `--max-body-bytes` the answer is 413; the rest of the body is read and thrown away
//! (up to [`DRAIN_LIMIT`]) so a keep-alive connection stays usable.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::Version;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How much of an oversized body is read and thrown away so the connection stays usable;
/// past this the connection is closed after the 413.
const DRAIN_LIMIT: usize = 64 << 20;

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over the limit; `drained` says whether the rest was read so the connection can be
    /// reused.
    TooLarge {
        /// The whole body was read and dropped.
        drained: bool,
    },
    /// The client broke off or sent a malformed body.
    Broken,
    /// The body did not arrive within `--body-timeout-ms`.
    TimedOut,
    /// `--max-inflight-bytes` is used up by other requests and answers.
    Busy,
    /// HTTP/1.1 without `Host`, or more than one `Host` (RFC 9112 3.2: a server must
    /// answer 400).
    NoHost,
    /// A transfer coding other than `chunked` (RFC 9112 6.1: 501).
    UnsupportedCoding,
}

/// Checks what must hold before a body is read: HTTP/1.1 needs `Host`, and `chunked` is
/// the only transfer coding the mock decodes (hyper would pass `gzip, chunked` through
/// still compressed).
///
/// # Errors
/// [`BodyError::NoHost`] or [`BodyError::UnsupportedCoding`].
pub(crate) fn check_framing(version: Version, headers: &HeaderMap) -> Result<(), BodyError> {
    // One pass over the values, comparing names: cheaper than hashing both names (see
    // `super::header`), and no longer than the parse that made the map.
    let mut hosts = 0;
    let mut coded = false;
    for (name, _) in headers {
        if name == header::HOST {
            hosts += 1;
        } else if name == header::TRANSFER_ENCODING {
            coded = true;
        }
    }
    if hosts > 1 || (version == Version::HTTP_11 && hosts == 0) {
        return Err(BodyError::NoHost);
    }
    if coded {
        let all: Vec<&[u8]> = headers
            .get_all(header::TRANSFER_ENCODING)
            .iter()
            .flat_map(|v| v.as_bytes().split(|b| *b == b','))
            .map(<[u8]>::trim_ascii)
            .filter(|c| !c.is_empty())
            .collect();
        if !matches!(all.as_slice(), [only] if only.eq_ignore_ascii_case(b"chunked")) {
            return Err(BodyError::UnsupportedCoding);
        }
    }
    Ok(())
}

/// Reads the whole body, at most `limit` bytes of it kept, each kept byte taken from the
/// server's in-flight budget (the permit returned holds them).
pub(crate) async fn read(
    headers: &HeaderMap,
    mut body: Incoming,
    limit: usize,
    inflight: &Arc<Semaphore>,
) -> Result<(Bytes, Option<OwnedSemaphorePermit>), BodyError> {
    let mut held: Option<OwnedSemaphorePermit> = None;
    let declared = super::header(headers, &header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Reading an `Expect: 100-continue` body makes hyper send `100 Continue`: a body
    // declared too large is refused before, so the client never sends it.
    let expects_continue = super::header(headers, &header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if declared.is_some_and(|n| n > DRAIN_LIMIT || (expects_continue && n > limit)) {
        return Err(BodyError::TooLarge { drained: false });
    }
    // The common case is one frame: keep it as it is, copying only when there are several.
    let mut first: Option<Bytes> = None;
    let mut rest = BytesMut::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(BodyError::Broken);
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        total = total.saturating_add(data.len());
        if total > DRAIN_LIMIT {
            return Err(BodyError::TooLarge { drained: false });
        }
        if total > limit {
            continue;
        }
        let n = u32::try_from(data.len()).map_err(|_| BodyError::Busy)?;
        let permit = Arc::clone(inflight)
            .try_acquire_many_owned(n)
            .map_err(|_| BodyError::Busy)?;
        match held.as_mut() {
            Some(all) => all.merge(permit),
            None => held = Some(permit),
        }
        match first.take() {
            None if rest.is_empty() => first = Some(data),
            earlier => {
                if let Some(f) = earlier {
                    rest.extend_from_slice(&f);
                }
                rest.extend_from_slice(&data);
            }
        }
    }
    if total > limit {
        return Err(BodyError::TooLarge { drained: true });
    }
    Ok((first.unwrap_or_else(|| rest.freeze()), held))
}

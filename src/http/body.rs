//! Reading a request body within its bound.
//!
//! Over `--max-body-bytes` the answer is 413; the rest of the body is read and thrown away
//! (up to [`DRAIN_LIMIT`]) so a keep-alive connection stays usable.

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap};

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
}

/// Reads the whole body, at most `limit` bytes of it kept.
pub(crate) async fn read(
    headers: &HeaderMap,
    mut body: Incoming,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
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
    Ok(first.unwrap_or_else(|| rest.freeze()))
}

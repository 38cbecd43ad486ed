//! The live request stream (`GET /__admin/requests/stream`): journal entries of every session
//! as Server-Sent Events, as they are recorded.
//!
//! Each subscriber reads from a bounded broadcast channel: a subscriber that falls behind
//! loses the oldest events (counted, and told with a `lagged` event) and never slows the
//! requests that record them. A comment every 15 s keeps idle proxies from closing the
//! stream; the stream ends when the server shuts down.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::{broadcast, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tokio_stream::wrappers::{BroadcastStream, WatchStream};

use crate::journal::{Filter, StreamEvent};

/// Events a subscriber may fall behind by before it loses the oldest.
pub(crate) const STREAM_CAPACITY: usize = 1024;
/// How often an idle stream sends a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One subscriber's stream of encoded events.
pub(crate) struct EventStream {
    events: BroadcastStream<StreamEvent>,
    filter: Filter,
    session: Option<String>,
    dropped: Counter,
    shutdown: WatchStream<bool>,
    keep_alive: tokio::time::Interval,
    started: bool,
}

impl std::fmt::Debug for EventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("filter", &self.filter)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl EventStream {
    /// A stream of the entries passing `filter` (and of `session`, if given).
    pub(crate) fn new(
        events: broadcast::Receiver<StreamEvent>,
        filter: Filter,
        session: Option<String>,
        dropped: Counter,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let mut keep_alive =
            tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
        keep_alive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        EventStream {
            events: BroadcastStream::new(events),
            filter,
            session,
            dropped,
            shutdown: WatchStream::from_changes(shutdown),
            keep_alive,
            started: false,
        }
    }

    /// The next chunk to send: an event, a `lagged` notice, a keep-alive comment; `None` at
    /// the end.
    pub(crate) fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if !self.started {
            // A first comment, so the client sees the stream open at once.
            self.started = true;
            return Poll::Ready(Some(Bytes::from_static(b": stream open\n\n")));
        }
        if let Poll::Ready(stopping) = Pin::new(&mut self.shutdown).poll_next(cx)
            && stopping.is_none_or(|s| s)
        {
            return Poll::Ready(None);
        }
        loop {
            match Pin::new(&mut self.events).poll_next(cx) {
                Poll::Ready(Some(Ok(event))) => {
                    if self.wanted(&event) {
                        return Poll::Ready(Some(encode(&event)));
                    }
                }
                Poll::Ready(Some(Err(BroadcastStreamRecvError::Lagged(missed)))) => {
                    self.dropped.inc_by(missed);
                    return Poll::Ready(Some(Bytes::from(format!(
                        "event: lagged\ndata: {{\"missed\":{missed}}}\n\n"
                    ))));
                }
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        match self.keep_alive.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Bytes::from_static(b": keep-alive\n\n"))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn wanted(&self, event: &StreamEvent) -> bool {
        self.session.as_deref().is_none_or(|s| *event.session == *s)
            && self.filter.matches(&event.entry)
    }
}

/// `event: request` with the entry as the journal shows it, plus its session.
fn encode(event: &StreamEvent) -> Bytes {
    let mut json = event.entry.to_json();
    json["session"] = serde_json::Value::String(event.session.to_string());
    Bytes::from(format!("event: request\ndata: {json}\n\n"))
}

//! What the pipeline shares: the server's state, and each connection's handle for faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::{Notify, Semaphore, watch};

use crate::config::Config;
use crate::limits::Limits;
use crate::metrics::{Metrics, OpenConnection, Sizes};
use crate::session::Sessions;
use crate::tls::Tls;

/// The state one server shares between its connections; passed around as `Arc<AppState>`.
pub(crate) struct AppState {
    pub(super) config: Arc<Config>,
    pub(super) sessions: Sessions,
    pub(super) metrics: Metrics,
    /// `--max-inflight-bytes`: body bytes held by requests being read and answers being sent.
    pub(super) inflight: Arc<Semaphore>,
    /// Turns `true` when the server shuts down, so held requests stop waiting.
    shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Fresh state for a configuration.
    pub(crate) fn new(config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let config = Arc::new(config);
        let metrics = Metrics::default();
        AppState {
            inflight: Arc::new(Semaphore::new(
                config
                    .limits()
                    .max_inflight_bytes
                    .min(Semaphore::MAX_PERMITS),
            )),
            sessions: Sessions::new(Arc::clone(&config), metrics.journal_evictions()),
            metrics,
            config,
            shutdown,
        }
    }

    /// The bounds in force.
    pub(crate) fn limits(&self) -> &Limits {
        self.config.limits()
    }

    /// HTTPS, if configured.
    pub(crate) fn tls(&self) -> Option<&Tls> {
        self.config.tls()
    }

    /// Counts a connection as open until the guard is dropped.
    pub(crate) fn connection_opened(&self) -> OpenConnection {
        self.metrics.connection_opened()
    }

    /// Counts a connection refused over the cap.
    pub(crate) fn connection_refused(&self) {
        self.metrics.connection_refused();
    }

    /// The metrics exposition, sizes as of now.
    pub(crate) fn metrics_text(&self) -> String {
        let (users, sessions, journal_entries, journal_bytes) = self.sessions.sizes();
        let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.metrics.render(Sizes {
            users: as_i64(users),
            store_bytes: as_i64(self.sessions.store_bytes()),
            sessions: as_i64(sessions),
            journal_entries: as_i64(journal_entries),
            journal_bytes: as_i64(journal_bytes),
        })
    }

    /// Waits `ms` milliseconds, or less if the server starts shutting down.
    pub(crate) async fn wait(&self, ms: u64) {
        if ms == 0 {
            return;
        }
        let mut shutdown = self.shutdown.clone();
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(ms)) => {}
            _ = shutdown.wait_for(|stopping| *stopping) => {}
        }
    }
}

/// What a request may ask of the connection it came on (a scripted fault drops it). Shared
/// between the connection's task and the requests it serves.
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

    /// Whether the close asked for is a reset.
    pub(crate) fn wants_reset(&self) -> bool {
        self.reset.load(Ordering::SeqCst)
    }

    /// Completes once [`ConnControl::kill`] was called.
    pub async fn killed(&self) {
        self.killed.notified().await;
    }
}

//! What the pipeline shares: the server's state, and each connection's handle for faults.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::net::IpAddr;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use tokio::sync::{Notify, Semaphore, watch};

use crate::cli::ReloadState;
use crate::config::{AdminAccess, Config, ReloadReport};
use crate::error::StartupError;
use crate::limits::Limits;
use crate::metrics::{Metrics, OpenConnection, Sizes};
use crate::session::Sessions;
use crate::tls::Tls;

/// The state one server shares between its connections; passed around as `Arc<AppState>`.
pub(crate) struct AppState {
    /// Swapped whole by a reload (schemas and scenarios); the rest never changes.
    pub(super) config: ArcSwap<Config>,
    limits: Limits,
    tls: Option<Tls>,
    pub(super) admin: AdminAccess,
    pub(super) bound: IpAddr,
    /// How the last reload went, for `GET /__admin/health`.
    pub(super) last_reload: Mutex<Option<ReloadReport>>,
    pub(super) sessions: Sessions,
    pub(super) metrics: Metrics,
    /// `--max-inflight-bytes`: body bytes held by requests being read and answers being sent.
    pub(super) inflight: Arc<Semaphore>,
    /// Turns `true` when the server shuts down, so held requests stop waiting.
    pub(super) shutdown: watch::Receiver<bool>,
    /// Counts the events slow stream subscribers miss.
    pub(super) stream_dropped: prometheus_client::metrics::counter::Counter,
}

impl AppState {
    /// Fresh state for a configuration.
    pub(crate) fn new(config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let config = Arc::new(config);
        let metrics = Metrics::default();
        AppState {
            limits: config.limits().clone(),
            tls: config.tls().cloned(),
            admin: config.admin().clone(),
            bound: config.addr().ip(),
            last_reload: Mutex::new(None),
            inflight: Arc::new(Semaphore::new(
                config
                    .limits()
                    .max_inflight_bytes
                    .min(Semaphore::MAX_PERMITS),
            )),
            sessions: Sessions::new(Arc::clone(&config), metrics.journal_evictions()),
            stream_dropped: metrics.stream_dropped(),
            metrics,
            config: ArcSwap::new(config),
            shutdown,
        }
    }

    /// Reads the schema and scenario files again and, if every one loads, makes them current
    /// in every session (keeping users unless `--reload-state reset`). A failure leaves
    /// everything as it was.
    ///
    /// # Errors
    /// The file and the problem.
    pub(crate) fn reload(&self, trigger: &'static str) -> Result<(), StartupError> {
        let result = self.config.load().reloaded().map(|config| {
            let config = Arc::new(config);
            let keep = config.reload_state() == ReloadState::Keep;
            self.sessions.reload(&config, keep);
            self.config.store(config);
        });
        self.metrics.reload(result.is_ok());
        match &result {
            Ok(()) => tracing::info!(trigger, "reloaded schema and scenario files"),
            Err(e) => {
                tracing::error!(trigger, error = %e, "reload failed; the previous files stay in force")
            }
        }
        *self.last_reload.lock() = Some(ReloadReport {
            ok: result.is_ok(),
            error: result.as_ref().err().map(ToString::to_string),
            trigger,
            at_ms: crate::clock::wall_millis(),
        });
        result
    }

    /// The files schemas and scenarios come from.
    pub(crate) fn sources(&self) -> Vec<std::path::PathBuf> {
        self.config.load().sources().paths()
    }

    /// The bounds in force.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// HTTPS, if configured.
    pub(crate) fn tls(&self) -> Option<&Tls> {
        self.tls.as_ref()
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
    secure: bool,
}

/// Marks a request that came over TLS: Laravel then builds its URLs with `https`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Secure;

impl ConnControl {
    /// The control of a connection, over TLS (`secure`) or not.
    pub(crate) fn new(secure: bool) -> Self {
        ConnControl {
            secure,
            ..ConnControl::default()
        }
    }

    /// Whether the connection is TLS.
    pub(crate) fn is_secure(&self) -> bool {
        self.secure
    }

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

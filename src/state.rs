//! The state one server shares between its connections.

use std::sync::Arc;

use tokio::sync::watch;

use crate::config::Config;
use crate::session::Sessions;

/// Shared by every connection of one server; passed around as `Arc<AppState>`.
pub struct AppState {
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// Every session, `default` included.
    pub sessions: Sessions,
    /// Turns `true` when the server shuts down, so held requests stop waiting.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Fresh state for a configuration.
    pub fn new(config: Config, shutdown: watch::Receiver<bool>) -> Self {
        let config = Arc::new(config);
        AppState {
            sessions: Sessions::new(Arc::clone(&config)),
            config,
            shutdown,
        }
    }

    /// Waits `ms` milliseconds, or less if the server starts shutting down.
    pub async fn wait(&self, ms: u64) {
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

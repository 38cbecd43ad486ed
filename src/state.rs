//! The state one server shares between its connections.

use crate::config::Config;
use crate::store::Store;

/// Shared by every connection of one server; passed around as `Arc<AppState>`.
pub struct AppState {
    /// The configuration the server started with.
    pub config: Config,
    /// The users.
    pub store: Store,
}

impl AppState {
    /// Fresh state for a configuration.
    pub fn new(config: Config) -> Self {
        let store = Store::new(config.settings.id_start, config.max_users);
        AppState { config, store }
    }
}

//! `vms-billing-mock`: a contract test double of the VMS Billing API.
//!
//! # Architecture
//! ```text
//! main.rs        parse CLI -> Config -> bind -> serve until a signal -> exit code
//! cli            clap flags with VMS_MOCK_* fallbacks
//! config         validated Config; schemas compiled eagerly
//! server         accept loop, hyper http1 connections, graceful shutdown
//! service        per request: session -> body (413) -> rules -> route (404/405) -> handler
//!                -> journal -> delay -> response or fault
//! router         (method, path) -> Route
//! session        X-Mock-Session -> isolated state (scenario, users, counters, journal)
//! scenario       scenario files, rule matching and counters
//! journal        bounded request log, passwords redacted
//! connection     per-connection fault injection (reset, close)
//! api            vendor handlers; JSON input and Laravel's expectsJson()
//! admin          /__admin
//! validation     schemas -> Laravel failures; normalisation; messages
//! store          users behind a parking_lot mutex
//! clock          real or frozen time, Laravel's timestamp format
//! reply, error   response building; ApiError and StartupError
//! ```
//! Embedding: build a [`Config`], [`Server::bind`] it (port 0 for tests), read
//! [`Server::local_addr`], then [`Server::run`] with a shutdown future.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod admin;
pub mod api;
pub mod check;
pub mod cli;
pub mod clock;
pub mod config;
pub mod connection;
pub mod error;
pub mod journal;
pub mod reply;
pub mod router;
pub mod scenario;
pub mod server;
pub mod service;
pub mod session;
pub mod state;
pub mod store;
pub mod validation;

pub use clock::{Clock, Timestamp};
pub use config::{Config, Settings};
pub use error::StartupError;
pub use server::Server;
pub use service::{Answer, Processed};
pub use validation::{Locale, Schemas};

/// The async runtime the binary serves on: one worker thread per CPU the process may run on
/// (so `taskset -c 0` gives one), at most 8.
///
/// # Errors
/// When the OS refuses threads or an event queue.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
}

/// The mock without a network: hand it requests with their whole body and get its decisions.
/// For embedding in Rust tests and for benchmarks. Delays and faults are reported in
/// [`service::Processed`], not carried out.
pub struct Mock {
    state: std::sync::Arc<state::AppState>,
    // Keeps the shutdown channel open: a closed one would cut every wait short.
    _running: tokio::sync::watch::Sender<bool>,
}

impl Mock {
    /// A mock with this configuration (its `bind`, `port` and `port_file` are unused).
    pub fn new(config: Config) -> Self {
        let (running, stopping) = tokio::sync::watch::channel(false);
        Mock {
            state: std::sync::Arc::new(state::AppState::new(config, stopping)),
            _running: running,
        }
    }

    /// Runs one request through the mock, exactly as the server does once the body is read.
    pub fn process(&self, request: hyper::Request<bytes::Bytes>) -> service::Processed {
        let (parts, body) = request.into_parts();
        service::process(&self.state, parts, body)
    }
}

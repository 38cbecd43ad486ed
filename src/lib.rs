//! `vms-billing-mock`: a contract test double of the VMS Billing API.
//!
//! # Architecture
//! A request travels down this list, and no module imports from one above it.
//! ```text
//! main.rs        parse CLI -> logging -> Config -> signals -> bind -> port file -> serve
//!                (allocator.rs, the binaries' global allocator, is included by path from
//!                main.rs and the benches: it needs `unsafe`, which this library forbids)
//! check          `check [FILES]`: the loaders startup uses, without serving
//! health, tail   the `health` and `tail` subcommands: small clients of a running mock
//! server/        accept loop (connection cap, TLS handshake), hyper http1 connections,
//!                graceful shutdown; connection.rs: the socket a scripted fault resets;
//!                watch.rs: reloads on SIGHUP and --watch
//! pipeline/      per request: framing -> body -> session -> admin | rules -> route -> input
//!                -> handler -> reply -> journal -> delay -> metrics and log line; returns a
//!                named Outcome. state.rs: AppState; record.rs: the one place a journal entry
//!                is built; refuse.rs: unreadable bodies, busy; log.rs: the request log line
//! http/          body.rs (framing, limits, 413), input.rs (Laravel's Request::all: JSON,
//!                forms, multipart, query, method override), negotiate.rs (expectsJson),
//!                reply.rs (every response's bytes but the user object's), page.rs (HTML
//!                pages and the 302)
//! router         (method, path) -> Route; 404/405 decided here only
//! admin/         /__admin: access.rs (token, Host, cross-site), users, scenarios and clock,
//!                journal (list, count, live stream), metrics, OpenAPI, the dashboard
//! openapi        the OpenAPI 3.1 document built from the loaded schemas
//! api/           the vendor's Endpoints: users, licenses, cameras, intercoms
//! session        X-Mock-Session -> isolated state (scenario, users, counters, journal)
//! config/, cli   the validated Config (files loaded eagerly, load.rs) from clap's flags
//! limits         every bound, with its default
//! logging/       tracing to stderr, text or JSON (format.rs: fields and time as tracing writes
//!                them); lines batched by one writer thread (batch.rs), never blocking a request
//! error          StartupError
//! tls            certificates from files or self-signed (rustls)
//! feed           Server-Sent Events framing for the live request stream
//! journal        bounded request log (count and bytes), passwords redacted, live feed
//! metrics        the OpenMetrics registry (prometheus-client)
//! scenario/      scenario files: serde model (file.rs), leaf readers (fields.rs), checks
//!                across fields (rules.rs), matching and counters (matching.rs)
//! validation/    schemas -> Laravel's rules (plan.rs, rule.rs) -> a one-pass check for input
//!                that passes (shortcut.rs), else Laravel's Validator (engine.rs, explode.rs,
//!                email.rs) -> messages.rs -> MessageBag and 422 (bag.rs); TrimStrings and
//!                ConvertEmptyStringsToNull (normalise.rs)
//! store/         users in 16 shards (mod.rs), the user model and its vendor JSON, rendered
//!                while stored (user.rs), licence pool,
//!                the byte budget shared by all sessions (budget.rs)
//! php/           PHP's values and readers: json_decode, parse_str, multipart, conversions
//! clock          real or frozen time, Laravel's timestamp format (parsed with jiff)
//! ```
//! Embedding: build a [`Config`], [`Server::bind`] it (port 0 for tests), read
//! [`Server::local_addr`], then [`Server::run`] with a shutdown future. Or hand requests to
//! a [`Mock`] without a network.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod api;
mod check;
mod cli;
mod clock;
mod config;
mod error;
mod feed;
mod health;
mod http;
mod journal;
mod limits;
mod logging;
mod metrics;
mod openapi;
mod php;
mod pipeline;
mod router;
mod scenario;
mod server;
mod session;
mod store;
mod tail;
mod tls;
mod validation;

pub use check::run as check;
pub use cli::{Cli, Command, ReloadState, ServeArgs, TailArgs};
pub use clock::{Clock, ParseTimestampError, Timestamp};
pub use config::{Config, Sources};
pub use error::StartupError;
pub use health::run as health;
pub use tail::run as tail;

/// Prints the OpenAPI 3.1 document for the schemas the serve flags load (`--schemas`).
/// Returns the process exit code.
pub fn print_openapi(serve: &ServeArgs) -> std::process::ExitCode {
    match config::load_schemas(serve.schemas.as_deref()) {
        Ok(schemas) => {
            let doc = openapi::document(&schemas);
            match serde_json::to_string_pretty(&doc) {
                Ok(text) => {
                    println!("{text}");
                    std::process::ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
pub use http::reply::Body;
pub use limits::Limits;
pub use logging::{LogFormat, LogGuard, init_logging};
pub use pipeline::{Answer, Outcome};
pub use scenario::{Scenario, ScenarioError};
pub use server::{FileWatch, Reloader, Server};
pub use tls::{TlsError, TlsSource};
pub use validation::{Locale, SchemaError, Schemas, UnknownLocale};

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
/// For embedding in Rust tests and for benchmarks. Delays and faults are reported in the
/// [`Outcome`], not carried out.
pub struct Mock {
    state: std::sync::Arc<pipeline::AppState>,
    // Keeps the shutdown channel open: a closed one would cut every wait short.
    _running: tokio::sync::watch::Sender<bool>,
}

impl Mock {
    /// A mock with this configuration (its address and port file are unused).
    pub fn new(config: Config) -> Self {
        let (running, stopping) = tokio::sync::watch::channel(false);
        Mock {
            state: std::sync::Arc::new(pipeline::AppState::new(config, stopping)),
            _running: running,
        }
    }

    /// Runs one request through the mock, exactly as the server does once the body is read.
    pub fn process(&self, request: hyper::Request<bytes::Bytes>) -> Outcome {
        let (parts, body) = request.into_parts();
        pipeline::process(&self.state, parts, body)
    }
}

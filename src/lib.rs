//! `vms-billing-mock`: a contract test double of the VMS Billing API.
//!
//! # Architecture
//! ```text
//! main.rs        parse CLI -> Config -> bind -> serve until a signal -> exit code
//! cli            clap flags with VMS_MOCK_* fallbacks
//! config         validated Config; schemas compiled eagerly
//! server         accept loop, hyper http1 connections, graceful shutdown
//! service        per request: body (413) -> route (404/405) -> handler -> response
//! router         (method, path) -> Route
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
pub mod error;
pub mod reply;
pub mod router;
pub mod server;
pub mod service;
pub mod state;
pub mod store;
pub mod validation;

pub use clock::{Clock, Timestamp};
pub use config::{Config, Settings};
pub use error::StartupError;
pub use server::Server;
pub use validation::{Locale, Schemas};

//! Startup errors: everything that stops the mock from starting, each naming the flag or
//! file and the problem. (A request's errors are answers, see `api::ApiError`.)

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::clock::ParseTimestampError;
use crate::scenario::ScenarioError;
use crate::tls::TlsError;
use crate::validation::SchemaError;

/// Everything that stops the mock from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// A schema file is unusable.
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// The logger could not be set up.
    #[error("{0}")]
    Log(String),
    /// The files could not be watched.
    #[error("--watch: {0}")]
    Watch(String),
    /// HTTPS could not be set up.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A scenario file is unusable.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Two loaded scenarios have one name.
    #[error("two scenarios are named {name:?} ({files}): names must be unique")]
    DuplicateScenario {
        /// The name.
        name: String,
        /// Where each came from.
        files: String,
    },
    /// `--active` names no loaded scenario.
    #[error("--active: no scenario named {name:?}; loaded: {loaded}")]
    UnknownActive {
        /// The name asked for.
        name: String,
        /// The names loaded.
        loaded: String,
    },
    /// `--clock` is not an RFC 3339 instant.
    #[error("--clock: {0}")]
    Clock(#[from] ParseTimestampError),
    /// A numeric flag is out of its range.
    #[error("{flag}: {message}")]
    Range {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A folder a flag names cannot be read.
    #[error("{flag} {}: {source}", path.display())]
    Folder {
        /// The flag.
        flag: &'static str,
        /// The folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The signal handlers could not be installed.
    #[error("cannot install the SIGINT/SIGTERM handlers: {0}")]
    Signals(std::io::Error),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The port file could not be written.
    #[error("cannot write the port file {}: {source}", path.display())]
    PortFile {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

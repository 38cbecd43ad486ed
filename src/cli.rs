//! The command line: flags, environment fallbacks and defaults. No logic lives here.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::validation::Locale;

/// Default `--port`.
pub(crate) const DEFAULT_PORT: u16 = 8080;
/// Default `--max-body-bytes`: 1 MiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// Default `--max-users`.
pub(crate) const DEFAULT_MAX_USERS: usize = 2_000_000;
/// Default `--journal-capacity`.
pub(crate) const DEFAULT_JOURNAL_CAPACITY: usize = 10_000;
/// Default `--session-journal-capacity`: named sessions are many, so each keeps less.
pub(crate) const DEFAULT_SESSION_JOURNAL_CAPACITY: usize = 1_000;
/// Default `--max-sessions`.
pub(crate) const DEFAULT_MAX_SESSIONS: usize = 256;

/// A contract test double of the VMS Billing API.
#[derive(Debug, Parser)]
#[command(name = "vms-billing-mock", version, about, long_about = None)]
pub struct Cli {
    /// What to do; without a subcommand the mock serves.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Serving options (also read by `check`, which checks what they would load).
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate schema files (`*.schema.json`) and scenario files (other `*.json`) by the
    /// rules startup applies, and exit non-zero naming each problem. Without FILES, checks
    /// what the mock would start with.
    Check {
        /// Files or folders to check.
        files: Vec<PathBuf>,
    },
}

/// Flags of the server. Every flag reads a `VMS_MOCK_*` variable when not given; boolean
/// ones accept `1`/`true`/`yes`/`on` and `0`/`false`/`no`/`off`.
#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(
        long,
        env = "VMS_MOCK_BIND",
        default_value = "127.0.0.1",
        global = true
    )]
    pub bind: IpAddr,
    /// Port to listen on; 0 picks a free one (the real port is printed).
    #[arg(long, env = "VMS_MOCK_PORT", default_value_t = DEFAULT_PORT, global = true)]
    pub port: u16,
    /// Write the real port to this file once listening (for CI); removed at start and exit.
    #[arg(long, env = "VMS_MOCK_PORT_FILE", global = true)]
    pub port_file: Option<PathBuf>,
    /// Folder of `*.schema.json` files replacing the embedded schemas.
    #[arg(long, env = "VMS_MOCK_SCHEMAS", global = true)]
    pub schemas: Option<PathBuf>,
    /// Validation message language: en or ru.
    #[arg(long, env = "VMS_MOCK_LOCALE", default_value = "en", global = true)]
    pub locale: Locale,
    /// Largest request body accepted; larger ones get 413.
    #[arg(long, env = "VMS_MOCK_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES, global = true)]
    pub max_body_bytes: usize,
    /// Freeze the clock at this RFC 3339 instant, e.g. 2023-05-02T10:18:50Z.
    #[arg(long, env = "VMS_MOCK_CLOCK", global = true)]
    pub clock: Option<String>,
    /// The first user id.
    #[arg(long, env = "VMS_MOCK_ID_START", default_value_t = 1, global = true)]
    pub id_start: u64,
    /// Answer JSON to every client. By default, like Laravel, a client that does not ask for
    /// JSON (`Accept: application/json`) gets a 302 for a failed validation and HTML pages
    /// for errors.
    #[arg(long, env = "VMS_MOCK_LENIENT_ACCEPT", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new(), global = true, conflicts_with = "strict_accept")]
    pub lenient_accept: bool,
    /// Laravel's answers to clients that do not ask for JSON: the default. `--strict-accept
    /// false` (or `VMS_MOCK_STRICT_ACCEPT=0`) is `--lenient-accept`; kept so that scripts
    /// written for older versions still start.
    #[arg(long, env = "VMS_MOCK_STRICT_ACCEPT", num_args = 0..=1, default_missing_value = "true",
          value_name = "BOOL", value_parser = BoolishValueParser::new(), global = true)]
    pub strict_accept: Option<bool>,
    /// Most users one store holds (deleted ones count until a reset).
    #[arg(long, env = "VMS_MOCK_MAX_USERS", default_value_t = DEFAULT_MAX_USERS, global = true)]
    pub max_users: usize,
    /// Load this scenario file and make it active.
    #[arg(long, env = "VMS_MOCK_SCENARIO", global = true)]
    pub scenario: Option<PathBuf>,
    /// Load every `*.json` scenario in this folder.
    #[arg(long, env = "VMS_MOCK_SCENARIOS", global = true)]
    pub scenarios: Option<PathBuf>,
    /// The scenario to activate at start (default: the --scenario file, else `default`).
    #[arg(long, env = "VMS_MOCK_ACTIVE", global = true)]
    pub active: Option<String>,
    /// Most entries the default session's request journal keeps.
    #[arg(long, env = "VMS_MOCK_JOURNAL_CAPACITY", default_value_t = DEFAULT_JOURNAL_CAPACITY, global = true)]
    pub journal_capacity: usize,
    /// Most entries the journal of each named session (X-Mock-Session) keeps.
    #[arg(long, env = "VMS_MOCK_SESSION_JOURNAL_CAPACITY", default_value_t = DEFAULT_SESSION_JOURNAL_CAPACITY, global = true)]
    pub session_journal_capacity: usize,
    /// Most sessions (X-Mock-Session) besides `default`; the least recently used is evicted.
    #[arg(long, env = "VMS_MOCK_MAX_SESSIONS", default_value_t = DEFAULT_MAX_SESSIONS, global = true)]
    pub max_sessions: usize,
}

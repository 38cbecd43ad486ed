//! The command line: flags, environment fallbacks and defaults. No logic lives here.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand, value_parser};

use crate::limits::*;
use crate::logging::LogFormat;

use crate::validation::Locale;

/// Default `--port`.
pub(crate) const DEFAULT_PORT: u16 = 8080;
/// What a reload does to the users of every session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ReloadState {
    /// Users, ids and clocks survive; rule counters start again.
    #[default]
    Keep,
    /// Every session restarts from its active scenario, as after `POST /__admin/reset`.
    Reset,
}

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
    /// Follow a running mock's requests as they happen, one line each (the live stream of
    /// `GET /__admin/requests/stream`). Sends --admin-token if set.
    Tail(TailArgs),
    /// Print the OpenAPI 3.1 document of the vendor API for the schemas --schemas loads
    /// (the embedded ones without it).
    Openapi,
    /// Ask the mock listening at --bind/--port (over HTTPS with --tls) whether it is ready:
    /// exit 0 if `GET /__admin/health` answers 200 within 3 s, else 1. For container health
    /// checks where there is no curl.
    Health,
}

/// What `tail` follows.
#[derive(Debug, Args, Clone)]
pub struct TailArgs {
    /// The mock's base URL (default http://127.0.0.1:PORT, PORT from --port).
    pub url: Option<String>,
    /// Only requests with this method.
    #[arg(long)]
    pub method: Option<String>,
    /// Only requests to this path.
    #[arg(long)]
    pub path: Option<String>,
    /// Only answers with this status.
    #[arg(long)]
    pub status: Option<String>,
    /// Only answers by this rule (`default`: no rule).
    #[arg(long)]
    pub rule: Option<String>,
    /// Only this session.
    #[arg(long)]
    pub session: Option<String>,
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
    #[arg(long, env = "VMS_MOCK_MAX_BODY_BYTES", default_value_t = DEFAULT_MAX_BODY_BYTES,
          value_parser = value_parser!(u64).range(1..=64 << 20), global = true)]
    pub max_body_bytes: u64,
    /// Freeze the clock at this RFC 3339 instant, e.g. 2023-05-02T10:18:50Z.
    #[arg(long, env = "VMS_MOCK_CLOCK", global = true)]
    pub clock: Option<String>,
    /// The first user id (at most 2^63-1, PHP's largest integer, as in scenario settings).
    #[arg(long, env = "VMS_MOCK_ID_START", default_value_t = 1,
          value_parser = value_parser!(u64).range(0..=i64::MAX as u64), global = true)]
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
    /// Most users one session holds (deleted ones count until a reset).
    #[arg(long, env = "VMS_MOCK_MAX_USERS", default_value_t = DEFAULT_MAX_USERS,
          value_parser = value_parser!(u64).range(1..=100_000_000), global = true)]
    pub max_users: u64,
    /// Most bytes the users of all sessions take together.
    #[arg(long, env = "VMS_MOCK_MAX_STORE_BYTES", default_value_t = DEFAULT_MAX_STORE_BYTES,
          value_parser = value_parser!(u64).range(1 << 20..=1 << 40), global = true)]
    pub max_store_bytes: u64,
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
    #[arg(long, env = "VMS_MOCK_JOURNAL_CAPACITY", default_value_t = DEFAULT_JOURNAL_CAPACITY,
          value_parser = value_parser!(u64).range(0..=10_000_000), global = true)]
    pub journal_capacity: u64,
    /// Most entries the journal of each named session (X-Mock-Session) keeps.
    #[arg(long, env = "VMS_MOCK_SESSION_JOURNAL_CAPACITY", default_value_t = DEFAULT_SESSION_JOURNAL_CAPACITY,
          value_parser = value_parser!(u64).range(0..=10_000_000), global = true)]
    pub session_journal_capacity: u64,
    /// Most bytes the default session's request journal keeps.
    #[arg(long, env = "VMS_MOCK_JOURNAL_BYTES", default_value_t = DEFAULT_JOURNAL_BYTES,
          value_parser = value_parser!(u64).range(0..=1 << 36), global = true)]
    pub journal_bytes: u64,
    /// Most bytes the journal of each named session keeps.
    #[arg(long, env = "VMS_MOCK_SESSION_JOURNAL_BYTES", default_value_t = DEFAULT_SESSION_JOURNAL_BYTES,
          value_parser = value_parser!(u64).range(0..=1 << 36), global = true)]
    pub session_journal_bytes: u64,
    /// Most sessions (X-Mock-Session) besides `default`; the least recently used is evicted.
    #[arg(long, env = "VMS_MOCK_MAX_SESSIONS", default_value_t = DEFAULT_MAX_SESSIONS,
          value_parser = value_parser!(u64).range(0..=100_000), global = true)]
    pub max_sessions: u64,
    /// Most bytes of request and response bodies held at once; past it, `503`.
    #[arg(long, env = "VMS_MOCK_MAX_INFLIGHT_BYTES", default_value_t = DEFAULT_MAX_INFLIGHT_BYTES,
          value_parser = value_parser!(u64).range(1 << 20..=1 << 36), global = true)]
    pub max_inflight_bytes: u64,
    /// Most bytes of one request's line and headers; past it, `431`.
    #[arg(long, env = "VMS_MOCK_MAX_HEADER_BYTES", default_value_t = DEFAULT_MAX_HEADER_BYTES,
          value_parser = value_parser!(u64).range(8192..=1 << 20), global = true)]
    pub max_header_bytes: u64,
    /// Most connections served at once; one more gets `503` and is closed.
    #[arg(long, env = "VMS_MOCK_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = value_parser!(u64).range(1..=1_000_000), global = true)]
    pub max_connections: u64,
    /// Milliseconds a client has to send its request line and headers.
    #[arg(long, env = "VMS_MOCK_HEADER_TIMEOUT_MS", default_value_t = DEFAULT_HEADER_TIMEOUT_MS,
          value_parser = value_parser!(u64).range(1..=86_400_000), global = true)]
    pub header_timeout_ms: u64,
    /// Milliseconds a client has to send a whole body; then 408 and the connection closes.
    #[arg(long, env = "VMS_MOCK_BODY_TIMEOUT_MS", default_value_t = DEFAULT_BODY_TIMEOUT_MS,
          value_parser = value_parser!(u64).range(1..=86_400_000), global = true)]
    pub body_timeout_ms: u64,
    /// Milliseconds a connection may make no progress (idle keep-alive, a client that does
    /// not read its answer) before it is closed.
    #[arg(long, env = "VMS_MOCK_IDLE_TIMEOUT_MS", default_value_t = DEFAULT_IDLE_TIMEOUT_MS,
          value_parser = value_parser!(u64).range(1..=86_400_000), global = true)]
    pub idle_timeout_ms: u64,
    /// Serve HTTPS with a certificate generated at start (self-signed, for localhost,
    /// 127.0.0.1, ::1 and --tls-name), as the vendor's samples expect (`curl -k`).
    #[arg(long, env = "VMS_MOCK_TLS", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new(), global = true)]
    pub tls: bool,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, env = "VMS_MOCK_TLS_CERT", requires = "tls_key", global = true)]
    pub tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "VMS_MOCK_TLS_KEY", requires = "tls_cert", global = true)]
    pub tls_key: Option<PathBuf>,
    /// Write the generated certificate (PEM) here, so clients can trust it.
    #[arg(long, env = "VMS_MOCK_TLS_CERT_OUT", global = true)]
    pub tls_cert_out: Option<PathBuf>,
    /// More names (DNS or IP) for the generated certificate (repeat or separate with commas).
    #[arg(
        long = "tls-name",
        env = "VMS_MOCK_TLS_NAMES",
        value_delimiter = ',',
        global = true
    )]
    pub tls_names: Vec<String>,
    /// Log lines on stderr as text or as JSON objects.
    #[arg(long, env = "VMS_MOCK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    /// What to log: error, warn, info (one line per request), debug, trace, or a tracing
    /// filter such as `info,hyper=debug`.
    #[arg(
        long,
        env = "VMS_MOCK_LOG_LEVEL",
        default_value = "info",
        global = true
    )]
    pub log_level: String,
    /// Add each request's body (secrets redacted, as the journal keeps it) to its log line.
    #[arg(long, env = "VMS_MOCK_LOG_BODIES", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new(), global = true)]
    pub log_bodies: bool,
    /// Reload schema and scenario files when they change (SIGHUP always reloads).
    #[arg(long, env = "VMS_MOCK_WATCH", action = ArgAction::SetTrue,
          value_parser = BoolishValueParser::new(), global = true)]
    pub watch: bool,
    /// What a reload does to the users of every session: keep them, or reset every session.
    #[arg(long, env = "VMS_MOCK_RELOAD_STATE", value_enum, default_value_t = ReloadState::Keep, global = true)]
    pub reload_state: ReloadState,
    /// Require this token on every admin request (`Authorization: Bearer TOKEN` or
    /// `X-Mock-Admin-Token: TOKEN`). Recommended whenever --bind is not a loopback address.
    #[arg(
        long,
        env = "VMS_MOCK_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub admin_token: Option<String>,
    /// Also accept admin requests whose Host is this name (repeat or separate with commas;
    /// `*` accepts any). Loopback names and the bound address are always accepted.
    #[arg(
        long = "admin-host",
        env = "VMS_MOCK_ADMIN_HOSTS",
        value_delimiter = ',',
        global = true
    )]
    pub admin_hosts: Vec<String>,
}

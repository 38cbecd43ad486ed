//! The bounds a server keeps whatever its clients do: sizes, counts, bytes and times.
//!
//! Every one has a flag (see `cli.rs`), a default chosen for a shared CI sidecar, and a
//! range the command line checks. The README's "Limits" section lists them with the
//! worst-case memory they allow.

use std::time::Duration;

/// Default `--max-body-bytes`: 1 MiB.
pub(crate) const DEFAULT_MAX_BODY_BYTES: u64 = 1 << 20;
/// Default `--max-users` per session.
pub(crate) const DEFAULT_MAX_USERS: u64 = 2_000_000;
/// Default `--max-store-bytes`, shared by every session: 256 MiB.
pub(crate) const DEFAULT_MAX_STORE_BYTES: u64 = 256 << 20;
/// Default `--journal-capacity` (entries of the default session).
pub(crate) const DEFAULT_JOURNAL_CAPACITY: u64 = 10_000;
/// Default `--session-journal-capacity`: named sessions are many, so each keeps less.
pub(crate) const DEFAULT_SESSION_JOURNAL_CAPACITY: u64 = 1_000;
/// Default `--journal-bytes` of the default session: 16 MiB.
pub(crate) const DEFAULT_JOURNAL_BYTES: u64 = 16 << 20;
/// Default `--session-journal-bytes` of each named session: 1 MiB.
pub(crate) const DEFAULT_SESSION_JOURNAL_BYTES: u64 = 1 << 20;
/// Default `--max-inflight-bytes`: request and response bodies held at once, 256 MiB.
pub(crate) const DEFAULT_MAX_INFLIGHT_BYTES: u64 = 256 << 20;
/// Default `--max-header-bytes`: the request line and headers of one request, 64 KiB.
pub(crate) const DEFAULT_MAX_HEADER_BYTES: u64 = 64 << 10;
/// Default `--max-sessions`.
pub(crate) const DEFAULT_MAX_SESSIONS: u64 = 256;
/// Default `--max-connections`.
pub(crate) const DEFAULT_MAX_CONNECTIONS: u64 = 1_000;
/// Default `--header-timeout-ms`: a client has 10 s to send its request line and headers.
pub(crate) const DEFAULT_HEADER_TIMEOUT_MS: u64 = 10_000;
/// Default `--body-timeout-ms`: 30 s for the whole body.
pub(crate) const DEFAULT_BODY_TIMEOUT_MS: u64 = 30_000;
/// Default `--idle-timeout-ms`: a connection that makes no progress (an idle keep-alive, a
/// client that stops reading its answer) is closed after 60 s.
pub(crate) const DEFAULT_IDLE_TIMEOUT_MS: u64 = 60_000;

/// What one server may hold and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bodies over this many bytes get 413.
    pub max_body_bytes: usize,
    /// Users (active and soft-deleted) one session holds.
    pub max_users: usize,
    /// Bytes the users of all sessions take together.
    pub max_store_bytes: usize,
    /// Journal entries the default session keeps.
    pub journal_capacity: usize,
    /// Journal entries each named session keeps.
    pub session_journal_capacity: usize,
    /// Journal bytes the default session keeps.
    pub journal_bytes: usize,
    /// Journal bytes each named session keeps.
    pub session_journal_bytes: usize,
    /// Sessions besides `default`.
    pub max_sessions: usize,
    /// Bytes of request and response bodies held at once, over all connections.
    pub max_inflight_bytes: usize,
    /// Bytes of one request's line and headers (at least 8192).
    pub max_header_bytes: usize,
    /// Connections served at once; more get a `503` and are closed.
    pub max_connections: usize,
    /// Time to send the request line and headers.
    pub header_timeout: Duration,
    /// Time to send the whole body.
    pub body_timeout: Duration,
    /// Time a connection may make no progress (idle keep-alive, a client that does not read).
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Limits {
            max_body_bytes: size(DEFAULT_MAX_BODY_BYTES),
            max_users: size(DEFAULT_MAX_USERS),
            max_store_bytes: size(DEFAULT_MAX_STORE_BYTES),
            journal_capacity: size(DEFAULT_JOURNAL_CAPACITY),
            session_journal_capacity: size(DEFAULT_SESSION_JOURNAL_CAPACITY),
            journal_bytes: size(DEFAULT_JOURNAL_BYTES),
            session_journal_bytes: size(DEFAULT_SESSION_JOURNAL_BYTES),
            max_sessions: size(DEFAULT_MAX_SESSIONS),
            max_inflight_bytes: size(DEFAULT_MAX_INFLIGHT_BYTES),
            max_header_bytes: size(DEFAULT_MAX_HEADER_BYTES),
            max_connections: size(DEFAULT_MAX_CONNECTIONS),
            header_timeout: Duration::from_millis(DEFAULT_HEADER_TIMEOUT_MS),
            body_timeout: Duration::from_millis(DEFAULT_BODY_TIMEOUT_MS),
            idle_timeout: Duration::from_millis(DEFAULT_IDLE_TIMEOUT_MS),
        }
    }
}

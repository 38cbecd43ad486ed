//! Logs on stderr with `tracing`: one line per request, and startup, reload, shutdown and
//! refused connections. Text for people, JSON (one object per line) for machines. The
//! `listening on ...` line stays alone on stdout, where tools read it.
//!
//! Lines are written by a background thread (`tracing-appender`), so a slow terminal or
//! pipe never holds a request; if it falls far behind, lines are dropped rather than
//! memory grown. A request line carries no body unless `--log-bodies`, and then the body as
//! the journal keeps it, with every secret redacted.

use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::error::StartupError;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-11-27T10:00:00.123Z  INFO request method=POST path=/api/... status=200 ...`
    #[default]
    Text,
    /// One JSON object per line, fields at the top level.
    Json,
}

/// Keeps the log writer running; drop it last (it flushes what is queued).
pub struct LogGuard {
    _writer: WorkerGuard,
}

/// Installs the process-wide logger (the binary does this once, before serving).
///
/// # Errors
/// A level that is not a level or `tracing` filter, or a logger already installed.
pub fn init_logging(format: LogFormat, level: &str) -> Result<LogGuard, StartupError> {
    let filter = EnvFilter::try_new(level)
        .map_err(|e| StartupError::Log(format!("--log-level {level:?}: {e}")))?;
    let (writer, guard) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(64 * 1024)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| StartupError::Log(e.to_string()))?;
    Ok(LogGuard { _writer: guard })
}

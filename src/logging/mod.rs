//! Logs on stderr with `tracing`: one line per request, and startup, reload, shutdown and
//! refused connections. Text for people, JSON (one object per line) for machines. The
//! `listening on ...` line stays alone on stdout, where tools read it.
//!
//! Lines are collected in memory and written by a background thread in batches (at least
//! every 20 ms, [`batch`]), so a slow terminal or pipe never holds a request; if it falls far
//! behind, lines are dropped (and the drop reported) rather than memory grown. A request line
//! carries no body unless `--log-bodies`, and then the body as the journal keeps it, with
//! every secret redacted.

mod batch;
mod format;

use std::io::Write;
use std::sync::Arc;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::error::StartupError;
use batch::{Batch, BatchGuard, BatchLine, Shared};
use format::{LogTime, PlainFields, write_quoted};

/// The batch request lines go to when the text format is in force.
static TEXT_LINES: std::sync::OnceLock<Arc<Shared>> = std::sync::OnceLock::new();

/// Writes one request line in the text format straight into the batch, the same bytes the
/// subscriber would write for a `request` event (`<time>  INFO request <fields>`), without
/// its event machinery (about 4,000 instructions per line). `fields` appends ` name=value`
/// pairs with [`TextLine`]. Returns `false`, writing nothing, unless the text format is in
/// force; the caller then emits the event.
pub(crate) fn text_request_line(fields: impl FnOnce(&mut TextLine<'_>)) -> bool {
    let Some(shared) = TEXT_LINES.get() else {
        return false;
    };
    write_text_line(&mut BatchLine(shared), fields);
    true
}

fn write_text_line(out: &mut impl Write, fields: impl FnOnce(&mut TextLine<'_>)) {
    thread_local! {
        static LINE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    }
    LINE.with_borrow_mut(|line| {
        line.clear();
        let _ = LogTime.format_time(&mut Writer::new(line));
        line.push_str("  INFO request");
        fields(&mut TextLine(line));
        line.push('\n');
        let _ = out.write_all(line.as_bytes());
        if line.capacity() > 64 << 10 {
            *line = String::new();
        }
    });
}

/// A request line being written: ` name=value` pairs as [`PlainFields`] writes them.
pub(crate) struct TextLine<'a>(&'a mut String);

impl TextLine<'_> {
    /// A string field, quoted as `Debug` quotes it.
    pub(crate) fn str(&mut self, name: &str, value: &str) {
        self.name(name);
        let _ = write_quoted(self.0, value);
    }

    /// A whole number.
    pub(crate) fn number(&mut self, name: &str, value: u64) {
        self.name(name);
        self.0.push_str(itoa::Buffer::new().format(value));
    }

    /// A text field written as it is, unquoted (`%value` of a `&str`).
    pub(crate) fn plain(&mut self, name: &str, value: &str) {
        self.name(name);
        self.0.push_str(value);
    }

    /// Milliseconds given in whole microseconds, as `Debug` writes the float
    /// `micros as f64 / 1e3` (`0.123`, `1.5`, `12.0`): the shortest decimal that reads back
    /// as that float, which for at most three decimals is the decimal itself.
    pub(crate) fn millis(&mut self, name: &str, micros: u64) {
        self.name(name);
        let mut digits = itoa::Buffer::new();
        self.0.push_str(digits.format(micros / 1000));
        self.0.push('.');
        let fraction = micros % 1000;
        if fraction == 0 {
            self.0.push('0');
            return;
        }
        let text = [fraction / 100, fraction / 10 % 10, fraction % 10].map(|d| b'0' + d as u8);
        let used = text
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(1, |last| last + 1);
        for &d in &text[..used] {
            self.0.push(char::from(d));
        }
    }

    fn name(&mut self, name: &str) {
        self.0.push(' ');
        self.0.push_str(name);
        self.0.push('=');
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// `2026-11-27T10:00:00.123Z  INFO request method=POST path=/api/... status=200 ...`
    #[default]
    Text,
    /// One JSON object per line, fields at the top level.
    Json,
}

/// Keeps the log writer running; drop it last (it writes what is queued, waiting at most a
/// second for stderr to take it).
pub struct LogGuard {
    _writer: BatchGuard,
}

/// Installs the process-wide logger (the binary does this once, before serving).
///
/// # Errors
/// A level that is not a level or `tracing` filter, or a logger already installed.
pub fn init_logging(format: LogFormat, level: &str) -> Result<LogGuard, StartupError> {
    let filter = EnvFilter::try_new(level)
        .map_err(|e| StartupError::Log(format!("--log-level {level:?}: {e}")))?;
    let (writer, guard) = Batch::start_with_room(std::io::stderr(), batch::stderr_room());
    let text_lines = Arc::clone(&writer.shared);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_timer(LogTime)
        .with_target(false);
    let installed = match format {
        LogFormat::Text => builder.with_ansi(false).fmt_fields(PlainFields).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
    installed.map_err(|e| StartupError::Log(e.to_string()))?;
    if format == LogFormat::Text {
        // Set once, with the subscriber: a second init fails above.
        let _ = TEXT_LINES.set(text_lines);
    }
    Ok(LogGuard { _writer: guard })
}

#[cfg(test)]
mod tests {
    use super::batch::Collected;
    use super::*;

    #[test]
    fn request_lines_written_directly_are_the_subscribers_bytes() {
        let out = Collected::default();
        let sink = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_timer(LogTime)
            .with_target(false)
            .with_ansi(false)
            .fmt_fields(PlainFields)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: "request",
                method = %"POST",
                path = %"/api/v1?password=***&a=1",
                status = 422u16,
                latency_ms = 0.25f64,
                session = "s\"1",
                rule = "default",
                route = "user_create",
                fields = Some("login,type"),
                fault = None::<&str>,
                delay_ms = Some(5u64),
                body = Some("{\"a\":\"é\"}"),
                "request"
            );
        });
        let mut direct = Vec::new();
        write_text_line(&mut direct, |line| {
            line.plain("method", "POST");
            line.plain("path", "/api/v1?password=***&a=1");
            line.number("status", 422);
            line.millis("latency_ms", 250);
            line.str("session", "s\"1");
            line.str("rule", "default");
            line.str("route", "user_create");
            line.str("fields", "login,type");
            line.number("delay_ms", 5);
            line.str("body", "{\"a\":\"é\"}");
        });
        let event = String::from_utf8(out.0.lock().clone()).unwrap();
        let direct = String::from_utf8(direct).unwrap();
        // The same after the timestamp (27 bytes), taken a moment apart.
        assert_eq!(direct[27..], event[27..], "\n{direct}{event}");
    }

    #[test]
    fn milliseconds_are_written_as_debug_writes_the_float() {
        let micros = (0..20_000).chain([
            99_999,
            100_000,
            1_234_567,
            86_400_000_001,
            u64::from(u32::MAX),
        ]);
        for micros in micros {
            let mut line = String::new();
            TextLine(&mut line).millis("t", micros);
            assert_eq!(line, format!(" t={:?}", micros as f64 / 1e3), "{micros}");
        }
    }
}

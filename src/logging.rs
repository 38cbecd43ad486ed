//! Logs on stderr with `tracing`: one line per request, and startup, reload, shutdown and
//! refused connections. Text for people, JSON (one object per line) for machines. The
//! `listening on ...` line stays alone on stdout, where tools read it.
//!
//! Lines are collected in memory and written by a background thread in batches (at least
//! every 20 ms), so a slow terminal or pipe never holds a request; if it falls far behind,
//! lines are dropped (and the drop reported) rather than memory grown. A request line carries no body unless `--log-bodies`, and then the body as
//! the journal keeps it, with every secret redacted.

use std::fmt;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tracing::field::{Field, Visit};

use parking_lot::{Condvar, Mutex};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::clock::Timestamp;

use crate::error::StartupError;

/// Most bytes of log lines waiting for the writer thread; lines beyond are dropped (and
/// counted in a line of their own) rather than memory grown when stderr is slow.
const MAX_PENDING: usize = 1 << 20;
/// Waiting lines are written at least this often...
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// ...or as soon as this many bytes wait.
const FLUSH_AT: usize = 64 << 10;

/// Log lines collected in memory and written by a background thread in batches: a request
/// costs no system call and no thread wake-up for its line. (`tracing-appender`'s
/// non-blocking writer woke its thread, which spun with `sched_yield`, once per line: two
/// system calls per request on the server's CPU, a quarter of its throughput.)
struct Batch {
    shared: Arc<Shared>,
}

struct Shared {
    pending: Mutex<Pending>,
    wake: Condvar,
}

#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    dropped: u64,
    stopping: bool,
}

/// Stops the writer thread once it has written every waiting line.
struct BatchGuard {
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Batch {
    fn start(mut out: impl Write + Send + 'static) -> (Batch, BatchGuard) {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            wake: Condvar::new(),
        });
        let writer = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("log-writer".into())
            .spawn(move || {
                let mut batch = Vec::new();
                loop {
                    let stopping = {
                        let mut pending = writer.pending.lock();
                        if pending.bytes.is_empty() && !pending.stopping {
                            writer.wake.wait_for(&mut pending, FLUSH_EVERY);
                        }
                        std::mem::swap(&mut batch, &mut pending.bytes);
                        if pending.dropped > 0 {
                            let note = format!(
                                "{} log lines dropped: stderr did not keep up\n",
                                std::mem::take(&mut pending.dropped)
                            );
                            batch.extend_from_slice(note.as_bytes());
                        }
                        pending.stopping
                    };
                    // A closed or failing stderr loses log lines, never a request.
                    let _ = out.write_all(&batch).and_then(|()| out.flush());
                    batch.clear();
                    if batch.capacity() > FLUSH_AT * 4 {
                        batch = Vec::new();
                    }
                    if stopping {
                        return;
                    }
                }
            });
        let guard = BatchGuard {
            shared: Arc::clone(&shared),
            thread: thread.ok(),
        };
        (Batch { shared }, guard)
    }
}

/// One log line's way into the batch.
struct BatchLine<'a>(&'a Shared);

impl Write for BatchLine<'_> {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.pending.lock();
        if pending.bytes.len() + line.len() > MAX_PENDING {
            pending.dropped += 1;
        } else {
            pending.bytes.extend_from_slice(line);
            if pending.bytes.len() >= FLUSH_AT {
                self.0.wake.notify_one();
            }
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Batch {
    type Writer = BatchLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        BatchLine(&self.shared)
    }
}

impl Drop for BatchGuard {
    fn drop(&mut self) {
        self.shared.pending.lock().stopping = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

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

    /// A field written with `Display`, unquoted (`%value`).
    pub(crate) fn display(&mut self, name: &str, value: impl fmt::Display) {
        use std::fmt::Write as _;
        self.name(name);
        let _ = write!(self.0, "{value}");
    }

    /// A whole number.
    pub(crate) fn number(&mut self, name: &str, value: u64) {
        self.name(name);
        self.0.push_str(itoa::Buffer::new().format(value));
    }

    /// A float, as `Debug` writes it.
    pub(crate) fn float(&mut self, name: &str, value: f64) {
        use std::fmt::Write as _;
        self.name(name);
        let _ = write!(self.0, "{value:?}");
    }

    fn name(&mut self, name: &str) {
        self.0.push(' ');
        self.0.push_str(name);
        self.0.push('=');
    }
}

/// `value` as `{value:?}` writes it, without `Debug`'s per-character escaping when there is
/// nothing to escape.
fn write_quoted(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    if value
        .bytes()
        .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.write_char('"')?;
        out.write_str(value)?;
        out.write_char('"')
    } else {
        write!(out, "{value:?}")
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

/// Keeps the log writer running; drop it last (it flushes what is queued).
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
    let (writer, guard) = Batch::start(std::io::stderr());
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

/// The text format's fields: the message, then `name=value` (strings quoted as `Debug` quotes
/// them, numbers bare), exactly as `tracing-subscriber`'s default writes them without
/// colours, at about half its cost: the default styles every field name even with ANSI off,
/// which made up a third of a request line's instructions (benches/instr.py).
struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut visitor = PlainVisitor {
            writer,
            first: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct PlainVisitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Writes the separator and `name=` (nothing for the message), then `value`.
    fn field(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.write_field(field, value);
        }
    }

    fn write_field(
        &mut self,
        field: &Field,
        value: impl FnOnce(&mut Writer<'_>) -> fmt::Result,
    ) -> fmt::Result {
        if !self.first {
            self.writer.write_char(' ')?;
        }
        self.first = false;
        if field.name() != "message" {
            self.writer.write_str(field.name())?;
            self.writer.write_char('=')?;
        }
        value(&mut self.writer)
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.field(field, |w| w.write_str(value));
        } else {
            self.field(field, |w| write_quoted(w, value));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.field(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.field(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.field(field, |w| write!(w, "{value:?}"));
    }
}

/// The time of a log line as `tracing-subscriber`'s `SystemTime` writes it
/// (`2026-11-27T10:00:00.123456Z`), its date and time of day worked out once a second: the
/// default timer formats every part of it through `fmt` on every line, which was a third of a
/// request line's instructions (benches/instr.py).
struct LogTime;

impl FormatTime for LogTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        use std::cell::Cell;
        use std::time::{SystemTime, UNIX_EPOCH};
        thread_local! {
            /// The second last formatted on this thread, and its text up to the `.`.
            static SECOND: Cell<(i64, [u8; 20])> = const { Cell::new((i64::MIN, [0; 20])) };
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let (cached, mut text) = SECOND.get();
        if cached != seconds {
            let mut full = Vec::with_capacity(27);
            Timestamp::from_unix_seconds(seconds).write_laravel(&mut full);
            text.copy_from_slice(&full[..20]);
            SECOND.set((seconds, text));
        }
        let mut line = [0u8; 27];
        line[..20].copy_from_slice(&text);
        let mut micros = now.subsec_micros();
        for digit in line[20..26].iter_mut().rev() {
            *digit = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        line[26] = b'Z';
        // Digits and ASCII punctuation only.
        w.write_str(std::str::from_utf8(&line).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read after the batch thread wrote to it.
    #[derive(Clone, Default)]
    struct Collected(Arc<Mutex<Vec<u8>>>);

    impl Write for Collected {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn batched_lines_are_all_written_in_order_by_the_time_the_guard_is_dropped() {
        use tracing_subscriber::fmt::MakeWriter;
        let out = Collected::default();
        let (batch, guard) = Batch::start(out.clone());
        for i in 0..1000 {
            writeln!(batch.make_writer(), "line {i}").unwrap();
        }
        drop(guard);
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        let expected: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        assert_eq!(text, expected);
    }

    #[test]
    fn lines_beyond_the_pending_bound_are_dropped_and_reported() {
        use tracing_subscriber::fmt::MakeWriter;
        // A writer that blocks until released, so lines pile up.
        struct Gate(Arc<Mutex<()>>, Collected);
        impl Write for Gate {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                let _open = self.0.lock();
                self.1.write(bytes)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let gate = Arc::new(Mutex::new(()));
        let out = Collected::default();
        let closed = gate.lock();
        let (batch, guard) = Batch::start(Gate(Arc::clone(&gate), out.clone()));
        let line = vec![b'x'; 1023];
        for _ in 0..3000 {
            let mut w = batch.make_writer();
            w.write_all(&line).unwrap();
            w.write_all(b"\n").unwrap();
        }
        drop(closed);
        drop(guard);
        let text = String::from_utf8(out.0.lock().clone()).unwrap();
        let kept = text.lines().filter(|l| l.starts_with('x')).count();
        assert!((1024..3000).contains(&kept), "kept {kept}");
        assert!(
            text.contains(" log lines dropped: stderr did not keep up"),
            "no drop note"
        );
    }

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
            line.display("method", "POST");
            line.display("path", "/api/v1?password=***&a=1");
            line.number("status", 422);
            line.float("latency_ms", 0.25);
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
    fn log_times_are_written_as_tracing_writes_them() {
        let mut ours = String::new();
        LogTime.format_time(&mut Writer::new(&mut ours)).unwrap();
        let mut theirs = String::new();
        tracing_subscriber::fmt::time::SystemTime
            .format_time(&mut Writer::new(&mut theirs))
            .unwrap();
        assert_eq!(ours.len(), theirs.len(), "{ours} vs {theirs}");
        // Taken a moment apart: the same down to the second unless one ticked over.
        assert_eq!(ours[..17], theirs[..17], "{ours} vs {theirs}");
        assert!(ours.ends_with('Z') && ours.as_bytes()[19] == b'.', "{ours}");
    }

    #[test]
    fn plain_strings_are_quoted_as_debug_quotes_them() {
        for value in [
            "plain /api/v1?x=1",
            "with \"quote\"",
            "back\\slash",
            "tab\there",
            "é",
            "it's ~{}",
        ] {
            let mut fast = String::new();
            let mut visitor = PlainVisitor {
                writer: Writer::new(&mut fast),
                first: true,
                result: Ok(()),
            };
            let field =
                tracing::field::FieldSet::new(&["f"], tracing::callsite::Identifier(&CALLSITE));
            visitor.record_str(&field.field("f").unwrap(), value);
            assert_eq!(fast, format!("f={value:?}"));
        }
    }

    struct Callsite;
    static CALLSITE: Callsite = Callsite;
    impl tracing::callsite::Callsite for Callsite {
        fn set_interest(&self, _: tracing::subscriber::Interest) {}
        fn metadata(&self) -> &tracing::Metadata<'_> {
            unimplemented!()
        }
    }
}

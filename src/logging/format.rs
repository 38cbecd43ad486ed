//! The text format: fields as `tracing-subscriber`'s default writes them without colours,
//! and its timestamp, at a fraction of their cost.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

use crate::clock::Timestamp;

/// The text format's fields: the message, then `name=value` (strings quoted as `Debug` quotes
/// them, numbers bare), exactly as `tracing-subscriber`'s default writes them without
/// colours, at about half its cost: the default styles every field name even with ANSI off,
/// which made up a third of a request line's instructions (benches/instr.py).
pub(super) struct PlainFields;

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
pub(super) struct LogTime;

impl FormatTime for LogTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        use std::time::{SystemTime, UNIX_EPOCH};
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let seconds = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        // The date and time to the second as the API writes them (cached per thread and
        // second), then the microseconds in place of the API's zeros.
        let mut line = Timestamp::from_unix_seconds(seconds).laravel_bytes();
        let mut micros = now.subsec_micros();
        for digit in line[20..26].iter_mut().rev() {
            *digit = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        // Digits and ASCII punctuation only.
        w.write_str(std::str::from_utf8(&line).map_err(|_| fmt::Error)?)
    }
}

/// `value` as `{value:?}` writes it, without `Debug`'s per-character escaping when there is
/// nothing to escape.
pub(super) fn write_quoted(out: &mut impl fmt::Write, value: &str) -> fmt::Result {
    // `Debug` escapes the same bytes as JSON among ASCII, and DEL besides.
    if crate::php::is_plain_for_debug(value.as_bytes()) {
        out.write_char('"')?;
        out.write_str(value)?;
        out.write_char('"')
    } else {
        write!(out, "{value:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn every_ascii_byte_at_every_offset_is_quoted_as_debug_quotes_it() {
        for b in 0u8..=0x7f {
            for len in [1, 7, 8, 9, 17] {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    let value = String::from_utf8(bytes).unwrap();
                    let mut ours = String::new();
                    write_quoted(&mut ours, &value).unwrap();
                    assert_eq!(ours, format!("{value:?}"), "byte {b:#x} at {at} of {len}");
                }
            }
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

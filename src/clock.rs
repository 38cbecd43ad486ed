//! The mock's clock: real UTC time or a frozen instant, and Laravel's timestamp format.
//!
//! Calendar arithmetic and RFC 3339 parsing are `jiff`'s; this module only chooses the
//! instant and writes Laravel's fixed-width `YYYY-MM-DDTHH:MM:SS.000000Z`.

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

/// Where "now" comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Clock {
    /// The machine's real time, truncated to whole seconds.
    #[default]
    System,
    /// Always the same instant, so responses are reproducible byte for byte.
    Frozen(Timestamp),
}

impl Clock {
    /// The current instant according to this clock.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::Frozen(t) => *t,
            Clock::System => Timestamp(
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)),
            ),
        }
    }
}

/// Why an instant could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid instant {input:?}: expected RFC 3339 such as 2023-05-02T10:18:50Z ({reason})")]
pub struct ParseTimestampError {
    input: String,
    reason: String,
}

/// Laravel's JSON dates have four-digit years (`Y-m-d\TH:i:s.u\Z`); instants outside are
/// refused at parse time so that every stored timestamp renders in that fixed width. The
/// end is `jiff`'s last instant, a day and two hours before the end of year 9999.
const MIN_SECONDS: i64 = -62_167_219_200; // 0000-01-01T00:00:00Z
const MAX_SECONDS: i64 = 253_402_207_200; // 9999-12-30T22:00:00Z

impl Timestamp {
    /// The instant `seconds` after the Unix epoch, clamped to the years 0 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Self {
        Timestamp(seconds.clamp(MIN_SECONDS, MAX_SECONDS))
    }

    /// Seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0
    }

    /// Parses an RFC 3339 instant (`2023-05-02T10:18:50Z`, `...50.123+03:00`); fractions are
    /// dropped because the vendor's timestamps carry whole seconds.
    ///
    /// # Errors
    /// Returns [`ParseTimestampError`] naming the input and what is wrong with it.
    pub fn parse_rfc3339(input: &str) -> Result<Self, ParseTimestampError> {
        let fail = |reason: String| ParseTimestampError {
            input: input.to_owned(),
            reason,
        };
        // jiff also reads ISO 8601 forms RFC 3339 does not have (such as `2023-05-02T10:18Z`);
        // the one shape the contract names is what the mock accepts.
        if input.len() < 20 {
            return Err(fail("too short".into()));
        }
        if !input.is_char_boundary(19) || input.as_bytes()[10] != b'T' {
            return Err(fail("expected YYYY-MM-DDTHH:MM:SS and an offset".into()));
        }
        let parsed: jiff::Timestamp = input
            .parse()
            .map_err(|e: jiff::Error| fail(e.to_string()))?;
        let seconds = parsed.as_second();
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&seconds) {
            return Err(fail("outside the years 0 to 9999".into()));
        }
        Ok(Timestamp(seconds))
    }

    /// Appends Laravel's JSON date format, `2023-05-02T10:18:50.000000Z`.
    pub fn write_laravel(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.laravel_bytes());
    }

    /// Laravel's JSON date format as bytes (the log's timestamps fill in the microseconds).
    pub(crate) fn laravel_bytes(self) -> [u8; 27] {
        thread_local! {
            /// The last second this thread wrote, and its text: the users a server renders
            /// and the log lines it writes within one second share it.
            static LAST: Cell<(i64, [u8; 27])> = const { Cell::new((i64::MIN, [0; 27])) };
        }
        LAST.with(|last| match last.get() {
            (second, text) if second == self.0 => text,
            _ => {
                let text = laravel_text(self.0);
                last.set((self.0, text));
                text
            }
        })
    }
}

/// Laravel's JSON date format of a Unix time, in fixed-width digits: `jiff`'s strftime
/// costs about ten times as much, and its civil conversion as much again (benches/README.md).
fn laravel_text(seconds: i64) -> [u8; 27] {
    let [year, month, day, hour, minute, second] = civil(seconds);
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    for (at, value, width) in [
        (0, year, 4),
        (5, month, 2),
        (8, day, 2),
        (11, hour, 2),
        (14, minute, 2),
        (17, second, 2),
    ] {
        let mut value = value;
        for digit in text[at..at + width].iter_mut().rev() {
            // The fields are in range (years 0 to 9999): each digit is 0 to 9.
            *digit = b'0' + (value % 10) as u8;
            value /= 10;
        }
    }
    text
}

/// Year, month, day, hour, minute and second (UTC) of a Unix time: Howard Hinnant's
/// `civil_from_days` (proleptic Gregorian, as jiff and PHP count).
fn civil(seconds: i64) -> [i64; 6] {
    let days = seconds.div_euclid(86_400);
    let time = seconds.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    [year, month, day, time / 3600, time % 3600 / 60, time % 60]
}

impl fmt::Display for Timestamp {
    /// Laravel's JSON date format: `2023-05-02T10:18:50.000000Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(27);
        self.write_laravel(&mut out);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

/// The machine's current time in milliseconds since the Unix epoch, for the request journal
/// (which records when a request really arrived, whatever the mock's clock).
pub fn wall_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Milliseconds since the epoch as UTC with milliseconds: `2026-11-27T05:10:00.123Z`.
pub fn format_millis(ms: u64) -> String {
    let ts = i64::try_from(ms)
        .ok()
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laravel_dates_agree_with_jiff_from_year_0_to_9999() {
        let jiff_text = |seconds: i64| {
            let t = jiff::Timestamp::from_second(seconds).unwrap();
            t.strftime("%Y-%m-%dT%H:%M:%S.000000Z").to_string()
        };
        // Both ends, the leap days around 1900, 2000 and 2100, and a stride through the rest.
        let mut instants = vec![MIN_SECONDS, MAX_SECONDS, -1, 0, 1, 951_782_400, 951_868_799];
        instants.extend([-2_203_977_600, 4_107_542_400, 1_682_993_930]);
        instants.extend((MIN_SECONDS..MAX_SECONDS).step_by(77_777_777));
        for seconds in instants {
            let mut ours = Vec::new();
            Timestamp::from_unix_seconds(seconds).write_laravel(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                jiff_text(seconds),
                "{seconds}"
            );
        }
    }

    #[test]
    fn a_second_written_again_comes_out_the_same() {
        // The thread's last second is reused; a different one replaces it.
        let text = |seconds: i64| {
            let mut out = Vec::new();
            Timestamp::from_unix_seconds(seconds).write_laravel(&mut out);
            String::from_utf8(out).unwrap()
        };
        for (seconds, expected) in [
            (1_683_022_730, "2023-05-02T10:18:50.000000Z"),
            (1_683_022_730, "2023-05-02T10:18:50.000000Z"),
            (1_683_022_731, "2023-05-02T10:18:51.000000Z"),
            (1_683_022_730, "2023-05-02T10:18:50.000000Z"),
            (MIN_SECONDS, "0000-01-01T00:00:00.000000Z"),
        ] {
            assert_eq!(text(seconds), expected);
        }
    }

    #[test]
    fn formats_the_vendor_example_instant() {
        let t = Timestamp::parse_rfc3339("2023-05-02T10:18:50Z").unwrap();
        assert_eq!(t.to_string(), "2023-05-02T10:18:50.000000Z");
        assert_eq!(t.unix_seconds(), 1_683_022_730);
    }

    #[test]
    fn offsets_and_fractions_are_normalised_to_utc_seconds() {
        let t = Timestamp::parse_rfc3339("2023-05-02T13:18:50.999+03:00").unwrap();
        assert_eq!(t.to_string(), "2023-05-02T10:18:50.000000Z");
        let t = Timestamp::parse_rfc3339("2024-02-29T23:59:59-01:00").unwrap();
        assert_eq!(t.to_string(), "2024-03-01T00:59:59.000000Z");
    }

    #[test]
    fn epoch_pre_epoch_and_range_ends_render_in_fixed_width() {
        assert_eq!(
            Timestamp::from_unix_seconds(0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(-1).to_string(),
            "1969-12-31T23:59:59.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MIN).to_string(),
            "0000-01-01T00:00:00.000000Z"
        );
        assert_eq!(
            Timestamp::from_unix_seconds(i64::MAX).to_string(),
            "9999-12-30T22:00:00.000000Z"
        );
    }

    #[test]
    fn rejects_malformed_instants_with_the_reason() {
        for bad in [
            "now",
            "2023-05-02",
            "2023-13-02T10:18:50Z",
            "2023-02-29T10:18:50Z",
            "2023-05-02T10:18:50",
            "2023-05-02T10:18:50+3:00",
            "2023-05-02X10:18:50Z",
            "2023-05-02T10:18:50.Z",
            "2023-05-0ЖT10:18:50Z",
            "2023-05-02T10:18Z",
        ] {
            let err = Timestamp::parse_rfc3339(bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid instant {bad:?}: expected RFC 3339")),
                "{err}"
            );
        }
    }

    #[test]
    fn wall_time_has_milliseconds() {
        assert_eq!(format_millis(1_683_022_730_042), "2023-05-02T10:18:50.042Z");
        assert!(wall_millis() > 1_700_000_000_000);
    }

    #[test]
    fn frozen_clock_never_moves() {
        let c = Clock::Frozen(Timestamp::from_unix_seconds(42));
        assert_eq!(c.now(), Timestamp::from_unix_seconds(42));
        assert!(Clock::System.now().unix_seconds() > 1_700_000_000);
    }
}

//! The mock's clock: real UTC time or a frozen instant, and the Laravel timestamp format.
//!
//! Owns parsing of RFC 3339 instants (`--clock`, scenario `settings.clock`) and rendering of
//! `YYYY-MM-DDTHH:MM:SS.000000Z`. It keeps no state besides the chosen mode.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub i64);

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
            Clock::System => {
                let secs = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                Timestamp(secs)
            }
        }
    }
}

/// Why an instant could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid instant {input:?}: expected RFC 3339 such as 2023-05-02T10:18:50Z ({reason})")]
pub struct ParseTimestampError {
    input: String,
    reason: &'static str,
}

impl Timestamp {
    /// Parses an RFC 3339 instant (`2023-05-02T10:18:50Z`, `...50.123+03:00`); fractions are
    /// dropped because the vendor's timestamps carry whole seconds.
    ///
    /// # Errors
    /// Returns [`ParseTimestampError`] naming the input and what is wrong with it.
    pub fn parse_rfc3339(input: &str) -> Result<Self, ParseTimestampError> {
        let fail = |reason| ParseTimestampError {
            input: input.to_owned(),
            reason,
        };
        let b = input.as_bytes();
        if b.len() < 20 {
            return Err(fail("too short"));
        }
        let num = |from: usize, to: usize| -> Result<i64, ParseTimestampError> {
            let s = input.get(from..to).ok_or_else(|| fail("not ASCII"))?;
            if !s.bytes().all(|c| c.is_ascii_digit()) {
                return Err(fail("expected digits"));
            }
            s.parse::<i64>().map_err(|_| fail("expected digits"))
        };
        let sep = |at: usize, want: &[u8]| {
            if want.contains(&b[at]) {
                Ok(())
            } else {
                Err(fail("misplaced separator"))
            }
        };
        let year = num(0, 4)?;
        sep(4, b"-")?;
        let month = num(5, 7)?;
        sep(7, b"-")?;
        let day = num(8, 10)?;
        sep(10, b"Tt ")?;
        let hour = num(11, 13)?;
        sep(13, b":")?;
        let minute = num(14, 16)?;
        sep(16, b":")?;
        let second = num(17, 19)?;
        let mut rest = 19;
        if b[rest] == b'.' {
            rest += 1;
            let start = rest;
            while rest < b.len() && b[rest].is_ascii_digit() {
                rest += 1;
            }
            if rest == start {
                return Err(fail("empty fraction"));
            }
        }
        let offset = match b.get(rest) {
            Some(b'Z' | b'z') if rest + 1 == b.len() => 0,
            Some(sign @ (b'+' | b'-')) if rest + 6 == b.len() => {
                sep(rest + 3, b":")?;
                let h = num(rest + 1, rest + 3)?;
                let m = num(rest + 4, rest + 6)?;
                if h > 23 || m > 59 {
                    return Err(fail("offset out of range"));
                }
                let total = h * 3600 + m * 60;
                if *sign == b'+' { total } else { -total }
            }
            _ => return Err(fail("expected Z or an offset such as +03:00 at the end")),
        };
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(fail("field out of range"));
        }
        let days = days_from_civil(year, month, day);
        Ok(Timestamp(
            days * 86_400 + hour * 3600 + minute * 60 + second.min(59) - offset,
        ))
    }
}

impl Timestamp {
    /// Appends Laravel's JSON date format, `2023-05-02T10:18:50.000000Z`, without allocating.
    pub fn write_laravel(&self, out: &mut Vec<u8>) {
        let days = self.0.div_euclid(86_400);
        let secs = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let two = |out: &mut Vec<u8>, n: i64| {
            out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8])
        };
        if (0..=9999).contains(&y) {
            two(out, y / 100);
            two(out, y % 100);
        } else {
            out.extend_from_slice(format!("{y:04}").as_bytes());
        }
        out.push(b'-');
        two(out, m);
        out.push(b'-');
        two(out, d);
        out.push(b'T');
        two(out, secs / 3600);
        out.push(b':');
        two(out, secs / 60 % 60);
        out.push(b':');
        two(out, secs % 60);
        out.extend_from_slice(b".000000Z");
    }
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
    let secs = Timestamp(i64::try_from(ms / 1000).unwrap_or(i64::MAX)).to_string();
    format!("{}.{:03}Z", &secs[..19], ms % 1000)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_vendor_example_instant() {
        let t = Timestamp::parse_rfc3339("2023-05-02T10:18:50Z").unwrap();
        assert_eq!(t.to_string(), "2023-05-02T10:18:50.000000Z");
        assert_eq!(t.0, 1_683_022_730);
    }

    #[test]
    fn offsets_and_fractions_are_normalised_to_utc_seconds() {
        let t = Timestamp::parse_rfc3339("2023-05-02T13:18:50.999+03:00").unwrap();
        assert_eq!(t.to_string(), "2023-05-02T10:18:50.000000Z");
        let t = Timestamp::parse_rfc3339("2024-02-29T23:59:59-01:00").unwrap();
        assert_eq!(t.to_string(), "2024-03-01T00:59:59.000000Z");
    }

    #[test]
    fn epoch_and_pre_epoch_render() {
        assert_eq!(Timestamp(0).to_string(), "1970-01-01T00:00:00.000000Z");
        assert_eq!(Timestamp(-1).to_string(), "1969-12-31T23:59:59.000000Z");
    }

    #[test]
    fn rejects_malformed_instants_with_the_reason() {
        for bad in [
            "2023-05-02",
            "2023-13-02T10:18:50Z",
            "2023-02-29T10:18:50Z",
            "2023-05-02T10:18:50",
            "2023-05-02T10:18:50+3:00",
            "2023-05-02X10:18:50Z",
            "2023-05-02T10:18:50.Z",
            "2023-05-0ЖT10:18:50Z",
        ] {
            let err = Timestamp::parse_rfc3339(bad).unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid instant {bad:?}"))
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
        let c = Clock::Frozen(Timestamp(42));
        assert_eq!(c.now(), Timestamp(42));
        assert!(Clock::System.now().0 > 1_700_000_000);
    }
}

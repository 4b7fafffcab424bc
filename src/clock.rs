//! The one clock (DESIGN.md, Conventions): every "now" and "today" in the service comes from
//! here. `BUYIN_CLOCK_OFFSET` shifts it, so that demos and tests can build real history: start
//! the server in the past, make changes, restart it later on the same database. The clock
//! travels in [`crate::service::AppState`] (never a process global), so servers with different
//! offsets can share one process in tests.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clock {
    offset: TimeDelta,
}

impl Clock {
    /// The system clock shifted by `offset`.
    pub fn shifted(offset: TimeDelta) -> Clock {
        Clock { offset }
    }

    pub fn offset(&self) -> TimeDelta {
        self.offset
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// Today in UTC.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// Parses an offset such as `-35d`, `-2h`, `+1d 12h` or `0` (whole seconds without a unit).
pub fn parse_offset(value: &str) -> Option<TimeDelta> {
    let value = value.trim();
    let (sign, magnitude) = match value.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, value.strip_prefix('+').unwrap_or(value)),
    };
    let magnitude = magnitude.trim();
    let duration = magnitude
        .parse::<u64>()
        .ok()
        .map(std::time::Duration::from_secs)
        .or_else(|| humantime::parse_duration(magnitude).ok())?;
    TimeDelta::from_std(duration).ok().map(|d| d * sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_as_written() {
        assert_eq!(parse_offset("-35d"), Some(TimeDelta::days(-35)));
        assert_eq!(parse_offset("-2h"), Some(TimeDelta::hours(-2)));
        assert_eq!(parse_offset("+1d 12h"), Some(TimeDelta::hours(36)));
        assert_eq!(parse_offset("0"), Some(TimeDelta::zero()));
        assert_eq!(parse_offset("90"), Some(TimeDelta::seconds(90)));
        assert_eq!(parse_offset("yesterday"), None);
        assert_eq!(parse_offset("--2h"), None);
    }

    #[test]
    fn the_shifted_clock_moves_today() {
        let clock = Clock::shifted(TimeDelta::days(-35));
        let expected = (Utc::now() - TimeDelta::days(35)).date_naive();
        // Midnight may pass between the two readings.
        assert!((clock.today() - expected).num_days().abs() <= 1);
    }
}

//! The clock trait and its two implementations (system time, and a settable clock for tests).

use std::sync::Mutex;
use time::{Date, OffsetDateTime, UtcOffset};

/// Indian Standard Time, in which "today" and session dates are reckoned.
pub const IST: UtcOffset = match UtcOffset::from_hms(5, 30, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// The instant of a stored timestamp (ms since the epoch); the epoch for one out of range.
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Milliseconds since the epoch of an instant, the form timestamps are stored in.
pub fn to_millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Where the current time comes from. Injected so tests and benchmarks control it.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current instant.
    fn now(&self) -> OffsetDateTime;

    /// Today's date in India.
    fn today(&self) -> Date {
        self.now().to_offset(IST).date()
    }

    /// Milliseconds since the Unix epoch, the form timestamps are stored in.
    fn now_millis(&self) -> i64 {
        let nanos = self.now().unix_timestamp_nanos();
        i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
    }
}

/// The operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    /// A clock showing `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: time::Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn today_is_reckoned_in_india() {
        // 20:00 UTC on 1 March is 01:30 on 2 March in India.
        let clock = FixedClock::new(datetime!(2026-03-01 20:00 UTC));
        assert_eq!(clock.today(), time::macros::date!(2026 - 03 - 02));
        clock.advance(time::Duration::hours(-2));
        assert_eq!(clock.today(), time::macros::date!(2026 - 03 - 01));
    }

    #[test]
    fn millis_follow_the_clock() {
        let clock = FixedClock::new(datetime!(1970-01-01 00:00:01 UTC));
        assert_eq!(clock.now_millis(), 1000);
    }
}

//! The time accounts run on: when a session ends, whether a credential has expired,
//! which failed sign-ins still throttle, and the timestamps of those rows.
//!
//! Why a clock of our own: expiry is only testable if time can pass faster than it
//! does. The end-to-end tests run the real binary, so the clock has to be movable in a
//! real server process, without giving a production deployment a way to move it by
//! mistake. The choice, and why:
//!
//! - The clock is real by default, and [`Storage`](super::Storage) is the only holder of
//!   it; handlers ask `Storage::now` for the same "now" the expiry checks use.
//! - A test moves it by starting the server with [`TEST_CLOCK_OFFSET_VARIABLE`]
//!   (seconds to run ahead). Only debug builds honour it: the tests run
//!   `target/debug/agriwaste`, deployments the release build (`cargo build --release`,
//!   as `just serve` does), in which the branch that applies an offset is dead code
//!   (`cfg!(debug_assertions)`), so no setting, flag or file can move a production
//!   clock. A release build that finds the variable set logs that it ignores it; a
//!   debug build that honours it logs [`TEST_CLOCK_LOG_MESSAGE`], which the test
//!   harness checks, so a test never passes on a server that did not move its clock.
//! - An offset restarts the server, rather than moving a running one, because moving a
//!   running clock would need a control endpoint or a signal handler: a path into the
//!   running server that production would carry. A restart keeps the database, and so
//!   every credential, like a real one does.
//! - Testing expiry only in storage unit tests with a manual clock would leave the
//!   answers the API gives for an expired key (`credential_expired`, and 401 on every
//!   operation of the authorization matrix) untested without waiting.
//!
//! Survey, attachment and coefficient timestamps stay on the system clock: nothing of
//! theirs expires, and validation's "today" must stay the real day.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};

/// The environment variable a debug build reads its clock offset from, in seconds
/// (negative runs behind). Release builds ignore it.
pub const TEST_CLOCK_OFFSET_VARIABLE: &str = "AGRIWASTE_TEST_CLOCK_OFFSET_SECS";

/// What [`Clock::from_environment`] logs when it honours an offset; the test harness
/// looks for it to know that the server under test moved its clock.
pub const TEST_CLOCK_LOG_MESSAGE: &str = "clock offset for tests";

/// The system clock, possibly run ahead by a fixed offset (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    ahead_by: TimeDelta,
}

impl Clock {
    /// The system clock as it is.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// The system clock run `ahead_by` ahead: what a test server uses, and what storage
    /// unit tests use to let time pass.
    pub fn ahead_by(ahead_by: TimeDelta) -> Clock {
        Clock { ahead_by }
    }

    /// Now, to the microsecond (what both databases store), so a time read back from a
    /// row equals the one written.
    pub fn now(&self) -> DateTime<Utc> {
        (Utc::now() + self.ahead_by).trunc_subsecs(6)
    }

    /// The clock `serve` runs on: the system clock, or in a debug build run ahead by
    /// [`TEST_CLOCK_OFFSET_VARIABLE`] seconds when that is set.
    pub fn from_environment() -> anyhow::Result<Clock> {
        let Ok(offset) = std::env::var(TEST_CLOCK_OFFSET_VARIABLE) else {
            return Ok(Clock::system());
        };
        if cfg!(debug_assertions) {
            let seconds: i64 = offset
                .trim()
                .parse()
                .map_err(|err| anyhow::anyhow!("{TEST_CLOCK_OFFSET_VARIABLE}={offset:?}: {err}"))?;
            tracing::warn!(seconds, "{TEST_CLOCK_LOG_MESSAGE}");
            Ok(Clock::ahead_by(TimeDelta::seconds(seconds)))
        } else {
            tracing::warn!(
                "{TEST_CLOCK_OFFSET_VARIABLE} is set and ignored: only debug builds, which the tests run, honour it"
            );
            Ok(Clock::system())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_ahead_reads_later_than_the_system_clock() {
        let before = Clock::system().now();
        let ahead = Clock::ahead_by(TimeDelta::hours(13)).now();
        let after = Clock::system().now();
        assert!(ahead - before >= TimeDelta::hours(13));
        assert!(ahead - after <= TimeDelta::hours(13) + TimeDelta::microseconds(1));
    }
}

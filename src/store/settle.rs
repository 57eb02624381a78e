//! Waiting on a store on a server or in a file, where nothing wakes a follower: a short pause
//! between looks at the event log, and the wait of a read for the writes in flight when it
//! began (PostgreSQL transactions, Redis Cluster clocks).

use std::time::Duration;
#[cfg(any(feature = "redis", feature = "postgres"))]
use std::time::Instant;

/// How often a follower looks for new events.
const FOLLOW_POLL: Duration = Duration::from_millis(100);

/// How long a read of the event log waits for the writes in flight when it began.
#[cfg(any(feature = "redis", feature = "postgres"))]
const HORIZON_WAIT: Duration = Duration::from_millis(250);

/// The pause between two looks of a follower.
pub(crate) async fn follow_pause() {
    tokio::time::sleep(FOLLOW_POLL).await;
}

/// The wait of a read for the writes in flight when it began: while what is final (`low`) is
/// below where the read began (`target`), [`pending`](Settle::pending) pauses (1 ms, doubling
/// up to 20 ms) and asks to read `low` again, for at most a quarter of a second; the read then
/// shows what is below `low.min(target)`.
#[cfg(any(feature = "redis", feature = "postgres"))]
pub(crate) struct Settle {
    started: Instant,
    pause: Duration,
}

#[cfg(any(feature = "redis", feature = "postgres"))]
impl Settle {
    pub(crate) fn new() -> Settle {
        Settle {
            started: Instant::now(),
            pause: Duration::from_millis(1),
        }
    }

    /// Whether to read `low` again (after a pause).
    pub(crate) async fn pending(&mut self, low: i64, target: i64) -> bool {
        if low >= target || self.started.elapsed() >= HORIZON_WAIT {
            return false;
        }
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 2).min(Duration::from_millis(20));
        true
    }
}

//! Where "now" comes from: the system clock, or one a test controls.

use std::sync::Arc;
#[cfg(feature = "rand")]
use std::time::{SystemTime, UNIX_EPOCH};

use time::OffsetDateTime;

/// A source of the current time, shared by clones.
#[derive(Clone, Default)]
pub(crate) struct Clock(Option<Arc<dyn Fn() -> OffsetDateTime + Send + Sync>>);

impl Clock {
    pub(crate) fn new(f: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Clock {
        Clock(Some(Arc::new(f)))
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        match &self.0 {
            Some(f) => f(),
            None => OffsetDateTime::now_utc(),
        }
    }

    /// The current time in whole Unix seconds: what a mint needs, without the calendar
    /// arithmetic of an `OffsetDateTime` on the system clock. Before 1970 it is negative.
    #[cfg(feature = "rand")]
    pub(crate) fn now_unix(&self) -> i64 {
        match &self.0 {
            Some(f) => f().unix_timestamp(),
            None => match SystemTime::now().duration_since(UNIX_EPOCH) {
                Ok(since) => i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
                // Before 1970: some negative second, which a mint refuses whichever it is.
                Err(_) => -1,
            },
        }
    }
}

impl core::fmt::Debug for Clock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "system" })
    }
}

//! Where "now" comes from: the system clock, or one a test controls.

use std::sync::Arc;

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
}

impl core::fmt::Debug for Clock {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(if self.0.is_some() { "custom" } else { "system" })
    }
}

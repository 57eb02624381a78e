//! The settings every store shares, and the one builder that sets them for every backend.
//!
//! A store keeps state for an invitation until its expiry plus a *margin*, keeps up to a *visit
//! cap* of visits, and reads "now" from a *clock*. A store on a server or a file also has a
//! *prefix* for its keys or tables, a *deadline* for every call, and an [`Init`] that says
//! what to do when it finds no store there. [`StoreBuilder`] holds these once; each backend adds
//! its own few settings through its type parameter (as sqlx's `PoolOptions<DB>` does).

use core::fmt;
use std::time::Duration as StdDuration;

use time::{Duration, OffsetDateTime};

use super::{DEFAULT_MARGIN, DEFAULT_VISIT_CAP, Init};
use crate::clock::Clock;
use crate::error::Error;

/// How long one call to a store on a server or a file may take, unless configured otherwise.
pub const DEFAULT_DEADLINE: StdDuration = StdDuration::from_secs(2);

/// The most visits a store keeps per invitation.
const MAX_VISIT_CAP: usize = 100_000;

/// What every store is configured with.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) margin: Duration,
    pub(crate) visit_cap: usize,
    pub(crate) clock: Clock,
    /// `None`: the backend's default (`admit:` keys, `admit_` tables).
    pub(crate) prefix: Option<String>,
    pub(crate) deadline: StdDuration,
    pub(crate) init: Init,
    /// How long an event is kept at least after it happened (beyond its invitation's state).
    pub(crate) keep_events: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            margin: DEFAULT_MARGIN,
            visit_cap: DEFAULT_VISIT_CAP,
            clock: Clock::default(),
            prefix: None,
            deadline: DEFAULT_DEADLINE,
            init: Init::Require,
            keep_events: Duration::ZERO,
        }
    }
}

impl Settings {
    /// The clock's time, to the millisecond (what every backend stores).
    pub(crate) fn now(&self) -> OffsetDateTime {
        let now = self.clock.now();
        now.replace_nanosecond(now.nanosecond() / 1_000_000 * 1_000_000)
            .unwrap_or(now)
    }

    /// When an event written at `now` may be forgotten, for state kept until `state` (`None`:
    /// forever): with the state, or `keep_events` after it happened if that is later.
    pub(crate) fn event_forget_at(
        &self,
        now: OffsetDateTime,
        state: Option<OffsetDateTime>,
    ) -> Option<OffsetDateTime> {
        state.map(|until| until.max(now.saturating_add(self.keep_events)))
    }

    /// How long events are kept at least after they happen, in ms (as the databases take it).
    #[cfg_attr(
        not(any(feature = "redis", feature = "postgres", feature = "sqlite")),
        allow(dead_code)
    )]
    pub(crate) fn keep_events_ms(&self) -> i64 {
        let keep = self.keep_events.whole_milliseconds();
        i64::try_from(keep.max(0)).unwrap_or(i64::MAX)
    }

    /// The checks a store opened by [`AnyStore`](super::AnyStore) or on a server or a file
    /// makes: a deadline that can be met, a visit cap that keeps at least one visit, and a
    /// margin that never drops state before its invitation expires.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.deadline.is_zero() {
            return Err(Error::InvalidArgument {
                name: "deadline",
                reason: "must be more than zero",
            });
        }
        if !(1..=MAX_VISIT_CAP).contains(&self.visit_cap) {
            return Err(Error::InvalidArgument {
                name: "visit_cap",
                reason: "must be between 1 and 100000",
            });
        }
        if self.keep_events.is_negative() {
            return Err(Error::InvalidArgument {
                name: "keep_events",
                reason: "must not be negative",
            });
        }
        if self.margin.is_negative() {
            return Err(Error::InvalidArgument {
                name: "margin",
                reason: "must not be negative: state must outlive its invitation",
            });
        }
        Ok(())
    }
}

/// The settings of a store before it is opened: the ones every store has, and the backend's own
/// in `B`. Get one from the store's `builder()` ([`MemoryStore::builder`](super::MemoryStore::builder),
/// [`RedisStore::builder`](super::RedisStore), `PgStore::builder`, `SqliteStore::builder`,
/// [`AnyStore::builder`](super::AnyStore::builder)); the aliases [`MemoryStoreBuilder`](super::MemoryStoreBuilder),
/// `RedisStoreBuilder`, `PgStoreBuilder`, `SqliteStoreBuilder` and
/// [`AnyStoreBuilder`](super::AnyStoreBuilder) name each.
///
/// Every store takes [`margin`](StoreBuilder::margin), [`visit_cap`](StoreBuilder::visit_cap)
/// and [`clock`](StoreBuilder::clock); a store on a server or in a file also
/// [`prefix`](StoreBuilder::prefix), [`deadline`](StoreBuilder::deadline) and
/// [`init`](StoreBuilder::init), spelled the same for every backend.
///
/// # Examples
///
/// ```
/// use admit::store::MemoryStore;
/// use time::Duration;
///
/// let store = MemoryStore::builder()
///     .margin(Duration::hours(2))
///     .visit_cap(20)
///     .build();
/// # let _ = store;
/// ```
#[derive(Clone)]
pub struct StoreBuilder<B> {
    pub(crate) settings: Settings,
    pub(crate) backend: B,
}

impl<B: Default> StoreBuilder<B> {
    /// Every setting at its default.
    pub(crate) fn new() -> StoreBuilder<B> {
        StoreBuilder {
            settings: Settings::default(),
            backend: B::default(),
        }
    }
}

impl<B: fmt::Debug> fmt::Debug for StoreBuilder<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The settings hold nothing secret (no URL, no password).
        f.debug_struct("StoreBuilder")
            .field("settings", &self.settings)
            .field("backend", &self.backend)
            .finish()
    }
}

impl<B> StoreBuilder<B> {
    /// How long state is kept after an invitation expires (default 1 hour). Keep it at least
    /// as long as your verifiers' leeway: a token is accepted that long past its expiry.
    pub fn margin(mut self, margin: Duration) -> StoreBuilder<B> {
        self.settings.margin = margin;
        self
    }

    /// How many visits are kept per invitation, newest first (default 100; at most 100000).
    pub fn visit_cap(mut self, cap: usize) -> StoreBuilder<B> {
        self.settings.visit_cap = cap;
        self
    }

    /// Keeps every event in the log at least this long after it happened (default: zero).
    ///
    /// By default an event lives as long as its invitation's state (its expiry plus the
    /// margin; forever for an invitation that never expires, and for rules): enough to follow
    /// the log and show timelines. For an audit trail that outlives invitations, keep events
    /// for as long as the audit needs, say `Duration::days(400)`.
    ///
    /// ```
    /// let store = admit::store::MemoryStore::builder()
    ///     .keep_events(time::Duration::days(400))
    ///     .build();
    /// # let _ = store;
    /// ```
    pub fn keep_events(mut self, keep: Duration) -> StoreBuilder<B> {
        self.settings.keep_events = keep;
        self
    }

    /// Reads the time from `clock` instead of the system clock (for tests that move time).
    /// Times are the application's, not a database server's: every process sharing a store
    /// needs a synchronized clock.
    pub fn clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> StoreBuilder<B> {
        self.settings.clock = Clock::new(clock);
        self
    }
}

/// The stores that live on a server or in a file, whose builders take a prefix, a deadline and
/// an [`Init`]. Sealed: implemented by the backends' option types.
pub(crate) trait Durable {}

#[allow(private_bounds)] // `Durable` is sealed: the backends' option types implement it.
impl<B: Durable> StoreBuilder<B> {
    /// The prefix of every key (Redis; default `admit:`, at most 64 bytes without braces or
    /// whitespace) or table and function name (PostgreSQL, SQLite; default `admit_`, lowercase
    /// letters, digits and `_`, starting with a letter, at most 32 bytes), so that several
    /// applications can share one server or file.
    pub fn prefix(mut self, prefix: impl Into<String>) -> StoreBuilder<B> {
        self.settings.prefix = Some(prefix.into());
        self
    }

    /// How long one call may take, waiting for a connection or a lock included (default
    /// 2 s). Past it, the call fails with [`Error::StoreTimeout`]: never a hang, never "valid".
    pub fn deadline(mut self, deadline: StdDuration) -> StoreBuilder<B> {
        self.settings.deadline = deadline;
        self
    }

    /// What to do when opening finds no store there (default [`Init::Require`]: refuse).
    pub fn init(mut self, init: Init) -> StoreBuilder<B> {
        self.settings.init = init;
        self
    }

    /// Shorthand for `.init(Init::CreateIfMissing)`: sets a new store up. Read the caveat at
    /// [`Init::CreateIfMissing`]: do this once, deliberately, not at every start-up.
    pub fn create_if_missing(self) -> StoreBuilder<B> {
        self.init(Init::CreateIfMissing)
    }

    /// Shorthand for `.init(Init::RecoverFromDataLoss { revoke_issued_before })`: after data
    /// loss, sets the store up and revokes everything issued before the cut-off.
    pub fn recover_from_data_loss(self, revoke_issued_before: OffsetDateTime) -> StoreBuilder<B> {
        self.init(Init::RecoverFromDataLoss {
            revoke_issued_before,
        })
    }
}

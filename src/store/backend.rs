//! What a backend implements: one primitive per store operation, fed arguments that the layer
//! above ([`layer`](super::layer)) has already checked, with "now" and the retention times
//! already worked out. A backend says only what really differs: how its state is kept and how
//! one step on it is made atomic (a lock, a Lua script, a SQL transaction).
//!
//! Sealed: the traits are crate-private, so only the stores of this crate implement them, and
//! every implementation gets the same argument checks, retention arithmetic and tracing.

use core::future::Future;
use std::sync::Arc;

use time::{Duration, OffsetDateTime};

use super::event_filter::EventFilter;
use super::events::Event;
use super::settings::Settings;
use super::trace::Link;
use super::{
    Health, IssuedInvitation, ListFilter, Redemption, RevocationRule, Status, Visit, check_joiner,
    live_forget_at,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

/// What a primitive returns: a future of its answer, `Send` so stores work in multi-threaded
/// runtimes.
pub(crate) trait Answer<T>: Future<Output = Result<T, Error>> + Send {}

impl<T, F: Future<Output = Result<T, Error>> + Send> Answer<T> for F {}

/// The operations every store has.
pub(crate) trait Backend: Send + Sync {
    /// The backend's name in traces: `memory`, `redis`, `postgres`, `sqlite`.
    fn name(&self) -> &'static str;

    /// Margin, visit cap, clock, …
    fn settings(&self) -> &Settings;

    /// The state of the connection, for a networked store (reported with `tracing`).
    fn link(&self) -> Option<&Link> {
        None
    }

    /// This store (sharing its state and connections), acting as `actor`.
    fn acting(&self, actor: Arc<str>) -> Self
    where
        Self: Sized;

    /// A page of the event log, in cursor order.
    fn events(&self, call: EventPage<'_>) -> impl Answer<Vec<Event>>;

    /// A mark of how far the log has grown, for [`wait`](Backend::wait) (0 where a store
    /// cannot tell).
    fn log_mark(&self) -> u64 {
        0
    }

    /// The record of a follower of the log (a webhook endpoint's cursor and lease), with its
    /// version (1 and up), if there is one.
    fn consumer(&self, name: &str) -> impl Answer<Option<(i64, String)>>;

    /// Replaces the record of `name` with `record` if its version is still `version` (0: there
    /// is none yet); whether it did. What a record holds is its user's business.
    fn set_consumer(&self, name: &str, version: i64, record: &str) -> impl Answer<bool>;

    /// Returns once the log may have grown past `mark`: at once on the memory store when it
    /// has, after a short pause on the others (so a follower never spins).
    fn wait(&self, mark: u64) -> impl Answer<()>;

    /// Counts `joiner` unless the invitation is revoked (by ID or rule) or used up; a joiner
    /// seen before gets its first redemption back.
    fn redeem(&self, call: Redeem<'_>) -> impl Answer<Redemption>;

    /// [`Error::Revoked`] or [`Error::UsedUp`], or nothing.
    fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> impl Answer<()>;

    /// Whether the live state of `id` carries a revocation mark.
    fn is_revoked(&self, id: InvitationId, now: OffsetDateTime) -> impl Answer<bool>;

    /// Marks `id` revoked (the first time only) and keeps its state at least until
    /// `forget_at` (`None`: as long as it is kept already, or forever when there is none).
    /// Whether it was not revoked before.
    fn revoke(&self, call: Revoke) -> impl Answer<bool>;

    /// Raises the rule of `inviter` (`None`: everyone) to `cutoff_ms` unless it is later
    /// already; the cut-off in force, in Unix milliseconds.
    fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> impl Answer<i64>;

    /// Every rule, the everyone-rule first, then by inviter.
    fn rules(&self) -> impl Answer<Vec<RevocationRule>>;

    /// The settings the promises depend on, with verdicts.
    fn health(&self) -> impl Answer<Health>;

    /// Everything known about `id`.
    fn status(&self, id: InvitationId, now: OffsetDateTime) -> impl Answer<Status>;

    /// Adds a minted invitation to the registry.
    fn record(&self, call: Record<'_>) -> impl Answer<()>;

    /// A page of the registry, in [`ListFilter`]'s order.
    fn list(&self, call: Page<'_>) -> impl Answer<Vec<IssuedInvitation>>;

    /// How many the list holds for this filter, over all its pages.
    fn count(&self, call: Page<'_>) -> impl Answer<u64>;
}

/// Stores that keep the visits of invitation links.
pub(crate) trait VisitLog: Backend {
    /// Adds a visit, newest first, keeping at most `cap`.
    fn record_visit(&self, call: VisitCall<'_>) -> impl Answer<()>;

    /// The visits of `id`, newest first.
    fn visits(&self, id: InvitationId, now: OffsetDateTime) -> impl Answer<Vec<Visit>>;
}

/// Stores that map short codes to tokens: by the code's lookup hash, to the token sealed
/// under the code (`sealed_code`), both made by the layer above.
pub(crate) trait CodeTable: Backend {
    /// Maps `call.lookup` to `call.sealed` unless a live entry is there; whether it did.
    fn create_code(&self, call: NewCode<'_>) -> impl Answer<bool>;

    /// The sealed token of a live entry, by its lookup hash.
    fn resolve_code(&self, lookup: &str, now: OffsetDateTime) -> impl Answer<Option<String>>;
}

/// Stores that count attempts per client in fixed windows.
pub(crate) trait AttemptCounter: Backend {
    /// Counts one attempt by `client` in `window`; the attempts counted there, this one
    /// included.
    fn count_attempt(&self, client: &str, window: Window) -> impl Answer<u32>;
}

/// A redemption, checked: a valid joiner, an invitation whose state is not forgotten yet.
#[derive(Clone, Copy)]
pub(crate) struct Redeem<'a> {
    pub(crate) invitation: &'a Invitation,
    pub(crate) joiner: &'a str,
    pub(crate) now: OffsetDateTime,
    /// When the invitation's state may be forgotten (`None`: never).
    pub(crate) forget_at: Option<OffsetDateTime>,
}

impl<'a> Redeem<'a> {
    /// Checks the joiner and refuses an invitation whose state may already be forgotten (a
    /// redemption then must not start a new count).
    pub(crate) fn new(
        settings: &Settings,
        invitation: &'a Invitation,
        joiner: &'a str,
    ) -> Result<Redeem<'a>, Error> {
        check_joiner(joiner)?;
        let now = settings.now();
        let forget_at = live_forget_at(invitation, settings.margin, now)?;
        Ok(Redeem {
            invitation,
            joiner,
            now,
            forget_at,
        })
    }
}

/// A revocation by ID.
#[derive(Clone, Copy)]
pub(crate) struct Revoke {
    pub(crate) id: InvitationId,
    pub(crate) now: OffsetDateTime,
    pub(crate) forget_at: Option<OffsetDateTime>,
}

/// A page of the event log, the filter checked.
#[derive(Clone, Copy)]
pub(crate) struct EventPage<'a> {
    pub(crate) filter: &'a EventFilter,
    pub(crate) now: OffsetDateTime,
}

/// A page of the registry, the filter checked.
#[derive(Clone, Copy)]
pub(crate) struct Page<'a> {
    pub(crate) filter: &'a ListFilter,
    pub(crate) now: OffsetDateTime,
}

/// A registry entry, checked.
#[derive(Clone, Copy)]
pub(crate) struct Record<'a> {
    pub(crate) invitation: &'a Invitation,
    pub(crate) description: Option<&'a str>,
    pub(crate) now: OffsetDateTime,
    pub(crate) forget_at: Option<OffsetDateTime>,
}

/// A visit, checked.
#[derive(Clone, Copy)]
pub(crate) struct VisitCall<'a> {
    pub(crate) id: InvitationId,
    pub(crate) metadata: &'a str,
    pub(crate) now: OffsetDateTime,
    pub(crate) forget_at: Option<OffsetDateTime>,
    pub(crate) cap: usize,
}

/// A new short code, checked: its canonical form and when it may be forgotten, and the
/// invitation and inviter its token names (not verified: for the event only).
#[derive(Clone, Copy)]
pub(crate) struct NewCode<'a> {
    pub(crate) id: InvitationId,
    pub(crate) inviter: Option<&'a str>,
    /// The code's lookup hash and its token sealed (`sealed_code`): the store never sees
    /// the code or the token.
    pub(crate) lookup: &'a str,
    pub(crate) sealed: &'a str,
    pub(crate) now: OffsetDateTime,
    pub(crate) forget_at: Option<OffsetDateTime>,
}

/// A fixed window of the attempt limiter, at `now_ms`: its length, its number since the
/// epoch, its end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) ms: i64,
    pub(crate) number: i64,
    pub(crate) end_ms: i64,
    pub(crate) now_ms: i64,
}

impl Window {
    /// The window of length `ms` that holds `now_ms`.
    pub(crate) fn at(ms: i64, now_ms: i64) -> Window {
        let number = now_ms / ms;
        let end_ms = number.saturating_add(1).saturating_mul(ms);
        Window {
            ms,
            number,
            end_ms,
            now_ms,
        }
    }

    /// How long until the window ends.
    pub(crate) fn left(&self) -> Duration {
        Duration::milliseconds(self.end_ms.saturating_sub(self.now_ms)).max(Duration::ZERO)
    }
}

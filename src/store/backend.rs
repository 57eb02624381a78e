//! What a backend implements: one primitive per store operation, fed arguments that the layer
//! above ([`layer`](super::layer)) has already checked, with "now" and the retention times
//! already worked out. A backend says only what really differs: how its state is kept and how
//! one step on it is made atomic (a lock, a Lua script, a SQL transaction).
//!
//! Sealed: the traits are crate-private, so only the stores of this crate implement them, and
//! every implementation gets the same argument checks, retention arithmetic and tracing.

use core::future::Future;

use time::{Duration, OffsetDateTime};

use super::settings::Settings;
use super::trace::Link;
use super::{
    Health, IssuedInvitation, ListFilter, Redemption, RevocationRule, Status, Visit, check_joiner,
    forget_at, refuse_if_forgotten,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

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

    /// Counts `joiner` unless the invitation is revoked (by ID or rule) or used up; a joiner
    /// seen before gets its first redemption back.
    fn redeem(&self, call: Redeem<'_>) -> impl Future<Output = Result<Redemption, Error>> + Send;

    /// [`Error::Revoked`] or [`Error::UsedUp`], or nothing.
    fn check(
        &self,
        invitation: &Invitation,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether the live state of `id` carries a revocation mark.
    fn is_revoked(
        &self,
        id: InvitationId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Marks `id` revoked (the first time only) and keeps its state at least until
    /// `forget_at` (`None`: as long as it is kept already, or forever when there is none).
    /// Whether it was not revoked before.
    fn revoke(
        &self,
        id: InvitationId,
        now: OffsetDateTime,
        forget_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Raises the rule of `inviter` (`None`: everyone) to `cutoff_ms` unless it is later
    /// already; the cut-off in force, in Unix milliseconds.
    fn raise_rule(
        &self,
        inviter: Option<&str>,
        cutoff_ms: i64,
    ) -> impl Future<Output = Result<i64, Error>> + Send;

    /// Every rule, the everyone-rule first, then by inviter.
    fn rules(&self) -> impl Future<Output = Result<Vec<RevocationRule>, Error>> + Send;

    /// The settings the promises depend on, with verdicts.
    fn health(&self) -> impl Future<Output = Result<Health, Error>> + Send;

    /// Everything known about `id`.
    fn status(
        &self,
        id: InvitationId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Status, Error>> + Send;

    /// Adds a minted invitation to the registry.
    fn record(&self, call: Record<'_>) -> impl Future<Output = Result<(), Error>> + Send;

    /// A page of the registry, in [`ListFilter`]'s order.
    fn list(
        &self,
        filter: &ListFilter,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<IssuedInvitation>, Error>> + Send;
}

/// Stores that keep the visits of invitation links.
pub(crate) trait VisitLog: Backend {
    /// Adds a visit, newest first, keeping at most `cap`.
    fn record_visit(&self, call: VisitCall<'_>) -> impl Future<Output = Result<(), Error>> + Send;

    /// The visits of `id`, newest first.
    fn visits(
        &self,
        id: InvitationId,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Vec<Visit>, Error>> + Send;
}

/// Stores that map short codes to tokens.
pub(crate) trait CodeTable: Backend {
    /// Maps `call.canonical` to the token unless a live code is there; whether it did.
    fn create_code(&self, call: NewCode<'_>) -> impl Future<Output = Result<bool, Error>> + Send;

    /// The token behind a live code.
    fn resolve_code(
        &self,
        canonical: &str,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;
}

/// Stores that count attempts per client in fixed windows.
pub(crate) trait AttemptCounter: Backend {
    /// Counts one attempt by `client` in `window`; the attempts counted there, this one
    /// included.
    fn count_attempt(
        &self,
        client: &str,
        window: Window,
        now: OffsetDateTime,
    ) -> impl Future<Output = Result<u32, Error>> + Send;
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
        refuse_if_forgotten(invitation, settings.margin, now)?;
        Ok(Redeem {
            invitation,
            joiner,
            now,
            forget_at: forget_at(invitation, settings.margin),
        })
    }
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

/// A new short code, checked: its canonical form and when it may be forgotten.
#[derive(Clone, Copy)]
pub(crate) struct NewCode<'a> {
    pub(crate) canonical: &'a str,
    pub(crate) token: &'a str,
    pub(crate) now: OffsetDateTime,
    pub(crate) forget_at: Option<OffsetDateTime>,
}

/// A fixed window of the attempt limiter: its length, its number since the epoch, its end.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) ms: i64,
    pub(crate) number: i64,
    pub(crate) end_ms: i64,
}

impl Window {
    /// The window of length `ms` that holds `now_ms`.
    pub(crate) fn at(ms: i64, now_ms: i64) -> Window {
        let number = now_ms / ms;
        Window {
            ms,
            number,
            end_ms: number.saturating_add(1).saturating_mul(ms),
        }
    }

    /// How long from `now_ms` until the window ends.
    pub(crate) fn left(&self, now_ms: i64) -> Duration {
        Duration::milliseconds(self.end_ms.saturating_sub(now_ms)).max(Duration::ZERO)
    }
}

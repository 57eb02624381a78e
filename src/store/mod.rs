//! What a signature cannot say: revocation, use counts, who joined.
//!
//! A token proves who minted an invitation and until when. Whether it was *revoked*, whether
//! it is *used up*, and *who joined with it* change after minting, so they live in a
//! [`Store`]. Applications that need none of it never touch this module.
//!
//! Four backends implement the same [`Store`] trait and pass the same conformance suite:
//!
//! - [`MemoryStore`]: in process, no dependencies; for one process, tests, and examples.
//! - [`RedisStore`] (feature `redis`; Redis Cluster with feature `cluster`): shared by every
//!   process and machine, atomic through Lua scripts, with a deadline on every call.
//! - [`PgStore`] (feature `postgres`): in the application's PostgreSQL, atomic through a row lock;
//!   [`redeem_in`](SqlStore::redeem_in) redeems inside the application's own transaction, so an
//!   account and its invitation's use commit or roll back together.
//! - [`SqliteStore`] (feature `sqlite`): in one SQLite file, the durable default for a single
//!   machine; atomic through SQLite's single writer, with [`redeem_in`](SqlStore::redeem_in)
//!   too. Both are the one generic [`SqlStore`].
//!
//! [`AnyStore`] opens whichever of them a URL names (`memory:`, `redis://…`, `postgres://…`,
//! `sqlite://PATH`, …), for services that take their store from configuration.
//!
//! A store keeps two promises: **a revoked invitation stays revoked**, and **an N-use invitation
//! admits at most N joiners**. Semantics common to every backend:
//!
//! - [`Store::redeem`] is atomic: a revoked invitation fails with [`Error::Revoked`]; one at its
//!   limit with [`Error::UsedUp`]; a joiner that already redeemed it gets its first redemption
//!   back (not counted twice, so retrying after a timeout is safe); otherwise the count goes up
//!   by one.
//! - Revocation takes effect for every later call, everywhere, at once.
//! - State expires with the invitation: it is kept until the invitation's expiry plus a margin
//!   (1 hour by default; keep it at least as long as your verifier's leeway), then no longer
//!   affects any answer. Memory and Redis drop it by themselves; in PostgreSQL and SQLite,
//!   `purge_expired` deletes it in batches. State of invitations that never expire
//!   stays until deleted.
//! - Every failure to reach the store is an error ([`Error::StoreUnavailable`],
//!   [`Error::StoreTimeout`]), never a success: callers fail closed.
//! - Whatever could break the promises silently is refused instead: a Redis that may evict
//!   keys ([`Error::StoreMisconfigured`]), a Redis whose data was lost or never initialized
//!   ([`Error::StoreNotInitialized`]), a revocation that would be forgotten before its
//!   invitation expires, a cut-off in the future. [`Store::health`] reports each setting the
//!   promises depend on, with a verdict.
//!
//! # One core, many backends
//!
//! Every store gets its [`Store`], [`Visits`], [`ShortCodes`] and [`AttemptLimiter`] from one
//! layer that checks the arguments, reads "now" from the store's clock, works out how long
//! state is kept and traces the call; below it, each backend implements only its atomic step,
//! one primitive per operation. So the rules cannot drift between backends, and every backend
//! passes the same conformance suite. Every builder is a [`StoreBuilder`] with the same setters
//! ([`margin`](StoreBuilder::margin), [`visit_cap`](StoreBuilder::visit_cap),
//! [`clock`](StoreBuilder::clock); [`prefix`](StoreBuilder::prefix),
//! [`deadline`](StoreBuilder::deadline) and [`init`](StoreBuilder::init) for stores on a
//! server or in a file), and [`Init`] says the same thing to every backend: refuse a store
//! that is not set up, create one, or recover one that lost its data.
//!
//! With the `tracing` feature, every call runs in a `store` span (backend, operation, outcome,
//! latency) and failures, lost connections and refused configurations are WARN events; the
//! guide's recipe "Watching the store in production" lists them. Nothing secret is recorded.

use core::future::Future;

use time::OffsetDateTime;

use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

mod any;
mod backend;
mod code;
mod event_filter;
mod event_json;
mod events;
mod funnel;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod grouped;
mod health;
mod init;
mod layer;
mod list;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod powers;
#[cfg(feature = "redis")]
mod redis;
mod retention;
mod rules;
mod sealed_code;
mod settings;
#[cfg(any(feature = "redis", feature = "postgres", feature = "sqlite"))]
mod settle;
#[cfg(feature = "cluster")]
mod slot;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod sql;
#[cfg(feature = "sqlite")]
mod sqlite;
mod status;
mod trace;
mod verify;

pub use any::{AnyOptions, AnyStore, AnyStoreBuilder};
pub use code::{CodeSpec, DEFAULT_CODE_LEN, RateLimit, VANITY_LEN};
pub use event_filter::EventFilter;
pub use events::{Event, EventCursor, EventKind, EventType};
pub use funnel::{Funnel, FunnelQuery, FunnelRow};
pub use health::{Health, HealthCheck, Verdict};
pub use init::Init;
pub use list::{ListCursor, ListFilter, ListOrder};
pub use memory::{MemoryOptions, MemoryStore, MemoryStoreBuilder};
#[cfg(feature = "postgres")]
pub use postgres::{PgOptions, PgStore, PgStoreBuilder};
pub use powers::{AttemptLimiter, Events, ShortCodes, Visits};
#[cfg(feature = "redis")]
pub use redis::{RedisOptions, RedisStore, RedisStoreBuilder};
pub use retention::{
    DEFAULT_MARGIN, DEFAULT_VISIT_CAP, MAX_JOINER_LEN, MAX_LIST_LIMIT, MAX_NOTE_LEN,
};
pub(crate) use retention::{
    check_inviter, check_joiner, check_note, code_forget_at, forget_at, from_unix_ms,
    live_forget_at, lookup_code, new_code, revocation_forget_at, unix_ms,
};
pub(crate) use rules::covers_ms;
pub use rules::{Cutoff, RevocationRule};
pub use settings::{DEFAULT_DEADLINE, StoreBuilder};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use sql::SqlStore;
#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteOptions, SqliteStore, SqliteStoreBuilder};
pub use status::{IssuedInvitation, Joiner, Redemption, Status, Visit};

/// The state a store keeps for invitations, shared by all backends.
///
/// Every method takes effect atomically for the one invitation it names. Methods return
/// `Send` futures, so stores work in multi-threaded runtimes and web frameworks.
pub trait Store: Send + Sync {
    /// Records that `joiner` (your user ID, 1 to 128 bytes) joined with `invitation`.
    ///
    /// # Errors
    ///
    /// [`Error::Revoked`]; [`Error::UsedUp`] when `max_uses` joiners already redeemed it;
    /// [`Error::Expired`] when the invitation is past its expiry plus the store's margin;
    /// [`Error::InvalidArgument`] for a bad joiner ID; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder().max_uses(2))?.invitation().clone();
    /// assert_eq!(store.redeem(&invitation, "user-1").await?.uses, 1);
    /// // A retry by the same joiner is accepted and not counted again.
    /// assert!(store.redeem(&invitation, "user-1").await?.repeated);
    /// store.redeem(&invitation, "user-2").await?;
    /// let third = store.redeem(&invitation, "user-3").await;
    /// assert_eq!(third, Err(admit::Error::UsedUp { max_uses: 2 }));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn redeem(
        &self,
        invitation: &Invitation,
        joiner: &str,
    ) -> impl Future<Output = Result<Redemption, Error>> + Send;

    /// Checks that the invitation is not revoked (by ID or by a
    /// [`revoke_issued_before`](Store::revoke_issued_before) rule) and not used up. Counts
    /// nothing: call it when showing a sign-up page, which mail scanners fetch too.
    ///
    /// # Errors
    ///
    /// [`Error::Revoked`]; [`Error::UsedUp`] when `max_uses` joiners already redeemed it;
    /// store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder().one_time())?.invitation().clone();
    /// store.check(&invitation).await?; // showing the sign-up page counts nothing
    /// store.redeem(&invitation, "user-1").await?;
    /// let later = store.check(&invitation).await;
    /// assert_eq!(later, Err(admit::Error::UsedUp { max_uses: 1 }));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn check(&self, invitation: &Invitation) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether this ID was revoked with [`revoke`](Store::revoke). (Rules from
    /// [`revoke_issued_before`](Store::revoke_issued_before) need the invitation's issue time
    /// and inviter: use [`check`](Store::check).)
    ///
    /// # Errors
    ///
    /// Store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// assert!(!store.is_revoked(invitation.id()).await?);
    /// store.revoke_invitation(&invitation).await?;
    /// assert!(store.is_revoked(invitation.id()).await?);
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn is_revoked(&self, id: InvitationId) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Revokes one invitation by ID. Returns `true` if it was not revoked before.
    ///
    /// The mark must outlive every copy of the token that still verifies, so how long it is
    /// kept depends on what the store can trust:
    ///
    /// - With `expires_at` taken from a *verified* invitation (or simply call
    ///   [`revoke_invitation`](Store::revoke_invitation)), it is kept until that expiry plus
    ///   the margin — or longer, if the store already keeps the invitation's state longer.
    /// - With `None`, it is kept as long as the store already keeps the invitation's state
    ///   (which was set from a verified invitation), or forever if it has none.
    ///
    /// Never pass an expiry read from a token that was not verified: a forged copy with the same
    /// ID and an earlier expiry would make the mark disappear while the real token still works.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] when `expires_at` plus the margin has already passed (such an
    /// invitation can no longer be redeemed; the mark would be dropped at once, so nothing is
    /// written — pass `None` if the expiry is not known for sure); store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// // The ID and expiry an admin page kept from when it minted.
    /// let (id, expires_at) = (invitation.id(), invitation.expires_at());
    /// assert!(store.revoke(id, expires_at).await?, "newly revoked");
    /// assert!(!store.revoke(id, expires_at).await?, "already revoked");
    /// let refused = store.redeem(&invitation, "user-1").await.unwrap_err();
    /// assert_eq!(refused.code(), "revoked");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Revokes a verified invitation: [`revoke`](Store::revoke) with its own expiry, which the
    /// signature vouches for. Returns `true` if it was not revoked before.
    ///
    /// # Errors
    ///
    /// Those of [`revoke`](Store::revoke).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// store.revoke_invitation(&invitation).await?;
    /// assert_eq!(store.check(&invitation).await.unwrap_err().code(), "revoked");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revoke_invitation(
        &self,
        invitation: &Invitation,
    ) -> impl Future<Output = Result<bool, Error>> + Send {
        self.revoke(invitation.id(), invitation.expires_at())
    }

    /// Revokes every invitation issued before `before` — all of them, or only those of one
    /// `inviter` — and returns the rule now in force. For "our signing key leaked" (rotate the
    /// key, then revoke what it signed) and "this inviter was abusive". Rules only ever move
    /// forward: an earlier `before` than one already set changes nothing, and the later rule is
    /// returned. Rules are kept until deleted from the store by hand.
    ///
    /// Tokens carry their issue time in whole seconds; the rule covers every invitation whose
    /// issue second starts before `before`, so nothing minted before the cut-off escapes (see
    /// [`RevocationRule::covers`]). A time in the future is refused unless given as
    /// [`Cutoff::allow_future`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad inviter or a cut-off in the future; store errors.
    /// On Redis Cluster the rule is written to each of the 64 buckets: after an error, part of
    /// them may have it, so retry (rules are idempotent).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let grace = issuer.mint(Invitation::builder().inviter("grace"))?.invitation().clone();
    /// let alan = issuer.mint(Invitation::builder().inviter("alan"))?.invitation().clone();
    /// // Everything grace invited until now (an abusive inviter).
    /// let rule = store
    ///     .revoke_issued_before(time::OffsetDateTime::now_utc(), Some("grace"))
    ///     .await?;
    /// assert!(rule.covers(grace.issued_at(), grace.inviter()));
    /// assert_eq!(store.redeem(&grace, "user-1").await.unwrap_err().code(), "revoked");
    /// store.redeem(&alan, "user-2").await?;
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revoke_issued_before(
        &self,
        before: impl Into<Cutoff> + Send,
        inviter: Option<&str>,
    ) -> impl Future<Output = Result<RevocationRule, Error>> + Send;

    /// The revocation rules in force, the everyone-rule first, then by inviter.
    ///
    /// # Errors
    ///
    /// Store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// store.revoke_issued_before(time::OffsetDateTime::now_utc(), None).await?;
    /// let rules = store.revocation_rules().await?;
    /// assert_eq!(rules.len(), 1);
    /// assert_eq!(rules[0].inviter, None, "everyone's invitations");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn revocation_rules(&self) -> impl Future<Output = Result<Vec<RevocationRule>, Error>> + Send;

    /// The settings the store's promises depend on, each with a verdict (see [`Health`]).
    ///
    /// # Errors
    ///
    /// Store errors when the server cannot be reached.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let health = store.health().await?;
    /// for check in health.problems() {
    ///     eprintln!("{check:?}"); // an in-memory store is not durable, for one
    /// }
    /// # let _ = health.verdict();
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn health(&self) -> impl Future<Output = Result<Health, Error>> + Send;

    /// Everything the store knows about one invitation, including the rule that revokes it
    /// (once the store has seen its issue time and inviter, by a redemption or a record).
    ///
    /// # Errors
    ///
    /// Store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder().max_uses(5))?.invitation().clone();
    /// store.redeem(&invitation, "user-1").await?;
    /// let status = store.status(invitation.id()).await?;
    /// assert_eq!((status.uses, status.max_uses), (1, Some(5)));
    /// assert_eq!(status.joiners[0].joiner, "user-1");
    /// assert!(!status.is_revoked());
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn status(&self, id: InvitationId) -> impl Future<Output = Result<Status, Error>> + Send;

    /// Adds a minted invitation to the registry behind [`list`](Store::list), with an optional
    /// description (at most 1024 bytes) for an admin page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad description; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let token = issuer.mint(Invitation::builder().inviter("grace"))?;
    /// store.record_issued(token.invitation(), Some("launch-day batch")).await?;
    /// let status = store.status(token.invitation().id()).await?;
    /// let issued = status.issued.expect("recorded");
    /// assert_eq!(issued.description.as_deref(), Some("launch-day batch"));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Recorded invitations that have not expired (or, with
    /// [`ListFilter::include_expired`], that the store still remembers), soonest expiry first
    /// (never-expiring last, ties by ID), each with its uses and revocation (by ID or by rule).
    /// A page holds up to [`ListFilter::limit`] of them; the next starts
    /// [`after`](ListFilter::after) the last one's [`cursor`](IssuedInvitation::cursor), and a
    /// shorter page is the last.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad filter; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::ListFilter;
    ///
    /// for _ in 0..3 {
    ///     let token = issuer.mint(Invitation::builder().inviter("grace"))?;
    ///     store.record_issued(token.invitation(), None).await?;
    /// }
    /// let page = store.list(&ListFilter::new().inviter("grace").limit(2)).await?;
    /// assert_eq!(page.len(), 2);
    /// let rest = ListFilter::new().inviter("grace").after(page[1].cursor());
    /// assert_eq!(store.list(&rest).await?.len(), 1);
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn list(
        &self,
        filter: &ListFilter,
    ) -> impl Future<Output = Result<Vec<IssuedInvitation>, Error>> + Send;

    /// How many invitations [`list`](Store::list) would return with `filter` over all its
    /// pages (its limit and cursor are ignored): the total an admin list shows. One query on
    /// PostgreSQL and SQLite and in memory; on Redis, one count of the index (an invitation
    /// whose state expired a moment ago may still be counted), or a read of the whole list for
    /// a [`search`](ListFilter::search).
    ///
    /// # Errors
    ///
    /// As [`list`](Store::list).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{ListFilter, MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// for email in ["ada@example.com", "adam@example.com", "bob@example.com"] {
    ///     let token = issuer.mint(Invitation::builder().email(email))?;
    ///     store.record_issued(token.invitation(), None).await?;
    /// }
    /// assert_eq!(store.count(&ListFilter::new()).await?, 3);
    /// assert_eq!(store.count(&ListFilter::new().search("ada")).await?, 2);
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn count(&self, filter: &ListFilter) -> impl Future<Output = Result<u64, Error>> + Send;
}

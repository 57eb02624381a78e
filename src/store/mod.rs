//! What a signature cannot say: revocation, use counts, who joined.
//!
//! A token proves who minted an invitation and until when. Whether it was *revoked*, whether
//! it is *used up*, and *who joined with it* change after minting, so they live in a
//! [`Store`]. Applications that need none of it never touch this module.
//!
//! Two backends implement the same [`Store`] trait and pass the same conformance suite:
//!
//! - [`MemoryStore`]: in process, no dependencies; for one process, tests, and examples.
//! - `RedisStore` (feature `redis`; Redis Cluster with feature `cluster`): shared by every
//!   process and machine, atomic through Lua scripts, with a deadline on every call.
//!
//! Semantics common to both:
//!
//! - [`Store::redeem`] is atomic: a revoked invitation fails with [`Error::Revoked`]; one at its
//!   limit with [`Error::UsedUp`]; a joiner that already redeemed it gets its first redemption
//!   back (not counted twice, so retrying after a timeout is safe); otherwise the count goes up
//!   by one.
//! - Revocation takes effect for every later call, everywhere, at once.
//! - State expires with the invitation: it is kept until the invitation's expiry plus a margin
//!   (1 hour by default; keep it at least as long as your verifier's leeway), then disappears
//!   by itself. No cleanup job. State of invitations that never expire stays until deleted.
//! - Every failure to reach the store is an error ([`Error::StoreUnavailable`],
//!   [`Error::StoreTimeout`]), never a success: callers fail closed.

use core::future::Future;

use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::invitation::{Claims, Invitation, InvitationId};
use crate::verifier::{Verifier, VerifyOptions};

mod code;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "cluster")]
mod slot;

pub use code::{CodeSpec, DEFAULT_CODE_LEN, RateLimit, VANITY_LEN};
pub use memory::{MemoryStore, MemoryStoreBuilder};
#[cfg(feature = "redis")]
pub use redis::{DEFAULT_DEADLINE, DEFAULT_PREFIX, RedisStore, RedisStoreBuilder};

/// How long state is kept after an invitation expires, unless configured otherwise.
pub const DEFAULT_MARGIN: Duration = Duration::hours(1);
/// Longest joiner ID, in bytes.
pub const MAX_JOINER_LEN: usize = 128;
/// Longest description or visit metadata, in bytes.
pub const MAX_NOTE_LEN: usize = 1024;
/// Most entries [`Store::list`] returns in one call.
pub const MAX_LIST_LIMIT: usize = 1000;
/// How many visits a store keeps per invitation, unless configured otherwise (newest first).
pub const DEFAULT_VISIT_CAP: usize = 100;

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
    fn redeem(
        &self,
        invitation: &Invitation,
        joiner: &str,
    ) -> impl Future<Output = Result<Redemption, Error>> + Send;

    /// Checks that the invitation is not revoked (by ID or by a
    /// [`revoke_issued_before`](Store::revoke_issued_before) rule). Does not count a use.
    ///
    /// # Errors
    ///
    /// [`Error::Revoked`]; store errors.
    fn check(&self, invitation: &Invitation) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether this ID was revoked with [`revoke`](Store::revoke). (Rules from
    /// [`revoke_issued_before`](Store::revoke_issued_before) need the invitation's issue time
    /// and inviter: use [`check`](Store::check).)
    ///
    /// # Errors
    ///
    /// Store errors.
    fn is_revoked(&self, id: InvitationId) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Revokes one invitation. Returns `true` if it was not revoked before.
    ///
    /// Pass the invitation's expiry when you know it (`invitation.expires_at()`): the
    /// revocation is then kept exactly until it no longer matters. With `None`, it is kept as
    /// long as the store already keeps that invitation's state, or forever if it has none.
    ///
    /// # Errors
    ///
    /// Store errors.
    fn revoke(
        &self,
        id: InvitationId,
        expires_at: Option<OffsetDateTime>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Revokes every invitation issued before `before` — all of them, or only those of one
    /// `inviter`. For "our signing key leaked" (rotate the key, then revoke what it signed) and
    /// "this inviter was abusive". Rules only ever move forward: an earlier `before` than one
    /// already set changes nothing. Rules are kept until deleted from the store by hand.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad inviter; store errors.
    fn revoke_issued_before(
        &self,
        before: OffsetDateTime,
        inviter: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Everything the store knows about one invitation.
    ///
    /// # Errors
    ///
    /// Store errors.
    fn status(&self, id: InvitationId) -> impl Future<Output = Result<Status, Error>> + Send;

    /// Adds a minted invitation to the registry behind [`list`](Store::list), with an optional
    /// description (at most 1024 bytes) for an admin page.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad description; store errors.
    fn record_issued(
        &self,
        invitation: &Invitation,
        description: Option<&str>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Recorded invitations that have not expired, soonest expiry first (never-expiring last).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad filter; store errors.
    fn list(
        &self,
        filter: &ListFilter,
    ) -> impl Future<Output = Result<Vec<IssuedInvitation>, Error>> + Send;

    /// Records a visit to an invitation link (say, the user agent and a coarse location), keeping
    /// only the newest visits (100 by default).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for metadata over 1024 bytes; store errors.
    fn record_visit(
        &self,
        invitation: &Invitation,
        metadata: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The recorded visits of an invitation, newest first.
    ///
    /// # Errors
    ///
    /// Store errors.
    fn visits(&self, id: InvitationId) -> impl Future<Output = Result<Vec<Visit>, Error>> + Send;

    /// Registers a short code for an already minted token and returns the code as people
    /// should see it (`7K3M-Q9XWD`, or your vanity code). The code expires with the invitation.
    /// The token is not verified here; whoever resolves the code verifies what comes back.
    ///
    /// # Errors
    ///
    /// [`Error::CodeTaken`] if the code is in use (creation is atomic: of two concurrent
    /// attempts at one vanity code, exactly one wins); [`Error::InvalidArgument`] for a bad
    /// vanity code; the decoding errors of the token; [`Error::Expired`] if the invitation is
    /// already past its expiry plus the store's margin; store errors.
    fn create_code(
        &self,
        token: &str,
        spec: &CodeSpec,
    ) -> impl Future<Output = Result<String, Error>> + Send;

    /// The token text behind a code, to verify as usual. Case, dashes, spaces and the
    /// look-alikes `I`/`L`/`O` do not matter.
    ///
    /// # Errors
    ///
    /// [`Error::MistypedCode`] when a random code's check character is wrong (no lookup is
    /// made); [`Error::UnknownCode`]; [`Error::InvalidArgument`] for text that cannot be a
    /// code; store errors.
    fn resolve_code(&self, code: &str) -> impl Future<Output = Result<String, Error>> + Send;

    /// Counts one attempt by `client` (an IP address, a session ID) against `limit` in the
    /// current fixed window, and returns how many attempts are left in it. Atomic across
    /// processes on Redis.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] once the limit is reached (the attempt is still counted);
    /// [`Error::InvalidArgument`] for a bad client or limit; store errors.
    fn count_attempt(
        &self,
        client: &str,
        limit: &RateLimit,
    ) -> impl Future<Output = Result<u32, Error>> + Send;

    /// [`count_attempt`](Store::count_attempt), then [`resolve_code`](Store::resolve_code): put
    /// this behind a code entry box.
    ///
    /// # Errors
    ///
    /// Those of the two calls.
    fn resolve_code_for(
        &self,
        client: &str,
        code: &str,
        limit: &RateLimit,
    ) -> impl Future<Output = Result<String, Error>> + Send {
        async move {
            self.count_attempt(client, limit).await?;
            self.resolve_code(code).await
        }
    }
}

/// The outcome of a successful [`Store::redeem`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redemption {
    /// How many joiners have redeemed the invitation, this one included.
    pub uses: u32,
    /// When this joiner redeemed it (the first time, if `repeated`).
    pub joined_at: OffsetDateTime,
    /// `true` when this joiner had already redeemed it: nothing was counted this time.
    pub repeated: bool,
}

/// What a store knows about one invitation ([`Store::status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The invitation.
    pub id: InvitationId,
    /// Whether the store holds any state for it.
    pub known: bool,
    /// How many joiners redeemed it.
    pub uses: u32,
    /// Its use limit, if it has one and the store has seen it.
    pub max_uses: Option<u32>,
    /// When it was revoked by ID, if it was.
    pub revoked_at: Option<OffsetDateTime>,
    /// Who joined and when, earliest first.
    pub joiners: Vec<Joiner>,
    /// Registry details, if it was recorded with [`Store::record_issued`].
    pub issued: Option<IssuedInvitation>,
}

/// One joiner of an invitation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Joiner {
    /// The joiner ID given to [`Store::redeem`].
    pub joiner: String,
    /// When it redeemed the invitation.
    pub joined_at: OffsetDateTime,
}

/// A recorded invitation, as [`Store::list`] shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct IssuedInvitation {
    /// The invitation.
    pub id: InvitationId,
    /// When it was minted.
    pub issued_at: OffsetDateTime,
    /// When it expires.
    pub expires_at: Option<OffsetDateTime>,
    /// The email it is bound to.
    pub email: Option<String>,
    /// Its use limit.
    pub max_uses: Option<u32>,
    /// Who invited.
    pub inviter: Option<String>,
    /// The description given to [`Store::record_issued`].
    pub description: Option<String>,
    /// How many joiners redeemed it so far.
    pub uses: u32,
    /// When it was revoked by ID, if it was.
    pub revoked_at: Option<OffsetDateTime>,
}

/// One visit to an invitation link ([`Store::record_visit`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Visit {
    /// When.
    pub at: OffsetDateTime,
    /// What the application recorded.
    pub metadata: String,
}

/// Which recorded invitations [`Store::list`] returns.
///
/// # Examples
///
/// ```
/// let filter = admit::store::ListFilter::new().inviter("grace").limit(20);
/// # let _ = filter;
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListFilter {
    pub(crate) inviter: Option<String>,
    pub(crate) limit: usize,
}

impl Default for ListFilter {
    fn default() -> ListFilter {
        ListFilter {
            inviter: None,
            limit: 100,
        }
    }
}

impl ListFilter {
    /// All active recorded invitations, at most 100.
    pub fn new() -> ListFilter {
        ListFilter::default()
    }

    /// Only those of this inviter.
    pub fn inviter(mut self, inviter: impl Into<String>) -> ListFilter {
        self.inviter = Some(inviter.into());
        self
    }

    /// At most this many (1 to 1000).
    pub fn limit(mut self, limit: usize) -> ListFilter {
        self.limit = limit;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if !(1..=MAX_LIST_LIMIT).contains(&self.limit) {
            return Err(Error::InvalidArgument {
                name: "limit",
                reason: "must be between 1 and 1000",
            });
        }
        if let Some(inviter) = &self.inviter {
            check_inviter(inviter)?;
        }
        Ok(())
    }
}

/// The canonical code and the form shown to people, for a new code.
pub(crate) fn new_code(spec: &CodeSpec) -> Result<(String, String), Error> {
    match &spec.kind {
        code::CodeKind::Vanity(given) => {
            let canonical = code::vanity(given)?;
            Ok((canonical, given.trim().to_ascii_uppercase()))
        }
        #[cfg(feature = "rand")]
        code::CodeKind::Random(len) => {
            let canonical = code::random(*len)?;
            let shown = code::display(&canonical);
            Ok((canonical, shown))
        }
        #[cfg(not(feature = "rand"))]
        code::CodeKind::Random(_) => Err(Error::InvalidArgument {
            name: "code",
            reason: "random codes need the `rand` feature",
        }),
    }
}

/// The canonical form of a code to resolve; random-shaped codes must pass their check.
pub(crate) fn lookup_code(code: &str) -> Result<String, Error> {
    let canonical = code::canonical(code)?;
    if code::random_shaped(&canonical) && !code::check_ok(&canonical) {
        return Err(Error::MistypedCode);
    }
    Ok(canonical)
}

/// When the store may forget a code for `token`: its expiry plus the margin. A code for an
/// invitation the store would already have forgotten is refused as expired.
pub(crate) fn code_forget_at(
    token: &str,
    margin: Duration,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, Error> {
    let seen = crate::verifier::inspect_unverified(token)?;
    refuse_if_forgotten(&seen, margin, now)?;
    Ok(forget_at(&seen, margin))
}

pub(crate) fn check_joiner(joiner: &str) -> Result<(), Error> {
    const NAME: &str = "joiner";
    if joiner.is_empty() {
        return Err(Error::InvalidArgument {
            name: NAME,
            reason: "must not be empty",
        });
    }
    if joiner.len() > MAX_JOINER_LEN {
        return Err(Error::InvalidArgument {
            name: NAME,
            reason: "must be at most 128 bytes",
        });
    }
    if joiner.chars().any(char::is_control) {
        return Err(Error::InvalidArgument {
            name: NAME,
            reason: "must not contain control characters",
        });
    }
    Ok(())
}

pub(crate) fn check_inviter(inviter: &str) -> Result<(), Error> {
    match crate::invitation::inviter_problem(inviter) {
        Some(reason) => Err(Error::InvalidArgument {
            name: "inviter",
            reason,
        }),
        None => Ok(()),
    }
}

pub(crate) fn check_note(name: &'static str, note: &str) -> Result<(), Error> {
    if note.len() > MAX_NOTE_LEN {
        return Err(Error::InvalidArgument {
            name,
            reason: "must be at most 1024 bytes",
        });
    }
    if note
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(Error::InvalidArgument {
            name,
            reason: "must not contain control characters other than newline and tab",
        });
    }
    Ok(())
}

/// When the store may forget an invitation: its expiry plus the margin (`None`: never).
pub(crate) fn forget_at(claims: &Claims, margin: Duration) -> Option<OffsetDateTime> {
    claims.expires_at().map(|e| e.saturating_add(margin))
}

/// A redemption after the store would have forgotten the invitation must not start a new
/// count, so it is refused as expired.
pub(crate) fn refuse_if_forgotten(
    claims: &Claims,
    margin: Duration,
    now: OffsetDateTime,
) -> Result<(), Error> {
    match (claims.expires_at(), forget_at(claims, margin)) {
        (Some(expired_at), Some(forget)) if now >= forget => {
            Err(Error::Expired { expired_at, now })
        }
        _ => Ok(()),
    }
}

/// A time as Unix milliseconds, as Redis keeps times.
pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Verification and a store together: the two calls a sign-up flow makes.
impl Verifier {
    /// Verifies `token` and checks with `store` that it is not revoked. Counts nothing: use it
    /// when showing the sign-up page (`GET`), which mail scanners also fetch.
    ///
    /// # Errors
    ///
    /// Those of [`Verifier::verify_with`], then [`Error::Revoked`] and store errors.
    pub async fn verify_and_check<S: Store>(
        &self,
        token: &str,
        options: VerifyOptions<'_>,
        store: &S,
    ) -> Result<Invitation, Error> {
        let invitation = self.verify_with(token, options)?;
        store.check(&invitation).await?;
        Ok(invitation)
    }

    /// Verifies `token` and redeems it for `joiner`: when the account is created (`POST`).
    ///
    /// # Errors
    ///
    /// Those of [`Verifier::verify_with`], then those of [`Store::redeem`].
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] {
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// use admit::{Invitation, Issuer, SigningKey, VerifyOptions, store::MemoryStore};
    ///
    /// let issuer = Issuer::new(SigningKey::generate()?, "acme/invite")?;
    /// let token = issuer.mint(Invitation::builder().email("ada@example.com").one_time())?;
    /// let verifier = issuer.verifier();
    /// let store = MemoryStore::new();
    /// let ada = VerifyOptions::new().email("ada@example.com");
    /// let (invitation, redemption) =
    ///     verifier.verify_and_redeem(token.as_str(), ada, &store, "user-1").await?;
    /// assert_eq!(redemption.uses, 1);
    /// let again = verifier.verify_and_redeem(token.as_str(), ada, &store, "user-2").await;
    /// assert_eq!(again.unwrap_err(), admit::Error::UsedUp { max_uses: 1 });
    /// # Ok::<(), admit::Error>(())
    /// # })?;
    /// # }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn verify_and_redeem<S: Store>(
        &self,
        token: &str,
        options: VerifyOptions<'_>,
        store: &S,
        joiner: &str,
    ) -> Result<(Invitation, Redemption), Error> {
        let invitation = self.verify_with(token, options)?;
        let redemption = store.redeem(&invitation, joiner).await?;
        Ok((invitation, redemption))
    }
}

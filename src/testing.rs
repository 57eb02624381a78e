//! Test helpers for applications that use admit (feature `test-util`).
//!
//! Testing a sign-up flow needs invitations in every state — valid, expired, revoked, used up,
//! bound to someone else — and a clock the test can move. [`Fixture`] gives all of that on a
//! [`MemoryStore`], deterministically: fixed keys, IDs from a counter, time from a [`TestClock`].
//!
//! **Never use these in production**: the keys are public, the IDs predictable.
//!
//! # Examples
//!
//! A plain function flow under test — the application's own sign-up step, then one test per
//! state:
//!
//! ```
//! use admit::store::{MemoryStore, Store};
//! use admit::testing::Fixture;
//! use admit::{Error, Verifier, VerifyOptions};
//!
//! // The application's code.
//! async fn sign_up(v: &Verifier, s: &MemoryStore, token: &str, email: &str) -> Result<u32, Error> {
//!     let (_, r) = v.verify_and_redeem(token, VerifyOptions::new().email(email), s, email).await?;
//!     Ok(r.uses)
//! }
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! # runtime.block_on(async {
//! let f = Fixture::new("acme/invite")?;
//! let (v, s) = (&f.verifier, &f.store);
//! assert_eq!(sign_up(v, s, f.valid_for("ada@example.com")?.as_str(), "ada@example.com").await, Ok(1));
//! assert_eq!(sign_up(v, s, f.expired()?.as_str(), "ada@example.com").await.unwrap_err().code(), "expired");
//! assert_eq!(sign_up(v, s, f.revoked()?.as_str(), "ada@example.com").await, Err(Error::Revoked));
//! assert_eq!(sign_up(v, s, f.used_up()?.as_str(), "ada@example.com").await, Err(Error::UsedUp { max_uses: 1 }));
//! assert_eq!(sign_up(v, s, f.wrong_email()?.as_str(), "ada@example.com").await, Err(Error::EmailMismatch));
//!
//! // A week later the valid one has expired too.
//! let token = f.valid()?;
//! f.clock.advance(time::Duration::days(8));
//! assert_eq!(sign_up(v, s, token.as_str(), "bob@example.com").await.unwrap_err().code(), "expired");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::invitation::{Invitation, InvitationBuilder, InvitationId};
use crate::issuer::{Issuer, Token};
use crate::key::SigningKey;
use crate::store::{MemoryStore, Store};
use crate::verifier::Verifier;

/// The email [`Fixture::wrong_email`] binds its invitations to.
pub const SOMEONE_ELSE: &str = "someone-else@example.test";

/// A deterministic signing key for tests: its seed is 32 copies of `n`. Public knowledge —
/// never use it outside tests.
///
/// # Examples
///
/// ```
/// let key = admit::testing::signing_key(1);
/// assert_eq!(*key.to_bytes(), [1; 32]);
/// assert_eq!(key.key_id(), admit::testing::signing_key(1).key_id());
/// ```
pub fn signing_key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// A clock that stands still until the test moves it. Clones share the time.
///
/// Give it to [`Issuer::clock`], [`Verifier::clock`] and
/// [`MemoryStoreBuilder::clock`](crate::store::MemoryStoreBuilder::clock) with
/// [`TestClock::source`].
#[derive(Clone, Debug)]
pub struct TestClock {
    nanos: Arc<AtomicI64>,
}

impl TestClock {
    /// A clock showing `start` (to the nanosecond, within ±292 years of 1970).
    ///
    /// # Examples
    ///
    /// ```
    /// use time::macros::datetime;
    ///
    /// let clock = admit::testing::TestClock::at(datetime!(2026-01-01 0:00 UTC));
    /// assert_eq!(clock.now(), datetime!(2026-01-01 0:00 UTC));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn at(start: OffsetDateTime) -> TestClock {
        let nanos = i64::try_from(start.unix_timestamp_nanos()).unwrap_or(0);
        TestClock {
            nanos: Arc::new(AtomicI64::new(nanos)),
        }
    }

    /// A clock showing the current time, then standing still.
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = admit::testing::TestClock::starting_now();
    /// let then = clock.now();
    /// std::thread::sleep(std::time::Duration::from_millis(5));
    /// assert_eq!(clock.now(), then, "it stands still");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn starting_now() -> TestClock {
        TestClock::at(OffsetDateTime::now_utc())
    }

    /// The time it shows.
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = admit::testing::TestClock::starting_now();
    /// assert!(clock.now() <= time::OffsetDateTime::now_utc());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.nanos.load(Ordering::SeqCst)))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Moves the clock (backwards, with a negative duration).
    ///
    /// # Examples
    ///
    /// ```
    /// let clock = admit::testing::TestClock::starting_now();
    /// let start = clock.now();
    /// clock.advance(time::Duration::days(8));
    /// assert_eq!(clock.now() - start, time::Duration::days(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = i64::try_from(by.whole_nanoseconds()).unwrap_or(0);
        self.nanos.fetch_add(by, Ordering::SeqCst);
    }

    /// Sets the clock.
    ///
    /// # Examples
    ///
    /// ```
    /// use time::macros::datetime;
    ///
    /// let clock = admit::testing::TestClock::starting_now();
    /// clock.set(datetime!(2030-06-01 12:00 UTC));
    /// assert_eq!(clock.now().year(), 2030);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set(&self, to: OffsetDateTime) {
        let nanos = i64::try_from(to.unix_timestamp_nanos()).unwrap_or(0);
        self.nanos.store(nanos, Ordering::SeqCst);
    }

    /// The clock as a function, for the `clock` settings of issuers, verifiers and stores.
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::store::MemoryStore;
    /// use admit::testing::{TestClock, signing_key};
    ///
    /// let clock = TestClock::starting_now();
    /// let issuer = admit::Issuer::new(signing_key(1), "acme/invite")?.clock(clock.source());
    /// let store = MemoryStore::builder().clock(clock.source()).build();
    /// # let _ = (issuer, store);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn source(&self) -> impl Fn() -> OffsetDateTime + Send + Sync + 'static {
        let clock = self.clone();
        move || clock.now()
    }
}

/// Everything a sign-up test needs, on one [`TestClock`]: an issuer and a verifier for one
/// context (fixed key), a [`MemoryStore`], and invitations in every state.
#[derive(Debug)]
pub struct Fixture {
    /// Mints with [`signing_key`]`(1)`, on the fixture's clock.
    pub issuer: Issuer,
    /// Verifies the issuer's tokens, on the fixture's clock.
    pub verifier: Verifier,
    /// A memory store on the fixture's clock.
    pub store: MemoryStore,
    /// The time everything above reads.
    pub clock: TestClock,
    next_id: AtomicU64,
}

impl Fixture {
    /// A fixture for `context`, its clock at the current time.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidContext`] for a bad context.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let token = f.valid()?;
    /// assert!(f.verifier.verify(token.as_str()).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(context: &str) -> Result<Fixture, Error> {
        let clock = TestClock::starting_now();
        let issuer = Issuer::new(signing_key(1), context)?.clock(clock.source());
        let verifier = issuer.verifier();
        let store = MemoryStore::builder().clock(clock.source()).build();
        Ok(Fixture {
            issuer,
            verifier,
            store,
            clock,
            next_id: AtomicU64::new(1),
        })
    }

    /// Mints `invitation` now, with the next ID of a counter (`…0001`, `…0002`, …).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for a claim that breaks a rule.
    ///
    /// # Examples
    ///
    /// ```
    /// use admit::Invitation;
    ///
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let token = f.mint(Invitation::builder().inviter("grace").max_uses(3))?;
    /// assert_eq!(f.verifier.verify(token.as_str())?.inviter(), Some("grace"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mint(&self, invitation: impl AsRef<InvitationBuilder>) -> Result<Token, Error> {
        self.mint_at(invitation, self.clock.now())
    }

    fn mint_at(
        &self,
        invitation: impl AsRef<InvitationBuilder>,
        at: OffsetDateTime,
    ) -> Result<Token, Error> {
        let n = self.next_id.fetch_add(1, Ordering::SeqCst);
        let mut id = [0u8; crate::invitation::ID_LEN];
        id[4..].copy_from_slice(&n.to_be_bytes());
        self.issuer
            .mint_with_id(invitation, InvitationId::from_bytes(id), at)
    }

    /// A valid invitation, open to anyone, for 7 days.
    ///
    /// # Errors
    ///
    /// None in practice; the signature is kept for uniformity.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let invitation = f.verifier.verify(f.valid()?.as_str())?;
    /// assert_eq!(invitation.email(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn valid(&self) -> Result<Token, Error> {
        self.mint(Invitation::builder())
    }

    /// A valid one-time invitation bound to `email`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClaim`] for an invalid email.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let token = f.valid_for("ada@example.com")?;
    /// let ada = admit::VerifyOptions::new().email("ada@example.com");
    /// assert!(f.verifier.verify_with(token.as_str(), ada).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn valid_for(&self, email: &str) -> Result<Token, Error> {
        self.mint(Invitation::builder().email(email).one_time())
    }

    /// An invitation that expired a day ago (minted two days ago for one day).
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let refused = f.verifier.verify(f.expired()?.as_str()).unwrap_err();
    /// assert_eq!(refused.code(), "expired");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn expired(&self) -> Result<Token, Error> {
        self.mint_at(
            Invitation::builder().ttl(Duration::DAY),
            self.clock.now() - Duration::days(2),
        )
    }

    /// A valid invitation, revoked in the fixture's store.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// use admit::store::Store;
    ///
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let invitation = f.verifier.verify(f.revoked()?.as_str())?; // the signature is fine
    /// assert_eq!(f.store.check(&invitation).await, Err(admit::Error::Revoked));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn revoked(&self) -> Result<Token, Error> {
        let token = self.valid()?;
        let invitation = token.invitation();
        ready(self.store.revoke(invitation.id(), invitation.expires_at()))?;
        Ok(token)
    }

    /// A one-time invitation already redeemed by `someone-else` in the fixture's store.
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// # runtime.block_on(async {
    /// use admit::store::Store;
    ///
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let invitation = f.verifier.verify(f.used_up()?.as_str())?;
    /// let refused = f.store.check(&invitation).await;
    /// assert_eq!(refused, Err(admit::Error::UsedUp { max_uses: 1 }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn used_up(&self) -> Result<Token, Error> {
        let token = self.mint(Invitation::builder().one_time())?;
        ready(self.store.redeem(token.invitation(), "someone-else"))?;
        Ok(token)
    }

    /// A valid invitation bound to [`SOMEONE_ELSE`].
    ///
    /// # Errors
    ///
    /// None in practice.
    ///
    /// # Examples
    ///
    /// ```
    /// let f = admit::testing::Fixture::new("acme/invite")?;
    /// let ada = admit::VerifyOptions::new().email("ada@example.com");
    /// let refused = f.verifier.verify_with(f.wrong_email()?.as_str(), ada);
    /// assert_eq!(refused.unwrap_err(), admit::Error::EmailMismatch);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wrong_email(&self) -> Result<Token, Error> {
        self.valid_for(SOMEONE_ELSE)
    }
}

/// Runs a memory-store future, which is ready at its first poll.
fn ready<T>(future: impl Future<Output = Result<T, Error>>) -> Result<T, Error> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => result,
        Poll::Pending => Err(Error::StoreUnavailable {
            reason: "the memory store did not answer at once".into(),
        }),
    }
}

//! What some stores can do beyond [`Store`]: keep the visits of invitation links, map short
//! codes to tokens, count attempts, keep an event log. Every store of this crate has all four; each is a trait of
//! its own so that a store (or a wrapper around one) without a power says so in its type, and
//! code that needs a power names it in its bounds (`S: Store + ShortCodes`).

use core::future::Future;

use super::{CodeSpec, Event, EventFilter, Funnel, FunnelQuery, RateLimit, Store, Visit};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

/// A store that keeps the visits of invitation links (who opened a link, before anyone joins).
pub trait Visits: Store {
    /// Records a visit to an invitation link (say, the user agent and a coarse location), keeping
    /// only the newest visits (100 by default).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for metadata over 1024 bytes; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Visits}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// store.record_visit(&invitation, "ua=Mozilla/5.0; country=NL").await?;
    /// assert_eq!(store.visits(invitation.id()).await?.len(), 1);
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Visits}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// store.record_visit(&invitation, "first").await?;
    /// store.record_visit(&invitation, "second").await?;
    /// let visits = store.visits(invitation.id()).await?;
    /// assert_eq!(visits[0].metadata, "second", "newest first");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn visits(&self, id: InvitationId) -> impl Future<Output = Result<Vec<Visit>, Error>> + Send;
}

/// A store that maps short codes people can type (`7K3M-Q9XWD`, `LAUNCH-2024`) to tokens, as
/// [`code`](super::CodeSpec) describes.
pub trait ShortCodes: Store {
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
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, ShortCodes}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::CodeSpec;
    ///
    /// let token = issuer.mint(Invitation::builder())?;
    /// let code = store.create_code(token.as_str(), &CodeSpec::random()).await?;
    /// assert_eq!(store.resolve_code(&code).await?, token.as_str());
    /// // A vanity code is taken once.
    /// store.create_code(token.as_str(), &CodeSpec::vanity("LAUNCH24")).await?;
    /// let again = store.create_code(token.as_str(), &CodeSpec::vanity("LAUNCH24")).await;
    /// assert_eq!(again, Err(admit::Error::CodeTaken));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, ShortCodes}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::CodeSpec;
    ///
    /// let token = issuer.mint(Invitation::builder())?;
    /// let code = store.create_code(token.as_str(), &CodeSpec::random()).await?;
    /// // What a person typed: lower case, with spaces or dashes.
    /// let typed = code.to_lowercase();
    /// assert_eq!(store.resolve_code(&typed).await?, token.as_str());
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn resolve_code(&self, code: &str) -> impl Future<Output = Result<String, Error>> + Send;

    /// [`count_attempt`](AttemptLimiter::count_attempt), then [`resolve_code`](ShortCodes::resolve_code): put
    /// this behind a code entry box.
    ///
    /// # Errors
    ///
    /// Those of the two calls.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, ShortCodes}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::{CodeSpec, RateLimit};
    ///
    /// let token = issuer.mint(Invitation::builder())?;
    /// let code = store.create_code(token.as_str(), &CodeSpec::random()).await?;
    /// let limit = RateLimit::per_minute(10);
    /// let found = store.resolve_code_for("203.0.113.7", &code, &limit).await?;
    /// assert_eq!(found, token.as_str());
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn resolve_code_for(
        &self,
        client: &str,
        code: &str,
        limit: &RateLimit,
    ) -> impl Future<Output = Result<String, Error>> + Send
    where
        Self: AttemptLimiter,
    {
        async move {
            self.count_attempt(client, limit).await?;
            self.resolve_code(code).await
        }
    }
}

/// A store that counts attempts per client in fixed windows: what to put in front of anything
/// guessable, such as a box where people type short codes.
pub trait AttemptLimiter: Store {
    /// Counts one attempt by `client` (an IP address, a session ID) against `limit` in the
    /// current fixed window, and returns how many attempts are left in it. Atomic across
    /// processes on Redis.
    ///
    /// # Errors
    ///
    /// [`Error::RateLimited`] once the limit is reached (the attempt is still counted);
    /// [`Error::InvalidArgument`] for a bad client or limit; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{AttemptLimiter, MemoryStore}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::RateLimit;
    ///
    /// let limit = RateLimit::per_minute(2);
    /// assert_eq!(store.count_attempt("203.0.113.7", &limit).await?, 1);
    /// store.count_attempt("203.0.113.7", &limit).await?;
    /// let third = store.count_attempt("203.0.113.7", &limit).await;
    /// assert_eq!(third.unwrap_err().code(), "rate_limited");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn count_attempt(
        &self,
        client: &str,
        limit: &RateLimit,
    ) -> impl Future<Output = Result<u32, Error>> + Send;
}

/// A store's event log: every fact it records, in order, written in the same atomic step as
/// the fact (see [`Event`] and `docs/events.md`). Every store of this crate has one.
pub trait Events: Store {
    /// A page of the log: the events that pass `filter`, in cursor order, at most
    /// [`limit`](EventFilter::limit) of them. Returns at once, with an empty page at the end of
    /// the log; [`next_events`](Events::next_events) waits instead.
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
    /// use admit::store::{EventFilter, EventKind, Events};
    ///
    /// let invitation = issuer.mint(Invitation::builder().one_time())?.invitation().clone();
    /// store.redeem(&invitation, "user-1").await?;
    /// let timeline = store.events(&EventFilter::new().invitation(invitation.id())).await?;
    /// let kinds: Vec<&str> = timeline.iter().map(|e| e.event_type().as_str()).collect();
    /// assert_eq!(kinds, ["redeemed", "exhausted"]);
    /// assert!(matches!(&timeline[0].kind, EventKind::Redeemed { uses: 1, .. }));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn events(
        &self,
        filter: &EventFilter,
    ) -> impl Future<Output = Result<Vec<Event>, Error>> + Send;

    /// The next page of the log that holds at least one event passing `filter`, waiting for
    /// it as long as it takes: what a follower calls in a loop, moving `filter` after the last
    /// event each time. It does not poll in a tight loop: the memory store wakes it when an
    /// event is written, the others look again every 100 ms. Bound the wait with your runtime's
    /// timeout (`tokio::time::timeout`) to stop following.
    ///
    /// # Errors
    ///
    /// Those of [`events`](Events::events).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::{EventFilter, Events};
    ///
    /// let follower = tokio::spawn({
    ///     let store = store.clone();
    ///     async move { store.next_events(&EventFilter::new()).await }
    /// });
    /// let token = issuer.mint(Invitation::builder())?;
    /// store.record_issued(token.invitation(), None).await?;
    /// let page = follower.await.expect("not cancelled")?;
    /// assert_eq!(page[0].event_type().as_str(), "issued");
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn next_events(
        &self,
        filter: &EventFilter,
    ) -> impl Future<Output = Result<Vec<Event>, Error>> + Send;

    /// Funnel numbers for a period: of the invitations issued in it (recorded with
    /// [`record_issued`](Store::record_issued)), how many were opened (visited or redeemed)
    /// and how many redeemed until now, with how many joined, in total and per inviter.
    ///
    /// It reads the `issued`, `visited` and `redeemed` events written since the period began
    /// (the SQL stores select them in the query; memory and Redis skip the rest as they read),
    /// so it counts what the log still holds: by default an invitation's events are kept as
    /// long as its state, longer with
    /// [`keep_events`](super::StoreBuilder::keep_events). Invitations that were never recorded
    /// are not in any funnel.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad inviter; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::{Events, FunnelQuery};
    /// use time::{Duration, OffsetDateTime};
    ///
    /// for n in 0..4 {
    ///     let token = issuer.mint(Invitation::builder().inviter("grace"))?;
    ///     store.record_issued(token.invitation(), None).await?;
    ///     if n == 0 {
    ///         store.redeem(token.invitation(), "user-1").await?;
    ///     }
    /// }
    /// let now = OffsetDateTime::now_utc();
    /// let funnel = store.funnel(&FunnelQuery::new(now - Duration::days(7), now + Duration::minutes(1))?).await?;
    /// assert_eq!((funnel.total.issued, funnel.total.redeemed), (4, 1));
    /// assert_eq!(funnel.total.conversion(), Some(0.25));
    /// assert_eq!(funnel.inviters[0].inviter.as_deref(), Some("grace"));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn funnel(&self, query: &FunnelQuery) -> impl Future<Output = Result<Funnel, Error>> + Send;

    /// The record a follower of the log keeps in the store under `name` (1 to 128 bytes),
    /// with its version: where it is in the log, a lease, whatever it needs to survive a
    /// restart. `None` until the first [`set_consumer`](Events::set_consumer). The webhook
    /// sender keeps its endpoint's cursor and lease here.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad name; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use admit::store::{Events, MemoryStore};
    ///
    /// let store = MemoryStore::new();
    /// assert_eq!(store.consumer("mailer").await?, None);
    /// assert!(store.set_consumer("mailer", 0, "after=0-42").await?);
    /// assert_eq!(store.consumer("mailer").await?, Some((1, "after=0-42".to_owned())));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn consumer(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<(i64, String)>, Error>> + Send;

    /// Replaces the record of `name` with `record` (at most 4096 bytes) if its version is
    /// still `version` (0: there is none yet): compare-and-set, so two followers that read the
    /// same version cannot both write. Whether it did.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad name or a record over 4096 bytes; store errors.
    ///
    /// # Examples
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use admit::store::{Events, MemoryStore};
    ///
    /// let store = MemoryStore::new();
    /// assert!(store.set_consumer("mailer", 0, "a").await?);
    /// assert!(!store.set_consumer("mailer", 0, "b").await?, "someone wrote first");
    /// assert!(store.set_consumer("mailer", 1, "b").await?);
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn set_consumer(
        &self,
        name: &str,
        version: i64,
        record: &str,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// This store, sharing its state and connections, writing `actor` into every event it
    /// writes: the admin who revoked, the service that minted. Cheap (a clone); make one per
    /// request.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for an actor that is empty, over 128 bytes, or holds
    /// control characters.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(feature = "rand")] tokio::runtime::Runtime::new()?.block_on(async {
    /// # use admit::{store::{MemoryStore, Store}, Invitation, Issuer, SigningKey};
    /// # let (issuer, store) = (Issuer::new(SigningKey::generate()?, "acme/invite")?, MemoryStore::new());
    /// use admit::store::{EventFilter, Events};
    ///
    /// let invitation = issuer.mint(Invitation::builder())?.invitation().clone();
    /// store.acting_as("admin:grace")?.revoke_invitation(&invitation).await?;
    /// let log = store.events(&EventFilter::new()).await?;
    /// assert_eq!(log[0].actor.as_deref(), Some("admin:grace"));
    /// # Ok::<(), admit::Error>(()) })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn acting_as(&self, actor: &str) -> Result<Self, Error>
    where
        Self: Sized;
}

//! The delivery worker: follows a store's event log from a cursor kept in the store and POSTs
//! each event to one endpoint, signed per Standard Webhooks.

use core::time::Duration;
use std::collections::BTreeMap;
use std::sync::Arc;

use time::OffsetDateTime;
use tokio::sync::Mutex;

use super::WebhookSecret;
use super::record::{EndpointStatus, Record};
use super::target::{Target, public_only};
use crate::error::Error;
use crate::store::{Event, EventCursor, EventFilter, EventType, Events, unix_ms};

/// Settings of a [`WebhookSender`]; see [`WebhookSender::builder`].
#[derive(Clone, Debug)]
pub struct WebhookSenderBuilder<S> {
    store: S,
    url: String,
    secret: WebhookSecret,
    name: Option<String>,
    types: Vec<EventType>,
    timeout: Duration,
    max_attempts: u32,
    backoff: (Duration, Duration),
    lease: Duration,
    page: usize,
    allow_internal: bool,
    client: Option<reqwest::Client>,
}

/// Delivers a store's events to one webhook endpoint, at least once, in order per invitation.
///
/// - **Where it is** is a record in the store ([`Events::consumer`]), under the endpoint's
///   name: the cursor of the last event delivered, moved forward only after the endpoint
///   acknowledged every event before it (a 2xx answer). A worker that stops, crashes or
///   restarts goes on from there, so an event may be delivered again, never skipped.
/// - **One worker at a time** per endpoint: the record holds a lease (30 s by default,
///   renewed while delivering). Start as many workers as you like; one delivers, the others
///   wait and take over when its lease runs out.
/// - **Each delivery** is a POST of the event's JSON (the shape `admit events --format json`
///   prints) with `webhook-id` (`evt_<cursor>`, the same on every retry: the receiver's
///   idempotency key), `webhook-timestamp` and `webhook-signature` (Standard Webhooks, HMAC-
///   SHA256 with the `whsec_` secret). Redirects are not followed.
/// - **Order**: a page of events is delivered invitation by invitation, each invitation's
///   events one after the other in log order, different invitations at the same time.
/// - **Failures** (not 2xx, a timeout, a refused connection) are retried with exponential
///   backoff and jitter (0.5 s doubling to 60 s by default). After `max_attempts` failures in
///   a row (8) the endpoint counts as failing ([`EndpointStatus::failing_since`], shown by
///   `admit webhooks status` and the admin pages); the worker keeps retrying at the longest
///   backoff, and the mark goes with the next success.
/// - **Targets** must be `http(s)` URLs that do not resolve to loopback, private or other
///   internal addresses, checked again on every connection, unless
///   [`allow_internal_targets`](WebhookSenderBuilder::allow_internal_targets).
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), admit::Error> {
/// use admit::store::SqliteStore;
/// use admit::webhooks::{WebhookSecret, WebhookSender};
///
/// let store = SqliteStore::open("admit.db").await?;
/// let secret: WebhookSecret = std::env::var("WEBHOOK_SECRET").unwrap_or_default().parse()?;
/// let sender = WebhookSender::builder(store, "https://hooks.example.com/admit", secret)
///     .name("crm")
///     .build()?;
/// sender.run_until(async { let _ = tokio::signal::ctrl_c().await; }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebhookSender<S> {
    store: S,
    name: String,
    target: Target,
    secret: WebhookSecret,
    client: reqwest::Client,
    types: Vec<EventType>,
    timeout: Duration,
    max_attempts: u32,
    backoff: (Duration, Duration),
    lease: Duration,
    page: usize,
    /// This worker's name in the lease.
    worker: String,
}

impl<S> core::fmt::Debug for WebhookSender<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The secret stays out; the URL's path may name a tenant, but never a password
        // (refused when the sender is built).
        f.debug_struct("WebhookSender")
            .field("name", &self.name)
            .field("url", &self.target.url.as_str())
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

/// What one call of [`WebhookSender::deliver_next`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Batch {
    /// Events delivered (acknowledged by the endpoint) and committed.
    pub delivered: usize,
    /// The cursor now stored: the last event delivered.
    pub cursor: Option<EventCursor>,
    /// Failed attempts along the way (each retried).
    pub retries: u32,
    /// Another worker holds the lease: this one delivered nothing and waited.
    pub waiting: bool,
}

impl<S: Events + Clone + Send + Sync + 'static> WebhookSender<S> {
    /// A sender of `store`'s events to `url`, signed with `secret`.
    pub fn builder(store: S, url: &str, secret: WebhookSecret) -> WebhookSenderBuilder<S> {
        WebhookSenderBuilder {
            store,
            url: url.to_owned(),
            secret,
            name: None,
            types: Vec::new(),
            timeout: Duration::from_secs(10),
            max_attempts: 8,
            backoff: (Duration::from_millis(500), Duration::from_secs(60)),
            lease: Duration::from_secs(30),
            page: 100,
            allow_internal: false,
            client: None,
        }
    }
}

impl<S: Events + Clone + Send + Sync + 'static> WebhookSenderBuilder<S> {
    /// The endpoint's name: its record in the store (default `webhook`). Give each endpoint
    /// its own.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Only events of these kinds (every kind by default); the others are passed over.
    pub fn types(mut self, types: impl IntoIterator<Item = EventType>) -> Self {
        self.types.extend(types);
        self
    }

    /// How long one POST may take (default 10 s); longer counts as a failure.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Failures in a row after which the endpoint counts as failing (default 8).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The first retry's delay and the longest (default 0.5 s and 60 s); each retry doubles
    /// the delay, with ±50% jitter.
    pub fn backoff(mut self, first: Duration, longest: Duration) -> Self {
        self.backoff = (first, longest);
        self
    }

    /// How long a worker's lease lasts without renewal (default 30 s): how long a crashed
    /// worker holds up the others. Keep it well above the timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Events read and delivered per page (1 to 1000; default 100).
    pub fn page(mut self, page: usize) -> Self {
        self.page = page;
        self
    }

    /// Allows targets on loopback, private and other internal addresses: for a receiver you
    /// run yourself (tests, a sidecar), never for URLs users enter.
    pub fn allow_internal_targets(mut self) -> Self {
        self.allow_internal = true;
        self
    }

    /// Sends with this client (your proxy, TLS and connection settings) instead of the
    /// sender's own. Its resolver is yours: internal addresses behind a name are then not
    /// refused on connection, only IP literals and `localhost` when the sender is built.
    pub fn client(mut self, client: reqwest::Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The sender.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a URL that cannot be a target (see
    /// [`WebhookSender`]), a bad name, a page size out of range, a timeout not below the
    /// lease, or a zero attempt count; [`Error::Random`] without OS randomness.
    pub fn build(self) -> Result<WebhookSender<S>, Error> {
        let target = Target::parse(&self.url, self.allow_internal)?;
        let name = self.name.unwrap_or_else(|| "webhook".to_owned());
        let bad = |name, reason| Err(Error::InvalidArgument { name, reason });
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return bad(
                "webhook name",
                "must be 1 to 100 bytes, no control characters",
            );
        }
        if !(1..=1000).contains(&self.page) {
            return bad("page", "must be 1 to 1000");
        }
        if self.max_attempts == 0 {
            return bad("max_attempts", "must be at least 1");
        }
        if self.timeout.is_zero() || self.timeout.saturating_mul(2) > self.lease {
            return bad("timeout", "must be above zero and at most half the lease");
        }
        let client = match self.client {
            Some(client) => client,
            None => {
                let mut builder = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("admit-webhooks/", env!("CARGO_PKG_VERSION")));
                if !self.allow_internal {
                    builder = builder.dns_resolver(public_only());
                }
                builder.build().map_err(|_| Error::InvalidArgument {
                    name: "webhook client",
                    reason: "the HTTP client could not be set up (TLS)",
                })?
            }
        };
        let mut worker = [0u8; 6];
        crate::random::fill(&mut worker)?;
        let mut id = String::with_capacity(12);
        crate::hex::push(&mut id, &worker);
        Ok(WebhookSender {
            store: self.store,
            name: format!("webhook:{name}"),
            target,
            secret: self.secret,
            client,
            types: self.types,
            timeout: self.timeout,
            max_attempts: self.max_attempts,
            backoff: self.backoff,
            lease: self.lease,
            page: self.page,
            worker: id,
        })
    }
}

/// The record as read, with its version, shared by the tasks of one page.
struct Held {
    version: i64,
    record: Record,
}

/// Why a page stopped early.
enum Abort {
    /// Another worker took the lease: stop without committing.
    LeaseLost,
    Store(Error),
}

impl From<Error> for Abort {
    fn from(e: Error) -> Abort {
        Abort::Store(e)
    }
}

impl<S: Events + Clone + Send + Sync + 'static> WebhookSender<S> {
    /// This worker's name in the lease (random, 12 hex digits).
    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Where the endpoint stands.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub async fn status(&self) -> Result<EndpointStatus, Error> {
        let record = self.load().await?.record;
        EndpointStatus::of(self.public_name(), &record, self.now_ms())
    }

    fn public_name(&self) -> &str {
        self.name.strip_prefix("webhook:").unwrap_or(&self.name)
    }

    fn now_ms(&self) -> i64 {
        unix_ms(OffsetDateTime::now_utc())
    }

    async fn load(&self) -> Result<Held, Error> {
        Ok(match self.store.consumer(&self.name).await? {
            Some((version, text)) => Held {
                version,
                record: Record::parse(&text)?,
            },
            None => Held {
                version: 0,
                record: Record::default(),
            },
        })
    }

    /// Changes the record with `change` while this worker holds the lease (taking it when it
    /// is free or ran out), renewing the lease; reads again when another write came first.
    async fn update(&self, held: &Mutex<Held>, change: impl Fn(&mut Record)) -> Result<(), Abort> {
        let mut held = held.lock().await;
        loop {
            let now = self.now_ms();
            let mine = held.record.holder.as_deref() == Some(self.worker.as_str());
            if !mine && held.record.lease_until_ms > now {
                return Err(Abort::LeaseLost);
            }
            let mut next = held.record.clone();
            change(&mut next);
            next.holder = Some(self.worker.clone());
            let lease = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
            next.lease_until_ms = now.saturating_add(lease);
            if self
                .store
                .set_consumer(&self.name, held.version, &next.text()?)
                .await?
            {
                held.version += 1;
                held.record = next;
                return Ok(());
            }
            *held = self.load().await?;
        }
    }

    /// Delivers the next page of events: takes (or renews) the lease, waits for events (up to
    /// a third of the lease), delivers them, and stores the new cursor. Call it in a loop, or
    /// use [`run_until`](WebhookSender::run_until).
    ///
    /// # Errors
    ///
    /// Store errors. Endpoint failures are not errors: they are retried, and counted in the
    /// endpoint's status.
    pub async fn deliver_next(&self) -> Result<Batch, Error> {
        let held = Mutex::new(self.load().await?);
        match self.update(&held, |_| {}).await {
            Ok(()) => {}
            Err(Abort::LeaseLost) => {
                // Another worker delivers: wait a third of the lease, then look again.
                tokio::time::sleep(self.lease / 3).await;
                return Ok(Batch {
                    waiting: true,
                    ..Batch::default()
                });
            }
            Err(Abort::Store(e)) => return Err(e),
        }
        let after = held.lock().await.record.cursor()?;
        let mut filter = EventFilter::new()
            .limit(self.page)
            .types(self.types.clone());
        if let Some(after) = after {
            filter = filter.after(after);
        }
        let page = match tokio::time::timeout(self.lease / 3, self.store.next_events(&filter)).await
        {
            Ok(page) => page?,
            Err(_) => {
                return Ok(Batch {
                    cursor: after,
                    ..Batch::default()
                });
            }
        };
        let held = Arc::new(held);
        let retries = match self.deliver_page(&page, &held).await {
            Ok(retries) => retries,
            Err(Abort::LeaseLost) => {
                return Ok(Batch {
                    waiting: true,
                    cursor: after,
                    ..Batch::default()
                });
            }
            Err(Abort::Store(e)) => return Err(e),
        };
        let last = page.last().map(|e| e.cursor);
        let delivered = page.len();
        let now = self.now_ms();
        let committed = self
            .update(&held, |r| {
                r.after = last.map(|c| c.to_string());
                r.delivered = r.delivered.saturating_add(delivered as u64);
                r.failures = 0;
                r.failing_since_ms = None;
                r.last_success_ms = Some(now);
            })
            .await;
        match committed {
            Ok(()) => Ok(Batch {
                delivered,
                cursor: last,
                retries,
                waiting: false,
            }),
            Err(Abort::LeaseLost) => Ok(Batch {
                waiting: true,
                cursor: after,
                retries,
                ..Batch::default()
            }),
            Err(Abort::Store(e)) => Err(e),
        }
    }

    /// Delivers every event of `page`: invitation by invitation, at the same time; each
    /// invitation's events in order. The failed attempts along the way.
    async fn deliver_page(&self, page: &[Event], held: &Arc<Mutex<Held>>) -> Result<u32, Abort> {
        let mut groups: BTreeMap<Option<[u8; 12]>, Vec<Event>> = BTreeMap::new();
        for event in page {
            let key = event.invitation.map(|id| id.to_bytes());
            groups.entry(key).or_default().push(event.clone());
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (_, events) in groups {
            let me = self.clone_parts();
            let held = Arc::clone(held);
            tasks.spawn(async move {
                let mut retries = 0;
                for event in &events {
                    retries += me.deliver_one(event, &held).await?;
                }
                Ok::<u32, Abort>(retries)
            });
        }
        let mut retries = 0;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(n)) => retries += n,
                Ok(Err(abort)) => return Err(abort),
                Err(_) => {
                    return Err(Abort::Store(Error::StoreUnavailable {
                        reason: "a webhook delivery task failed".into(),
                    }));
                }
            }
        }
        Ok(retries)
    }

    /// A copy of what delivering needs, for a task.
    fn clone_parts(&self) -> Arc<WebhookSender<S>> {
        Arc::new(self.clone())
    }

    /// Delivers one event until the endpoint takes it; the failed attempts.
    async fn deliver_one(&self, event: &Event, held: &Mutex<Held>) -> Result<u32, Abort> {
        let body = serde_json::to_vec(event).map_err(|_| {
            Abort::Store(Error::StoreUnavailable {
                reason: "an event could not be written as JSON".into(),
            })
        })?;
        let id = format!("evt_{}", event.cursor);
        let mut failures = 0u32;
        loop {
            // Renew the lease before an attempt could outlast it.
            let until = held.lock().await.record.lease_until_ms;
            let timeout_ms = i64::try_from(self.timeout.as_millis()).unwrap_or(i64::MAX);
            if until - self.now_ms() < timeout_ms.saturating_mul(2) {
                self.update(held, |_| {}).await?;
            }
            let outcome = self.post(&id, &body).await;
            let Err(problem) = outcome else {
                return Ok(failures);
            };
            failures += 1;
            let now = self.now_ms();
            let max = self.max_attempts;
            self.update(held, |r| {
                r.failures = r.failures.saturating_add(1);
                if r.failures >= max && r.failing_since_ms.is_none() {
                    r.failing_since_ms = Some(now);
                }
                r.last_error = Some(problem.clone());
            })
            .await?;
            tokio::time::sleep(self.delay(failures)).await;
        }
    }

    /// One POST; what went wrong, if anything (no secret, no body).
    async fn post(&self, id: &str, body: &[u8]) -> Result<(), String> {
        let timestamp = OffsetDateTime::now_utc().unix_timestamp();
        let signature = self.secret.sign(id, timestamp, body);
        let sent = self
            .client
            .post(self.target.url.clone())
            .timeout(self.timeout)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_vec())
            .send()
            .await;
        match sent {
            Ok(answer) if answer.status().is_success() => Ok(()),
            Ok(answer) => Err(format!("answered {}", answer.status().as_u16())),
            Err(e) if e.is_timeout() => {
                Err(format!("no answer within {} ms", self.timeout.as_millis()))
            }
            Err(e) if e.is_connect() => Err("could not connect".to_owned()),
            Err(_) => Err("the request failed (connection lost)".to_owned()),
        }
    }

    /// The pause after the `n`th failure in a row: doubling from the first delay up to the
    /// longest, with ±50% jitter so many workers do not retry in step.
    fn delay(&self, n: u32) -> Duration {
        let (first, longest) = self.backoff;
        let base = first
            .saturating_mul(1u32 << n.saturating_sub(1).min(20))
            .min(longest);
        let mut r = [0u8; 2];
        let jitter = match crate::random::fill(&mut r) {
            Ok(()) => f64::from(u16::from_le_bytes(r)) / f64::from(u16::MAX),
            Err(_) => 0.5,
        };
        base.mul_f64(0.5 + jitter)
    }

    /// Delivers until `stop` resolves, then gives up the lease so another worker can take
    /// over at once. A page cut short is delivered again by the next worker (at least once).
    ///
    /// # Errors
    ///
    /// Store errors that persist: a failed store call is retried after a pause, and the error
    /// is returned when five calls in a row failed.
    pub async fn run_until(&self, stop: impl Future<Output = ()>) -> Result<(), Error> {
        let mut stop = core::pin::pin!(stop);
        let mut failed = 0;
        loop {
            tokio::select! {
                () = &mut stop => break,
                batch = self.deliver_next() => match batch {
                    Ok(_) => failed = 0,
                    Err(e) => {
                        failed += 1;
                        if failed >= 5 {
                            return Err(e);
                        }
                        tokio::time::sleep(self.delay(failed)).await;
                    }
                },
            }
        }
        self.release().await
    }

    /// Gives up the lease, if this worker holds it.
    ///
    /// # Errors
    ///
    /// Store errors.
    pub async fn release(&self) -> Result<(), Error> {
        let held = self.load().await?;
        if held.record.holder.as_deref() != Some(self.worker.as_str()) {
            return Ok(());
        }
        let mut record = held.record;
        record.lease_until_ms = 0;
        self.store
            .set_consumer(&self.name, held.version, &record.text()?)
            .await
            .map(drop)
    }
}

/// Where a webhook endpoint named `name` stands in `store`, without a sender (for status pages
/// and `admit webhooks status`); `None` if nothing was ever delivered there.
///
/// # Errors
///
/// Store errors.
pub async fn endpoint_status<S: Events>(
    store: &S,
    name: &str,
) -> Result<Option<EndpointStatus>, Error> {
    let Some((_, text)) = store.consumer(&format!("webhook:{name}")).await? else {
        return Ok(None);
    };
    let record = Record::parse(&text)?;
    let now = unix_ms(OffsetDateTime::now_utc());
    EndpointStatus::of(name, &record, now).map(Some)
}

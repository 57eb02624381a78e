//! Settings and connecting: the checks a Redis must pass before the store uses it.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::{Duration, OffsetDateTime};

use super::conn::{Conn, unavailable, within};
use super::init::{self, Init};
use super::keys::Keys;
use super::scripts::Scripts;
use super::server::{self, Guard, Watch};
use super::{DEFAULT_DEADLINE, DEFAULT_PREFIX, DEFAULT_RECHECK, RedisStore};
use crate::clock::Clock;
use crate::error::Error;
use crate::store::trace::{self, Link};
use crate::store::{DEFAULT_MARGIN, DEFAULT_VISIT_CAP, Health, Store};
use crate::verifier::DEFAULT_LEEWAY;

/// Settings of a [`RedisStore`]; see [`RedisStore::builder`].
///
/// # Examples
///
/// ```no_run
/// # async fn demo() -> Result<(), admit::Error> {
/// use admit::store::{Init, RedisStore};
///
/// // First deployment: write the initialization marker (or run `admit store init` once).
/// let store = RedisStore::builder()
///     .prefix("myapp:invites:")
///     .init(Init::CreateIfMissing)
///     .connect("redis://127.0.0.1:6379/")
///     .await?;
/// # let _ = store;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RedisStoreBuilder {
    prefix: String,
    deadline: StdDuration,
    margin: Duration,
    leeway: Duration,
    visit_cap: usize,
    init: Init,
    allow_eviction: bool,
    recheck: Option<StdDuration>,
    clock: Clock,
}

impl Default for RedisStoreBuilder {
    fn default() -> RedisStoreBuilder {
        RedisStoreBuilder {
            prefix: DEFAULT_PREFIX.to_owned(),
            deadline: DEFAULT_DEADLINE,
            margin: DEFAULT_MARGIN,
            leeway: DEFAULT_LEEWAY,
            visit_cap: DEFAULT_VISIT_CAP,
            init: Init::Require,
            allow_eviction: false,
            recheck: Some(DEFAULT_RECHECK),
            clock: Clock::default(),
        }
    }
}

impl RedisStoreBuilder {
    /// Prefix of every key (default `admit:`), so several applications can share one Redis.
    /// At most 64 bytes, without `{`, `}` or whitespace.
    pub fn prefix(mut self, prefix: impl Into<String>) -> RedisStoreBuilder {
        self.prefix = prefix.into();
        self
    }

    /// The overall deadline of every call (default 2 s). Connecting takes a few steps (connect,
    /// load the scripts, check eviction, the clock and the marker), each within it.
    pub fn deadline(mut self, deadline: StdDuration) -> RedisStoreBuilder {
        self.deadline = deadline;
        self
    }

    /// How long state is kept after an invitation expires (default 1 hour). At least the
    /// verifier's leeway ([`leeway`](RedisStoreBuilder::leeway)).
    pub fn margin(mut self, margin: Duration) -> RedisStoreBuilder {
        self.margin = margin;
        self
    }

    /// The leeway of the verifiers that use this store (default 60 s, as
    /// [`Verifier`](crate::Verifier)'s): a token is accepted that long past its expiry, so its
    /// state must be kept at least that long. The store refuses to connect when its clock and
    /// Redis's differ by more than the margin minus the leeway.
    pub fn leeway(mut self, leeway: Duration) -> RedisStoreBuilder {
        self.leeway = leeway;
        self
    }

    /// How many visits are kept per invitation (default 100).
    pub fn visit_cap(mut self, cap: usize) -> RedisStoreBuilder {
        self.visit_cap = cap;
        self
    }

    /// What to do about the initialization marker at connect (default [`Init::Require`]).
    pub fn init(mut self, init: Init) -> RedisStoreBuilder {
        self.init = init;
        self
    }

    /// Shorthand for `.init(Init::CreateIfMissing)`: for a brand-new Redis. Read the caveat at
    /// [`Init::CreateIfMissing`].
    pub fn create_if_missing(self) -> RedisStoreBuilder {
        self.init(Init::CreateIfMissing)
    }

    /// Connect to (and keep using) a Redis that may evict keys (`maxmemory` with an evicting
    /// `maxmemory-policy`). **Revocations and use counts may be lost**: under memory pressure
    /// Redis deletes admit's keys — first of all, under the `volatile-*` policies, since they
    /// carry expiries — and revoked or used-up invitations work again. Without this, the store
    /// refuses such a Redis with [`Error::StoreMisconfigured`].
    pub fn allow_eviction(mut self) -> RedisStoreBuilder {
        self.allow_eviction = true;
        self
    }

    /// How often the eviction settings are read again after connecting (default 60 s; `None`:
    /// only at connect). When a re-check finds an evicting policy, every call fails with
    /// [`Error::StoreMisconfigured`] until the setting is safe again. One `INFO memory` per
    /// primary each time, from a background task.
    pub fn recheck(mut self, every: Option<StdDuration>) -> RedisStoreBuilder {
        self.recheck = every;
        self
    }

    /// Reads the time from `clock` instead of the system clock (for tests that move time).
    pub fn clock(
        mut self,
        clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static,
    ) -> RedisStoreBuilder {
        self.clock = Clock::new(clock);
        self
    }

    /// Connects to one Redis server (`redis://[user:password@]host[:port][/db]`), then checks
    /// it: no eviction (unless allowed), clocks within the margin minus the leeway, and the
    /// initialization marker (see [`init`](RedisStoreBuilder::init)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad URL or setting; [`Error::StoreUnavailable`] or
    /// [`Error::StoreTimeout`] if Redis cannot be reached within the deadline;
    /// [`Error::StoreMisconfigured`] for eviction or clock offset; [`Error::StoreNotInitialized`]
    /// under [`Init::Require`] when the marker is missing.
    pub async fn connect(self, url: &str) -> Result<RedisStore, Error> {
        trace::connecting("redis", "connect", async {
            let conn = self.open(url).await?;
            self.finish(conn, false).await
        })
        .await
    }

    /// Reads the health of one Redis server without using it as a store: nothing is refused
    /// (an evicting policy, a missing marker, a clock offset all show in the report instead)
    /// and nothing is written. For `admit store health` and deployment checks.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad URL or setting; store errors if Redis cannot be
    /// reached.
    pub async fn health(self, url: &str) -> Result<Health, Error> {
        let conn = self.open(url).await?;
        self.unchecked(conn, false).health().await
    }

    /// [`health`](RedisStoreBuilder::health) for a Redis Cluster.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::health`].
    #[cfg(feature = "cluster")]
    pub async fn health_cluster<S: AsRef<str>>(self, urls: &[S]) -> Result<Health, Error> {
        let conn = self.open_cluster(urls).await?;
        self.unchecked(conn, true).health().await
    }

    async fn open(&self, url: &str) -> Result<Conn, Error> {
        self.validate()?;
        let client = redis::Client::open(url).map_err(|_| Error::InvalidArgument {
            name: "url",
            reason: "not a valid Redis URL",
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.deadline))
            .set_response_timeout(Some(self.deadline))
            .set_number_of_retries(2)
            .set_max_delay(StdDuration::from_millis(500));
        let conn = within(self.deadline, async {
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(unavailable)
        })
        .await?;
        Ok(Conn::Single(conn))
    }

    /// Connects to a Redis Cluster through any of its nodes, and checks every primary as
    /// [`connect`](RedisStoreBuilder::connect) checks one server.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::connect`].
    #[cfg(feature = "cluster")]
    pub async fn connect_cluster<S: AsRef<str>>(self, urls: &[S]) -> Result<RedisStore, Error> {
        trace::connecting("redis", "connect", async {
            let conn = self.open_cluster(urls).await?;
            self.finish(conn, true).await
        })
        .await
    }

    #[cfg(feature = "cluster")]
    async fn open_cluster<S: AsRef<str>>(&self, urls: &[S]) -> Result<Conn, Error> {
        self.validate()?;
        let infos: Vec<String> = urls.iter().map(|u| u.as_ref().to_owned()).collect();
        if infos.is_empty() {
            return Err(Error::InvalidArgument {
                name: "urls",
                reason: "give at least one cluster node",
            });
        }
        let client = redis::cluster::ClusterClientBuilder::new(infos)
            .connection_timeout(self.deadline)
            .response_timeout(self.deadline)
            .retries(2)
            .build()
            .map_err(|_| Error::InvalidArgument {
                name: "urls",
                reason: "not valid Redis URLs",
            })?;
        let conn = within(self.deadline, async {
            client.get_async_connection().await.map_err(unavailable)
        })
        .await?;
        Ok(Conn::Cluster(conn))
    }

    fn validate(&self) -> Result<(), Error> {
        let p = &self.prefix;
        if p.len() > 64 || p.contains(['{', '}']) || p.chars().any(char::is_whitespace) {
            return Err(Error::InvalidArgument {
                name: "prefix",
                reason: "must be at most 64 bytes without braces or whitespace",
            });
        }
        if self.deadline.is_zero() {
            return Err(Error::InvalidArgument {
                name: "deadline",
                reason: "must be more than zero",
            });
        }
        if self.recheck.is_some_and(|every| every.is_zero()) {
            return Err(Error::InvalidArgument {
                name: "recheck",
                reason: "must be more than zero (None turns re-checks off)",
            });
        }
        if self.visit_cap == 0 || self.visit_cap > 100_000 {
            return Err(Error::InvalidArgument {
                name: "visit_cap",
                reason: "must be between 1 and 100000",
            });
        }
        if self.leeway.is_negative() {
            return Err(Error::InvalidArgument {
                name: "leeway",
                reason: "must not be negative",
            });
        }
        if self.margin < self.leeway {
            return Err(Error::InvalidArgument {
                name: "margin",
                reason: "must be at least the leeway: state must outlive every token that \
                         still verifies",
            });
        }
        Ok(())
    }

    async fn finish(self, conn: Conn, cluster: bool) -> Result<RedisStore, Error> {
        let allowance = self.margin - self.leeway;
        let deadline = self.deadline;
        // Scripts first (on every primary of a cluster), so calls are plain EVALSHAs; after a
        // restart Redis answers NOSCRIPT and they are loaded again.
        within(deadline, async {
            let mut load = conn.clone();
            for lua in Scripts::get().all() {
                lua.load_async(&mut load).await.map_err(unavailable)?;
            }
            Ok(())
        })
        .await?;
        if !self.allow_eviction
            && let Some(problem) = within(deadline, server::eviction_problem(&conn)).await?
        {
            return Err(problem);
        }
        let offsets = within(deadline, server::clock_offsets(&conn, &self.clock)).await?;
        if let Some(problem) = server::clock_problem(&offsets, allowance) {
            return Err(problem);
        }
        let keys = Keys {
            prefix: self.prefix.clone(),
            cluster,
        };
        within(
            deadline,
            init::apply(&conn, &keys, self.init, self.clock.now()),
        )
        .await?;
        let guard = Arc::new(Guard::default());
        let recheck = self
            .recheck
            .filter(|_| !self.allow_eviction)
            .and_then(|every| {
                server::spawn_recheck(conn.clone(), Arc::downgrade(&guard), every, deadline)
            });
        let watch = Watch {
            guard,
            _recheck: recheck,
            link: Link::default(),
        };
        Ok(self.build(conn, cluster, watch))
    }

    /// The store on `conn`, with no checks made and no re-check running.
    fn unchecked(self, conn: Conn, cluster: bool) -> RedisStore {
        self.build(conn, cluster, Watch::default())
    }

    fn build(self, conn: Conn, cluster: bool, watch: Watch) -> RedisStore {
        RedisStore {
            conn,
            keys: Keys {
                prefix: self.prefix,
                cluster,
            },
            scripts: Scripts::get(),
            deadline: self.deadline,
            margin: self.margin,
            leeway: self.leeway,
            visit_cap: self.visit_cap,
            allow_eviction: self.allow_eviction,
            clock: self.clock,
            watch: Arc::new(watch),
        }
    }
}

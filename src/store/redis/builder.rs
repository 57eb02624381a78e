//! Settings and connecting: the checks a Redis must pass before the store uses it.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use time::Duration;

use super::conn::{Conn, connect_problem, unavailable, within};
use super::keys::Keys;
use super::marker;
use super::scripts::Scripts;
use super::server::{self, Guard, Watch};
use super::{DEFAULT_PREFIX, DEFAULT_RECHECK, RedisStore};
use crate::error::Error;
use crate::store::settings::Durable;
use crate::store::trace::{self, Link};
use crate::store::{Health, Store, StoreBuilder};
use crate::verifier::DEFAULT_LEEWAY;

/// The settings only a [`RedisStore`] has; the others are every store's ([`StoreBuilder`]).
#[derive(Clone, Debug)]
pub struct RedisOptions {
    leeway: Duration,
    allow_eviction: bool,
    recheck: Option<StdDuration>,
}

impl Default for RedisOptions {
    fn default() -> RedisOptions {
        RedisOptions {
            leeway: DEFAULT_LEEWAY,
            allow_eviction: false,
            recheck: Some(DEFAULT_RECHECK),
        }
    }
}

impl Durable for RedisOptions {}

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
pub type RedisStoreBuilder = StoreBuilder<RedisOptions>;

impl StoreBuilder<RedisOptions> {
    /// The leeway of the verifiers that use this store (default 60 s, as
    /// [`Verifier`](crate::Verifier)'s): a token is accepted that long past its expiry, so its
    /// state must be kept at least that long (the margin must be at least the leeway). The
    /// store refuses to connect when its clock and Redis's differ by more than the margin minus
    /// the leeway.
    pub fn leeway(mut self, leeway: Duration) -> RedisStoreBuilder {
        self.backend.leeway = leeway;
        self
    }

    /// Connect to (and keep using) a Redis that may evict keys (`maxmemory` with an evicting
    /// `maxmemory-policy`). **Revocations and use counts may be lost**: under memory pressure
    /// Redis deletes admit's keys — first of all, under the `volatile-*` policies, since they
    /// carry expiries — and revoked or used-up invitations work again. Without this, the store
    /// refuses such a Redis with [`Error::StoreMisconfigured`].
    pub fn allow_eviction(mut self) -> RedisStoreBuilder {
        self.backend.allow_eviction = true;
        self
    }

    /// How often the eviction settings are read again after connecting (default 60 s; `None`:
    /// only at connect). When a re-check finds an evicting policy, every call fails with
    /// [`Error::StoreMisconfigured`] until the setting is safe again. One `INFO memory` per
    /// primary each time, from a background task.
    pub fn recheck(mut self, every: Option<StdDuration>) -> RedisStoreBuilder {
        self.backend.recheck = every;
        self
    }

    /// Connects to one Redis server (`redis://[user:password@]host[:port][/db]`), then checks
    /// it: no eviction (unless allowed), clocks within the margin minus the leeway, and the
    /// initialization marker (see [`init`](RedisStoreBuilder::init)).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a bad URL or setting; [`Error::StoreConnect`] when the
    /// server refuses the password, nothing listens or the host is unknown;
    /// [`Error::StoreUnavailable`] or
    /// [`Error::StoreTimeout`] if Redis cannot be reached within the deadline;
    /// [`Error::StoreMisconfigured`] for eviction or clock offset; [`Error::StoreNotInitialized`]
    /// under [`Init::Require`](crate::store::Init::Require) when the marker is missing.
    pub async fn connect(self, url: &str) -> Result<RedisStore, Error> {
        trace::connecting("redis", "connect", async {
            let conn = self.dial(url).await?;
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
        let conn = self.dial(url).await?;
        self.unchecked(conn, false).health().await
    }

    /// [`health`](RedisStoreBuilder::health) for a Redis Cluster.
    ///
    /// # Errors
    ///
    /// As for [`RedisStoreBuilder::health`].
    #[cfg(feature = "cluster")]
    pub async fn health_cluster<S: AsRef<str>>(self, urls: &[S]) -> Result<Health, Error> {
        let conn = self.dial_cluster(urls).await?;
        self.unchecked(conn, true).health().await
    }

    async fn dial(&self, url: &str) -> Result<Conn, Error> {
        self.validate()?;
        let deadline = self.settings.deadline;
        let client = redis::Client::open(url).map_err(|_| Error::InvalidArgument {
            name: "url",
            reason: "not a valid Redis URL",
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(deadline))
            .set_response_timeout(Some(deadline))
            .set_number_of_retries(2)
            .set_max_delay(StdDuration::from_millis(500));
        let info = client.get_connection_info().clone();
        let conn = within(deadline, async {
            ConnectionManager::new_with_config(client, config)
                .await
                .map_err(|e| match connect_problem(&e, Some(&info)) {
                    Some(problem) => Error::StoreConnect { problem },
                    None => unavailable(e),
                })
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
            let conn = self.dial_cluster(urls).await?;
            self.finish(conn, true).await
        })
        .await
    }

    #[cfg(feature = "cluster")]
    async fn dial_cluster<S: AsRef<str>>(&self, urls: &[S]) -> Result<Conn, Error> {
        self.validate()?;
        let deadline = self.settings.deadline;
        let infos: Vec<String> = urls.iter().map(|u| u.as_ref().to_owned()).collect();
        if infos.is_empty() {
            return Err(Error::InvalidArgument {
                name: "urls",
                reason: "give at least one cluster node",
            });
        }
        let client = redis::cluster::ClusterClientBuilder::new(infos)
            .connection_timeout(deadline)
            .response_timeout(deadline)
            .retries(2)
            .build()
            .map_err(|_| Error::InvalidArgument {
                name: "urls",
                reason: "not valid Redis URLs",
            })?;
        let conn = within(deadline, async {
            client.get_async_connection().await.map_err(unavailable)
        })
        .await?;
        Ok(Conn::Cluster(conn))
    }

    fn validate(&self) -> Result<(), Error> {
        self.settings.check()?;
        let p = self.settings.prefix.as_deref().unwrap_or(DEFAULT_PREFIX);
        if p.len() > 64 || p.contains(['{', '}']) || p.chars().any(char::is_whitespace) {
            return Err(Error::InvalidArgument {
                name: "prefix",
                reason: "must be at most 64 bytes without braces or whitespace",
            });
        }
        let RedisOptions {
            leeway, recheck, ..
        } = self.backend;
        if recheck.is_some_and(|every| every.is_zero()) {
            return Err(Error::InvalidArgument {
                name: "recheck",
                reason: "must be more than zero (None turns re-checks off)",
            });
        }
        if leeway.is_negative() {
            return Err(Error::InvalidArgument {
                name: "leeway",
                reason: "must not be negative",
            });
        }
        if self.settings.margin < leeway {
            return Err(Error::InvalidArgument {
                name: "margin",
                reason: "must be at least the leeway: state must outlive every token that \
                         still verifies",
            });
        }
        Ok(())
    }

    async fn finish(self, conn: Conn, cluster: bool) -> Result<RedisStore, Error> {
        let RedisOptions {
            leeway,
            allow_eviction,
            recheck,
        } = self.backend;
        let settings = &self.settings;
        let deadline = settings.deadline;
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
        if !allow_eviction
            && let Some(problem) = within(deadline, server::eviction_problem(&conn)).await?
        {
            return Err(problem);
        }
        let offsets = within(deadline, server::clock_offsets(&conn, &settings.clock)).await?;
        if let Some(problem) = server::clock_problem(&offsets, settings.margin - leeway) {
            return Err(problem);
        }
        let keys = self.keys(cluster);
        let now = settings.clock.now();
        within(deadline, marker::apply(&conn, &keys, settings.init, now)).await?;
        let guard = Arc::new(Guard::default());
        let recheck = recheck.filter(|_| !allow_eviction).and_then(|every| {
            server::spawn_recheck(conn.clone(), Arc::downgrade(&guard), every, deadline)
        });
        let watch = Watch {
            guard,
            _recheck: recheck,
            link: Link::default(),
        };
        Ok(self.build(conn, cluster, watch))
    }

    fn keys(&self, cluster: bool) -> Keys {
        Keys {
            prefix: self
                .settings
                .prefix
                .clone()
                .unwrap_or_else(|| DEFAULT_PREFIX.into()),
            cluster,
        }
    }

    /// The store on `conn`, with no checks made and no re-check running.
    fn unchecked(self, conn: Conn, cluster: bool) -> RedisStore {
        self.build(conn, cluster, Watch::default())
    }

    fn build(self, conn: Conn, cluster: bool, watch: Watch) -> RedisStore {
        RedisStore {
            conn,
            keys: self.keys(cluster),
            scripts: Scripts::get(),
            leeway: self.backend.leeway,
            allow_eviction: self.backend.allow_eviction,
            settings: self.settings,
            watch: Arc::new(watch),
            actor: None,
            redemptions: Arc::default(),
        }
    }
}

//! One store named by a URL, chosen at run time: what a CLI flag or a configuration file holds.

use core::fmt;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use time::OffsetDateTime;

use super::backend::{
    AttemptCounter, Backend, CodeTable, EventPage, NewCode, Page, Record, Redeem, Revoke,
    VisitCall, VisitLog, Window,
};
use super::settings::{Durable, Settings};
use super::trace::Link;
use super::{
    Event, Health, Init, IssuedInvitation, MemoryOptions, MemoryStore, Redemption, RevocationRule,
    Status, Store, StoreBuilder, Visit,
};
use crate::error::Error;
use crate::invitation::{Invitation, InvitationId};

#[cfg(feature = "postgres")]
use super::{PgOptions, PgStore};
#[cfg(feature = "redis")]
use super::{RedisOptions, RedisStore};
#[cfg(feature = "sqlite")]
use super::{SqliteOptions, SqliteStore};

/// Any of the stores this build has, behind one [`Store`]: open it with
/// [`AnyStore::connect`] and a URL.
///
/// | URL | store | feature |
/// |---|---|---|
/// | `memory:` | [`MemoryStore`] (lost on exit) | — |
/// | `redis://…`, `rediss://…` | [`RedisStore`] | `redis` |
/// | `redis+cluster://host:port,host:port/` (`rediss+cluster://` with TLS) | [`RedisStore`] on Redis Cluster | `cluster` |
/// | `postgres://…`, `postgresql://…` | [`PgStore`] | `postgres` |
/// | `sqlite://PATH`, `sqlite:PATH` | [`SqliteStore`] | `sqlite` |
///
/// A URL for a store this build lacks is refused with [`Error::InvalidArgument`] naming the
/// feature. The variants give the backend's own API ([`PgStore::redeem_in`], [`migrate`](PgStore::migrate), …).
///
/// # Examples
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use admit::store::{AnyStore, Store};
///
/// let url = std::env::var("ADMIT_STORE_URL").unwrap_or_else(|_| "memory:".into());
/// let store = AnyStore::builder().create_if_missing().connect(&url).await?;
/// assert_eq!(store.health().await?.backend, store.backend());
/// # Ok::<(), admit::Error>(()) }).unwrap();
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// `memory:`.
    Memory(MemoryStore),
    /// `redis://`, `rediss://`, `redis+cluster://`.
    #[cfg(feature = "redis")]
    Redis(RedisStore),
    /// `postgres://`.
    #[cfg(feature = "postgres")]
    Postgres(PgStore),
    /// `sqlite://PATH`.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteStore),
}

/// The settings only an [`AnyStore`] has: those of the backends it may open.
#[derive(Clone, Debug, Default)]
pub struct AnyOptions {
    /// Redis's re-check period, when set (`None`: Redis's default).
    recheck: Option<Option<StdDuration>>,
}

impl Durable for AnyOptions {}

/// Settings of an [`AnyStore`]; see [`AnyStore::builder`].
pub type AnyStoreBuilder = StoreBuilder<AnyOptions>;

/// Which kind of store a URL names.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Memory,
    Redis(String),
    Cluster(Vec<String>),
    Postgres(String),
    Sqlite(String),
}

const UNKNOWN: &str = "not a store URL: use memory:, redis://, rediss://, redis+cluster://, \
                       postgres:// or sqlite://PATH";

fn target(url: &str) -> Result<Target, Error> {
    let bad = |reason| Error::InvalidArgument {
        name: "url",
        reason,
    };
    let (scheme, rest) = url.split_once(':').ok_or(bad(UNKNOWN))?;
    match scheme.to_ascii_lowercase().as_str() {
        "memory" if rest.is_empty() || rest == "//" => Ok(Target::Memory),
        "redis" | "rediss" | "redis+unix" | "unix" => Ok(Target::Redis(url.to_owned())),
        "redis+cluster" | "rediss+cluster" => {
            let tls = scheme.starts_with("rediss");
            let rest = rest.strip_prefix("//").ok_or(bad(UNKNOWN))?;
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let (userinfo, hosts) = match authority.rsplit_once('@') {
                Some((user, hosts)) => (format!("{user}@"), hosts),
                None => (String::new(), authority),
            };
            let nodes: Vec<String> = hosts
                .split(',')
                .filter(|h| !h.is_empty())
                .map(|h| {
                    let scheme = if tls { "rediss" } else { "redis" };
                    format!("{scheme}://{userinfo}{h}/{path}")
                })
                .collect();
            if nodes.is_empty() {
                return Err(bad("redis+cluster:// needs at least one host:port"));
            }
            Ok(Target::Cluster(nodes))
        }
        "postgres" | "postgresql" => Ok(Target::Postgres(url.to_owned())),
        "sqlite" => Ok(Target::Sqlite(url.to_owned())),
        _ => Err(bad(UNKNOWN)),
    }
}

#[cfg(not(feature = "redis"))]
const NO_REDIS: &str = "this build has no Redis store: enable the crate feature `redis`";
#[cfg(not(feature = "cluster"))]
const NO_CLUSTER: &str =
    "this build has no Redis Cluster store: enable the crate feature `cluster`";
#[cfg(not(feature = "postgres"))]
const NO_POSTGRES: &str = "this build has no PostgreSQL store: enable the crate feature `postgres`";
#[cfg(not(feature = "sqlite"))]
const NO_SQLITE: &str = "this build has no SQLite store: enable the crate feature `sqlite`";

impl StoreBuilder<AnyOptions> {
    /// Redis only: how often the store re-checks the server's settings in the background
    /// (`None`: never, as a command that exits at once wants).
    pub fn recheck(mut self, every: Option<StdDuration>) -> AnyStoreBuilder {
        self.backend.recheck = Some(every);
        self
    }

    /// Opens the store `url` names, with these settings (prefix, deadline, [`Init`], margin, …)
    /// and each backend's defaults for the rest.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidArgument`] for a URL this build cannot open; the errors of the
    /// store's own `connect`, and of its [`Init`].
    pub async fn connect(self, url: &str) -> Result<AnyStore, Error> {
        Ok(match target(url)? {
            // Every other backend checks the settings as it opens; the memory store's builder
            // takes any, so they are checked here.
            Target::Memory => {
                self.settings.check()?;
                AnyStore::Memory(self.with(MemoryOptions::default()).build())
            }
            #[cfg(feature = "redis")]
            Target::Redis(url) => AnyStore::Redis(self.redis().connect(&url).await?),
            #[cfg(feature = "cluster")]
            Target::Cluster(nodes) => AnyStore::Redis(self.redis().connect_cluster(&nodes).await?),
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => {
                AnyStore::Postgres(self.with(PgOptions::default()).connect(&url).await?)
            }
            #[cfg(feature = "sqlite")]
            Target::Sqlite(url) => {
                AnyStore::Sqlite(self.with(SqliteOptions::default()).connect(&url).await?)
            }
            #[allow(unreachable_patterns)]
            other => return Err(missing(&other)),
        })
    }

    /// The health of the store `url` names, read without refusing anything (on Redis, an
    /// evicting policy or a missing marker shows in the report instead of failing).
    ///
    /// # Errors
    ///
    /// As [`connect`](AnyStoreBuilder::connect), for a store that cannot be reached.
    pub async fn health(self, url: &str) -> Result<Health, Error> {
        match target(url)? {
            #[cfg(feature = "redis")]
            Target::Redis(url) => self.redis().health(&url).await,
            #[cfg(feature = "cluster")]
            Target::Cluster(nodes) => self.redis().health_cluster(&nodes).await,
            _ => Store::health(&self.init(Init::Require).connect(url).await?).await,
        }
    }

    /// The same settings, for the builder of one backend.
    fn with<B>(self, backend: B) -> StoreBuilder<B> {
        StoreBuilder {
            settings: self.settings,
            backend,
        }
    }

    #[cfg(feature = "redis")]
    fn redis(self) -> super::RedisStoreBuilder {
        let recheck = self.backend.recheck;
        let builder = self.with(RedisOptions::default());
        match recheck {
            Some(every) => builder.recheck(every),
            None => builder,
        }
    }
}

/// The error for a URL whose store this build lacks.
#[allow(unused_variables)]
fn missing(target: &Target) -> Error {
    let reason = match target {
        #[cfg(not(feature = "redis"))]
        Target::Redis(_) => NO_REDIS,
        #[cfg(not(feature = "cluster"))]
        Target::Cluster(_) => NO_CLUSTER,
        #[cfg(not(feature = "postgres"))]
        Target::Postgres(_) => NO_POSTGRES,
        #[cfg(not(feature = "sqlite"))]
        Target::Sqlite(_) => NO_SQLITE,
        #[allow(unreachable_patterns)]
        _ => UNKNOWN,
    };
    Error::InvalidArgument {
        name: "url",
        reason,
    }
}

impl AnyStore {
    /// Configures a store: prefix, deadline, [`Init`], margin, visit cap, clock.
    pub fn builder() -> AnyStoreBuilder {
        StoreBuilder::new()
    }

    /// Opens the store `url` names, with each store's default settings; a store that was
    /// never set up fails its calls (see [`Init`]).
    ///
    /// # Errors
    ///
    /// As [`AnyStoreBuilder::connect`].
    pub async fn connect(url: &str) -> Result<AnyStore, Error> {
        AnyStore::builder().connect(url).await
    }

    /// The backend's name, as [`Health::backend`] gives it: `memory`, `redis`,
    /// `redis-cluster`, `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            AnyStore::Memory(_) => "memory",
            #[cfg(feature = "redis")]
            AnyStore::Redis(s) if s.is_cluster() => "redis-cluster",
            #[cfg(feature = "redis")]
            AnyStore::Redis(_) => "redis",
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(_) => "postgres",
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(_) => "sqlite",
        }
    }

    /// Whether the store keeps its state when the process exits (every store but `memory:`).
    pub fn is_durable(&self) -> bool {
        !matches!(self, AnyStore::Memory(_))
    }
}

impl fmt::Display for AnyStore {
    /// The backend's name: never the URL, which may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.backend())
    }
}

/// `each!(self, s => expr)`: `expr` on whichever store `self` holds.
macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Memory($s) => $e,
            #[cfg(feature = "redis")]
            AnyStore::Redis($s) => $e,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $e,
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite($s) => $e,
        }
    };
}

impl Backend for AnyStore {
    fn name(&self) -> &'static str {
        each!(self, s => s.name())
    }

    fn settings(&self) -> &Settings {
        each!(self, s => s.settings())
    }

    fn link(&self) -> Option<&Link> {
        each!(self, s => s.link())
    }

    fn acting(&self, actor: Arc<str>) -> AnyStore {
        match self {
            AnyStore::Memory(s) => AnyStore::Memory(s.acting(actor)),
            #[cfg(feature = "redis")]
            AnyStore::Redis(s) => AnyStore::Redis(s.acting(actor)),
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) => AnyStore::Postgres(s.acting(actor)),
            #[cfg(feature = "sqlite")]
            AnyStore::Sqlite(s) => AnyStore::Sqlite(s.acting(actor)),
        }
    }

    async fn events(&self, call: EventPage<'_>) -> Result<Vec<Event>, Error> {
        each!(self, s => Backend::events(s, call).await)
    }

    fn log_mark(&self) -> u64 {
        each!(self, s => s.log_mark())
    }

    async fn consumer(&self, name: &str) -> Result<Option<(i64, String)>, Error> {
        each!(self, s => s.consumer(name).await)
    }

    async fn set_consumer(&self, name: &str, version: i64, record: &str) -> Result<bool, Error> {
        each!(self, s => s.set_consumer(name, version, record).await)
    }

    async fn wait(&self, mark: u64) -> Result<(), Error> {
        each!(self, s => s.wait(mark).await)
    }

    async fn redeem(&self, call: Redeem<'_>) -> Result<Redemption, Error> {
        each!(self, s => Backend::redeem(s, call).await)
    }

    async fn check(&self, invitation: &Invitation, now: OffsetDateTime) -> Result<(), Error> {
        each!(self, s => Backend::check(s, invitation, now).await)
    }

    async fn is_revoked(&self, id: InvitationId, now: OffsetDateTime) -> Result<bool, Error> {
        each!(self, s => Backend::is_revoked(s, id, now).await)
    }

    async fn revoke(&self, call: Revoke) -> Result<bool, Error> {
        each!(self, s => Backend::revoke(s, call).await)
    }

    async fn raise_rule(&self, inviter: Option<&str>, cutoff_ms: i64) -> Result<i64, Error> {
        each!(self, s => s.raise_rule(inviter, cutoff_ms).await)
    }

    async fn rules(&self) -> Result<Vec<RevocationRule>, Error> {
        each!(self, s => s.rules().await)
    }

    async fn health(&self) -> Result<Health, Error> {
        each!(self, s => Backend::health(s).await)
    }

    async fn status(&self, id: InvitationId, now: OffsetDateTime) -> Result<Status, Error> {
        each!(self, s => Backend::status(s, id, now).await)
    }

    async fn record(&self, call: Record<'_>) -> Result<(), Error> {
        each!(self, s => s.record(call).await)
    }

    async fn list(&self, call: Page<'_>) -> Result<Vec<IssuedInvitation>, Error> {
        each!(self, s => Backend::list(s, call).await)
    }

    async fn count(&self, call: Page<'_>) -> Result<u64, Error> {
        each!(self, s => Backend::count(s, call).await)
    }
}

impl VisitLog for AnyStore {
    async fn record_visit(&self, call: VisitCall<'_>) -> Result<(), Error> {
        each!(self, s => VisitLog::record_visit(s, call).await)
    }

    async fn visits(&self, id: InvitationId, now: OffsetDateTime) -> Result<Vec<Visit>, Error> {
        each!(self, s => VisitLog::visits(s, id, now).await)
    }
}

impl CodeTable for AnyStore {
    async fn create_code(&self, call: NewCode<'_>) -> Result<bool, Error> {
        each!(self, s => CodeTable::create_code(s, call).await)
    }

    async fn resolve_code(
        &self,
        lookup: &str,
        now: OffsetDateTime,
    ) -> Result<Option<String>, Error> {
        each!(self, s => CodeTable::resolve_code(s, lookup, now).await)
    }
}

impl AttemptCounter for AnyStore {
    async fn count_attempt(&self, client: &str, window: Window) -> Result<u32, Error> {
        each!(self, s => AttemptCounter::count_attempt(s, client, window).await)
    }
}

#[cfg(test)]
mod tests {
    use super::{Target, target};

    #[test]
    fn urls_name_their_store() {
        assert_eq!(target("memory:").unwrap(), Target::Memory);
        assert_eq!(
            target("redis://127.0.0.1:6379/0").unwrap(),
            Target::Redis("redis://127.0.0.1:6379/0".into())
        );
        assert_eq!(
            target("redis+cluster://:pw@a:7000,b:7001/").unwrap(),
            Target::Cluster(vec![
                "redis://:pw@a:7000/".into(),
                "redis://:pw@b:7001/".into()
            ])
        );
        assert_eq!(
            target("rediss+cluster://a:7000").unwrap(),
            Target::Cluster(vec!["rediss://a:7000/".into()])
        );
        assert_eq!(
            target("postgresql://u@h/db").unwrap(),
            Target::Postgres("postgresql://u@h/db".into())
        );
        assert_eq!(
            target("sqlite:///tmp/a.db").unwrap(),
            Target::Sqlite("sqlite:///tmp/a.db".into())
        );
        for bad in [
            "",
            "memory:x",
            "mysql://h/db",
            "/tmp/a.db",
            "redis+cluster://",
            "http://x",
        ] {
            assert!(target(bad).is_err(), "{bad}");
        }
    }
}
